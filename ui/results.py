"""The server's store of results, keyed by their settings: trained networks, boundary grids,
test predictions, files. One store with two verbs: lookup(key) and compute(key, make).

Results live in a process-wide, bounded store rather than st.cache_data because a miss must
show a live progress bar while it trains, and 30 students asking for the same setting at once
should wait for one training instead of starting 30.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable

import streamlit as st
from streamlit.runtime import Runtime
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from nn_core import charts
from nn_core.memory import result_budget, size_in_bytes
from ui.layout import chart_spec, show_chart, vega_lite_spec, with_datasets
from ui.progress import TrainingProgress
from ui.warmup import on_tidy

SHOWN_PER_SESSION = 24  # the results a session used last are never evicted (a page shows them)
WAIT_SECONDS = 0.25  # how often a page waiting for a classmate's identical training checks in


class ResultStore:
    """A thread-safe store of finished results bounded in bytes (results and the datasets
    reserved beside them), evicting the least recently used first but never one that a live
    session used among its last SHOWN_PER_SESSION. One lock per key, so identical requests
    made at the same time compute once.

    holder: who asks (a session id), or None; is_live(holder) tells whether it still exists.
    """

    def __init__(self, max_bytes: int, is_live: Callable[[Hashable], bool] = lambda _: True):
        self.max_bytes = max_bytes
        self._is_live = is_live
        self._results: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self._stored_bytes = 0  # the sizes in _results, kept as they change
        self._reserved: dict[str, int] = {}
        self._shown: dict[Hashable, deque] = {}
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._computing_for: dict[Hashable, Hashable] = {}  # key -> holder computing it
        self._lock = threading.Lock()

    @property
    def used_bytes(self) -> int:
        return self._stored_bytes + sum(self._reserved.values())

    def reserve(self, name: str, size: int) -> None:
        """Count something held outside the store (a loaded dataset) against its budget."""
        with self._lock:
            self._reserved[name] = size
            self._evict()

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._drop(key)

    def _drop(self, key: Hashable) -> None:
        if key in self._results:
            self._stored_bytes -= self._results.pop(key)[1]

    def lookup(self, key: Hashable, holder=None, settle_seconds: float = 2.0):
        """The stored result, or None. If this holder is computing this key, wait up to
        settle_seconds for it: an interrupted training (Streamlit starts the page's next run
        at once, while the stopped one is still storing what it learned) takes a moment.
        Another holder's training is not waited for: a classmate's page says "not trained
        yet" at once rather than seconds later."""
        with self._lock:
            mine = key in self._computing_for and self._computing_for[key] == holder
            key_lock = self._key_locks.get(key) if mine else None
        if key_lock is not None and key_lock.acquire(timeout=settle_seconds):
            key_lock.release()
        with self._lock:
            if key not in self._results:
                return None
            self._results.move_to_end(key)
            self._note_shown(holder, key)
            return self._results[key][0]

    def compute(self, key: Hashable, make: Callable[[], object], holder=None, on_wait=None):
        """The stored result, or make()'s, stored. While another holder computes the same key,
        wait for it, calling on_wait() every WAIT_SECONDS (it may raise to give up)."""
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        while not key_lock.acquire(timeout=WAIT_SECONDS):
            if on_wait is not None:
                on_wait()
        try:
            return self._compute_holding_lock(key, make, holder)
        finally:
            key_lock.release()

    def _compute_holding_lock(self, key: Hashable, make: Callable[[], object], holder):
        stored = self.lookup(key, holder, settle_seconds=0)
        if stored is not None:
            return stored
        self._computing_for[key] = holder
        try:
            result = make()
            size = size_in_bytes(result)
            with self._lock:
                self._results[key] = (result, size)
                self._stored_bytes += size
                self._note_shown(holder, key)
                self._evict()
                self._key_locks.pop(key, None)
        finally:
            with self._lock:
                self._computing_for.pop(key, None)
        return result

    def _note_shown(self, holder, key) -> None:
        if holder is not None:
            self._shown.setdefault(holder, deque(maxlen=SHOWN_PER_SESSION)).append(key)

    def _evict(self, max_bytes: int | None = None) -> None:
        """Oldest first, until the results fit max_bytes (default: the whole budget, datasets
        included); results a live session shows stay."""
        self._shown = {
            holder: keys for holder, keys in self._shown.items() if self._is_live(holder)
        }
        shown = {key for keys in self._shown.values() for key in keys}
        for key in list(self._results):
            within = (
                self.used_bytes <= self.max_bytes
                if max_bytes is None
                else self._stored_bytes <= max_bytes
            )
            if within:
                return
            if key not in shown:
                self._drop(key)

    def shrink_when_unused(self, max_bytes: int) -> bool:
        """If no live session uses any result, keep only the newest max_bytes of them (a class
        that has left should not hold the server's memory until the next one). True if so."""
        with self._lock:
            if any(self._is_live(holder) for holder in self._shown):
                return False
            self._evict(max_bytes)
            return True


def _session_is_live(session_id) -> bool:
    return Runtime.exists() and Runtime.instance().is_active_session(session_id)


def _session_id():
    context = get_script_run_ctx(suppress_warning=True)
    return context.session_id if context is not None else None


@st.cache_resource(show_spinner=False)
def _store() -> ResultStore:
    return ResultStore(result_budget(), _session_is_live)


IDLE_RESULT_BYTES = 32 * 2**20  # results kept while no session uses any


def shrink_when_unused() -> None:
    """Called now and then by the server's tidy-up thread (ui.warmup)."""
    _store().shrink_when_unused(IDLE_RESULT_BYTES)


