"""The server's store of results, keyed by their settings: trained networks, boundary grids,
test predictions, files. One store with two verbs: lookup(key) and compute(key, make).

Results live in a process-wide, bounded store rather than st.cache_data because a miss must
show a live progress bar while it trains, and 30 students asking for the same setting at once
should wait for one training instead of starting 30.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import streamlit as st
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from ui.progress import TrainingProgress

MAX_RESULTS = 256


class ResultStore:
    """A thread-safe LRU of finished results, with one lock per key so identical requests
    made at the same time compute once."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._results: OrderedDict[Hashable, object] = OrderedDict()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def forget(self, key: Hashable) -> None:
        with self._lock:
            self._results.pop(key, None)

    def lookup(self, key: Hashable, settle_seconds: float = 2.0):
        """The stored result, or None. If this key is being computed, wait up to
        settle_seconds for it: an interrupted training (Streamlit starts the page's next run
        at once, while the stopped one is still storing what it learned) takes a moment."""
        with self._lock:
            key_lock = self._key_locks.get(key)
        if key_lock is not None and key_lock.acquire(timeout=settle_seconds):
            key_lock.release()
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        return None

    def compute(self, key: Hashable, make: Callable[[], object]):
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            stored = self.lookup(key, settle_seconds=0)  # (this thread holds the key's lock)
            if stored is not None:
                return stored
            result = make()
            with self._lock:
                self._results[key] = result
                while len(self._results) > self.max_entries:
                    self._results.popitem(last=False)
                self._key_locks.pop(key, None)
            return result


@st.cache_resource(show_spinner=False)
def _store() -> ResultStore:
    return ResultStore(MAX_RESULTS)


def lookup(key: Hashable):
    """The result stored for key, or None (never computes)."""
    return _store().lookup(key)


# A training interrupted by the page (Stop, another control, the tab closed) is stored as it
# stands, and the interruption raised afterwards so that Streamlit goes on with it.
_interrupted = threading.local()


def compute(key: Hashable, make: Callable[[], object]):
    """The result stored for key, or make() once for the whole server and store it."""
    result = _store().compute(key, make)
    interruption = getattr(_interrupted, "exception", None)
    if interruption is not None:
        _interrupted.exception = None
        raise interruption
    return result


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
            return run(progress)
        finally:
            try:
                progress.clear()
            except (RerunException, StopException) as late:  # interrupted just now
                progress.interruption = progress.interruption or late
            _interrupted.exception = progress.interruption

    return make


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
