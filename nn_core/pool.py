"""A process-wide pool of compiled networks, lent to one run at a time.

Why a pool: building, compiling and tracing a fresh model on every Streamlit rerun leaks a few
MB each time and costs a second of tracing. A network is checked out by one run at a time
(never shared between concurrent sessions), reset by its user, and returned afterwards, so its
traced functions are reused by the next run of that spec.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager

import tensorflow as tf

from nn_core.models import ModelSpec, compiled_form
from nn_core.networks import Network

# Pooled networks kept across all specs; older idle ones are dropped beyond this. Dropping one
# frees almost nothing (TensorFlow keeps what it compiled for the process's life: 24 dropped
# moons networks gave back 6 of 272 MB), and compiling it again costs its ~9 MB once more; so
# the pool keeps many, and memory grows only with the distinct networks a server has seen.
MAX_IDLE_NETWORKS = 96

_idle_networks: OrderedDict[ModelSpec, list[Network]] = OrderedDict()
_pool_lock = threading.Lock()

# Trainings run in three lanes by their estimated time (nn_core.cost), so that no kind waits
# behind a slower kind:
# - short (the chapter's settings, a slider's next value): one slot per core, used by short
#   ones only. A classroom's 30 simultaneous requests queue there for a core instead of each
#   building and XLA-compiling a network of its own (half a second of CPU each); queued runs
#   reuse the pooled networks and take ~0.1 s apiece;
# - medium (an MNIST subset, the IMDB models: seconds): one slot;
# - long (asked for with a confirming click: minutes): one slot, so a student who starts one
#   delays only the next such student, and one session never holds two (its page waits).
# Up to cores + 2 trainings may run at once on the machine: a medium or long one shares the
# cores, more slowly, rather than making a short one wait seconds for a free slot.
SHORT_SECONDS = 2.0  # estimated at most this: the short lane
LONG_SECONDS = 10.0  # estimated above this: the long lane (a page asks before training)
_lanes = {
    "short": threading.BoundedSemaphore(max(2, os.cpu_count() or 2)),
    "medium": threading.BoundedSemaphore(1),
    "long": threading.BoundedSemaphore(1),
}
WAIT_REPORT_SECONDS = 0.25  # how often a queued training asks whether it is still wanted


class _Counter:
    """How many of something are under way (a context manager counts one), and a wait for
    none to be."""

    def __init__(self):
        self.count = 0
        self.changed = threading.Condition()

    @contextmanager
    def counting(self, counts: bool = True):
        if not counts:
            yield
            return
        with self.changed:
            self.count += 1
        try:
            yield
        finally:
            with self.changed:
                self.count -= 1
                self.changed.notify_all()

    def wait_for_none(self, timeout: float | None = None) -> None:
        with self.changed:
            self.changed.wait_for(lambda: self.count == 0, timeout=timeout)


_asked_for = _Counter()  # checkouts under way or queued, for wait_until_idle()
_short_running = _Counter()  # short trainings under way: give_way() pauses while any are


class Cancelled(Exception):
    """A training given up while it waited for its slot (its page was left or stopped)."""


def lane(seconds: float | None) -> str:
    """The lane of a training estimated at `seconds` (None: not estimated, e.g. a prediction,
    which is short)."""
    if seconds is None or seconds <= SHORT_SECONDS:
        return "short"
    return "medium" if seconds <= LONG_SECONDS else "long"


@contextmanager
def checkout(
    spec: ModelSpec, seconds: float | None = None, still_wanted: Callable[[], bool] | None = None
):
    """Lend a Network of this spec (built for its compiled form, configured with its rates)
    to one caller at a time; it returns to the pool after. A training estimated at `seconds`
    first waits for a slot in its lane, asking still_wanted() now and then: a student who
    presses Stop or closes the tab while queued leaves the queue at once."""
    chosen = lane(seconds)
    with (
        _asked_for.counting(),
        _slot(_lanes[chosen], still_wanted),
        _short_running.counting(chosen == "short"),
        _lend(compiled_form(spec)) as network,
    ):
        network.configure(spec)
        yield network


def wait_until_idle() -> None:
    """Until no network is asked for (trained, predicted with, or queued for): background work
    such as the warm-up's compiling waits here between its pieces, so that a student's first
    training after a restart never queues behind it."""
    _asked_for.wait_for_none()


def give_way(max_seconds: float) -> None:
    """Called by a medium or long training between its compiled calls: pause (up to
    max_seconds) while short trainings run, so the cores go to the students waiting for a
    slider's answer. Sharing the cores instead made those answers two to four times slower."""
    _short_running.wait_for_none(max_seconds)


@contextmanager
def _slot(slots: threading.BoundedSemaphore, still_wanted: Callable[[], bool] | None):
    while not slots.acquire(timeout=WAIT_REPORT_SECONDS):
        if still_wanted is not None and not still_wanted():
            raise Cancelled("The training was stopped while it waited for a free slot.")
    try:
        yield
    finally:
        slots.release()


@contextmanager
def _lend(spec: ModelSpec):
    with _pool_lock:
        idle = _idle_networks.get(spec)
        network = idle.pop() if idle else None
    if network is None:
        network = Network(spec)
    failed = False
    try:
        yield network
    except tf.errors.OpError:
        # A compiled call failed, and TensorFlow remembers that call's failure: this network
        # is not lent again (nn_core.training then trains once more on a new one).
        failed = True
        raise
    finally:
        if not failed:  # (an interrupted run, a rerun or Stop, leaves it fit for the next)
            with _pool_lock:
                _idle_networks.setdefault(spec, []).append(network)
                _idle_networks.move_to_end(spec)
                _trim_pool()


def idle_count() -> int:
    """Networks waiting in the pool (for the server's memory log)."""
    with _pool_lock:
        return sum(len(networks) for networks in _idle_networks.values())


def _trim_pool():
    """Drop the least recently used idle networks beyond the cap so memory stays bounded."""
    while sum(len(networks) for networks in _idle_networks.values()) > MAX_IDLE_NETWORKS:
        oldest_spec, networks = next(iter(_idle_networks.items()))
        networks.pop(0)
        if not networks:
            del _idle_networks[oldest_spec]
