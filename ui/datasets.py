"""MNIST and IMDB loaded once per server process and shared read-only by every session."""

from __future__ import annotations

import streamlit as st

from nn_core import chapter, data
from ui import results


@st.cache_data(max_entries=4, show_spinner=False)
def chapter_moons() -> data.Split:
    """The chapter's moons, split as the MLP page splits them by default."""
    return chapter.moons_split()


def _read_only(*arrays):
    for array in arrays:
        array.setflags(write=False)


@st.cache_resource(show_spinner="Loading MNIST (once per server)…")
def mnist() -> data.Mnist:
    dataset = data.load_mnist()
    _read_only(dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
    results.reserve("mnist", dataset)  # datasets count against the results' memory budget
    return dataset


@st.cache_resource(show_spinner="Loading IMDB reviews (once per server)…", max_entries=4)
def imdb(vocabulary_size: int) -> data.Imdb:
    """IMDB at one vocabulary size."""
    dataset = data.load_imdb(vocabulary_size)
    results.reserve(f"imdb {vocabulary_size}", dataset)
    return dataset


@st.cache_resource(show_spinner="Encoding reviews as multi-hot vectors…", max_entries=4)
def imdb_matrices(vocabulary_size: int) -> data.ImdbMatrices:
    """The chapter's split as sparse multi-hot matrices."""
    matrices = data.imdb_matrices(imdb(vocabulary_size))
    results.reserve(f"imdb matrices {vocabulary_size}", matrices)
    return matrices


@st.cache_resource(show_spinner=False)
def imdb_word_index() -> dict[str, int]:
    return data.load_imdb_word_index()


@st.cache_resource(show_spinner=False)
def imdb_words_by_index() -> dict[int, str]:
    """Index -> word, built once (88,584 words) instead of on every decoded review."""
    return data.words_by_index(imdb_word_index())
