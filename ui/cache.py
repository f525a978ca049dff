"""Caches at the app boundary: datasets once per process, training results keyed by settings.

Training results live in a process-wide, bounded store rather than st.cache_data because a
cache miss must show a live progress bar while it trains, and 30 students asking for the same
setting at once should wait for one training instead of starting 30.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable

import streamlit as st

from nn_core import data
from ui.progress import TrainingProgress


class ResultStore:
    """A thread-safe LRU of finished results, with one lock per key so identical requests
    made at the same time train once."""

    def __init__(self, max_entries: int):
        self.max_entries = max_entries
        self._results: OrderedDict[Hashable, object] = OrderedDict()
        self._key_locks: dict[Hashable, threading.Lock] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            if key in self._results:
                self._results.move_to_end(key)
                return self._results[key]
        return None

    def get_or_compute(self, key: Hashable, compute: Callable[[], object]):
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            cached = self.get(key)
            if cached is not None:
                return cached
            result = compute()
            with self._lock:
                self._results[key] = result
                while len(self._results) > self.max_entries:
                    self._results.popitem(last=False)
                self._key_locks.pop(key, None)
            return result


@st.cache_resource(show_spinner=False)
def result_store() -> ResultStore:
    return ResultStore(max_entries=256)


def stored_result(key: Hashable):
    """The result stored for key, or None (never computes)."""
    return result_store().get(key)


def cached(key: Hashable, compute: Callable[[], object]):
    """compute() once per key for the whole server (a grid, test predictions, a file)."""
    return result_store().get_or_compute(key, compute)


def train_cached(key: Hashable, run: Callable, label: str = "Training", show_curves: bool = True):
    """The cached result for key; on a miss run(progress) trains with a live progress bar
    (and growing loss curves) that disappears when it is done."""

    def compute():
        progress = TrainingProgress(label, show_curves=show_curves)
        try:
            return run(progress)
        finally:
            progress.clear()

    return result_store().get_or_compute(key, compute)


def _read_only(*arrays):
    for array in arrays:
        array.setflags(write=False)


@st.cache_resource(show_spinner="Loading MNIST (once per server)…")
def mnist() -> data.Mnist:
    """MNIST shared read-only by all sessions."""
    dataset = data.load_mnist()
    _read_only(dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
    return dataset


@st.cache_resource(show_spinner="Loading IMDB reviews (once per server)…", max_entries=4)
def imdb(vocabulary_size: int) -> data.Imdb:
    """IMDB at one vocabulary size, shared read-only by all sessions."""
    return data.load_imdb(vocabulary_size)


@st.cache_resource(show_spinner="Encoding reviews as multi-hot vectors…", max_entries=4)
def imdb_matrices(vocabulary_size: int) -> data.ImdbMatrices:
    """The chapter's split as sparse multi-hot matrices, shared read-only by all sessions."""
    return data.imdb_matrices(imdb(vocabulary_size))


@st.cache_resource(show_spinner=False)
def imdb_word_index() -> dict[str, int]:
    return data.load_imdb_word_index()


@st.cache_resource(show_spinner=False)
def imdb_words_by_index() -> dict[int, str]:
    """Index -> word, built once (88,584 words) instead of on every decoded review."""
    return data.words_by_index(imdb_word_index())