on_tidy(shrink_when_unused)


def stored_bytes() -> int:
    """Bytes held by stored results and reserved datasets (the server's memory log)."""
    return _store().used_bytes


def reserve(name: str, value) -> None:
    """Count a loaded dataset against the results' budget."""
    _store().reserve(name, size_in_bytes(value))


def lookup(key: Hashable):
    """The result stored for key, or None (never computes)."""
    return _store().lookup(key, _session_id())


CLASSMATE_TRAINING = (
    "Someone else is training this very setting right now: its result appears here when it "
    "is done (change a setting to try something else meanwhile)."
)

# A training interrupted by the page (Stop, another control, the tab closed) is stored as it
# stands, and the interruption raised afterwards so that Streamlit goes on with it.
_interrupted = threading.local()


def compute(key: Hashable, make: Callable[[], object]):
    """The result stored for key, or make() once for the whole server and store it. While a
    classmate computes the same key, the page says so (and Stop or any other change still
    interrupts it: the notice's redraw is where Streamlit raises that)."""
    notice = []

    def waiting():
        if not notice:
            notice.append(st.empty())
        notice[0].info(CLASSMATE_TRAINING, icon=":material/group:")

    try:
        result = _store().compute(key, make, _session_id(), waiting)
    finally:
        if notice:
            notice[0].empty()
    interruption = getattr(_interrupted, "exception", None)
    if interruption is not None:
        _interrupted.exception = None
        raise interruption
    return result


def derived(name: str, key: Hashable, result, make: Callable[[], object]):
    """make()'s value for a stored result (its test predictions, a chart), computed once for
    the whole server. Kept under the result's key and the epochs it trained: a result stopped
    early and then trained in full is another result, with values of its own."""
    return compute((name, key, getattr(result, "epochs_done", None)), make)


def chart(name: str, key: Hashable, result, build: Callable[[], object]) -> dict:
    """The Vega-Lite spec of build()'s Altair chart of a stored result, built once (see
    derived). Drawing a stored result again (a rerun, a classmate opening the same link) then
    costs no Altair or PNG work, which was most of such a page's time: 30 students opening
    one link queued for seconds on it."""
    return derived(f"{name} chart", key, result, lambda: vega_lite_spec(build()))


def frame_chart(name: str, key: Hashable, result, build, frame=None, frame_data=None) -> dict:
    """chart() of the final weights (frame None) or of a replay frame: the final chart with
    frame_data()'s named datasets swapped in, never a chart built anew. Building one was most
    of a replay frame's work (first play under four frames a second), and the spec is then the
    same at every frame, so the browser swaps the data in its view."""
    final = chart(name, key, result, build)
    if frame is None:
        return final
    return derived(f"{name} chart {frame}", key, result, lambda: with_datasets(final, frame_data()))


def show_learning_curves(key: Hashable, result, where=None, marks=None) -> None:
    """The stored result's loss and accuracy curves (a regression's loss only: its accuracy
    is R², nn_core.training), one chart each (specs built once). marks: {name: epoch} drawn
    as labelled rules (the replay's epoch, early stopping)."""
    for metric in ("loss",) if result.spec.regression else ("loss", "accuracy"):
        spec = chart(
            f"{metric} curves",
            key,
            result,
            lambda metric=metric: _curves(result.history, metric),
        )
        show_chart(charts.with_epoch_marks(spec, marks or {}), where, width="stretch")


def _curves(history, metric: str) -> dict:
    """charts.learning_curves as a spec: the chart of these curves built once for the server
    (chart_spec), this history's points swapped in (building it was 10 ms of every result)."""
    names, rows = charts.curve_rows(history, metric)
    spec = chart_spec(charts.learning_curves_chart, metric, names)
    return with_datasets(spec, {charts.CURVES: rows})


def forget(key: Hashable) -> None:
    """Drop a stored result (a stopped training, to train it in full)."""
    _store().forget(key)


def with_progress(label: str, run: Callable, show_curves: bool = True) -> Callable[[], object]:
    """A `make` for compute() that trains with a live progress bar (and growing loss curves,
    if show_curves) and a Stop button: run(progress) gets the progress as nn_core's
    on_epoch_end callback. The display disappears when training ends."""

    def make():
        progress = TrainingProgress(label, show_curves=show_curves)
        try:
            result = run(progress)
        except Exception:
            _clear(progress)
            if progress.interruption is None:
                raise
            # Interrupted before there was anything to keep (nn_core.pool.Cancelled: stopped
            # while queued for a slot): the page goes on with the student's new request.
            raise progress.interruption from None
        _clear(progress)
        _interrupted.exception = progress.interruption  # compute() raises it once stored
        return result

    return make


def _clear(progress: TrainingProgress) -> None:
    """Remove the progress display (the page may be interrupted just then: noted)."""
    try:
        progress.clear()
    except (RerunException, StopException) as late:
        progress.interruption = progress.interruption or late


def stopped_notice(result, key: Hashable) -> bool:
    """Say why a training ended early. One stopped on request offers to train in full: True
    when the student asked for that (the stopped result is forgotten; the page retrains)."""
    if not getattr(result, "stopped", None):
        return False
    if result.stopped != "stopped":
        st.error(result.stop_message, icon=":material/trending_up:")
        return False
    st.warning(result.stop_message, icon=":material/stop_circle:")
    if st.button(
        f"Train all {result.config.epochs:,} epochs",
        key=f"train in full {hash(key)}",
        icon=":material/play_arrow:",
    ):
        forget(key)
        return True
    return False
