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

    def lookup(self, key: Hashable):
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        return None

    def compute(self, key: Hashable, make: Callable[[], object]):
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            stored = self.lookup(key)
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


def compute(key: Hashable, make: Callable[[], object]):
    """The result stored for key, or make() once for the whole server and store it."""
    return _store().compute(key, make)


def with_progress(label: str, run: Callable, show_curves: bool = True) -> Callable[[], object]:
    """A `make` for compute() that trains with a live progress bar (and growing loss curves,
    if show_curves): run(progress) gets the progress as nn_core's on_epoch_end callback. The
    display disappears when training ends."""

    def make():
        progress = TrainingProgress(label, show_curves=show_curves)
        try:
            return run(progress)
        finally:
            progress.clear()

    return make
