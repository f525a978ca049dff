"""Shared test setup: quiet TensorFlow, the repository on sys.path, tiny Keras-format datasets."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Every chart a page draws in a test is checked against Vega-Lite's schema (the app skips it).
os.environ.setdefault("NN_EXPLORER_VALIDATE_CHARTS", "1")
# No background warm-up in the suite's pages and servers (ui.warmup): compiling networks no
# test asked for took minutes of the suite's two cores. The benches keep it, as users have it.
os.environ.setdefault("NN_EXPLORER_WARM_UP", "0")
# Compiled loops kept on disk (nn_core.xla_cache): a new folder per test session, as on a
# fresh machine, shared by the session's pages and servers.
os.environ.setdefault("NN_EXPLORER_XLA_CACHE", tempfile.mkdtemp(prefix="nn-xla-"))
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# The class store of every page and server a test starts: a new SQLite file per test session,
# never the app's own .class_data/ (tests that need another database set their own).
os.environ["NN_CLASS_DB"] = tempfile.mkdtemp(prefix="nn-class-") + "/class.sqlite"
os.environ.pop("NN_CLASS_DB_URL", None)
# The real MNIST and IMDB files: ../shared/datasets beside the clone (CI has them; see the
# README's offline section), or wherever NN_CORE_DATA_DIR points.
REAL_DATA = Path(os.environ.get("NN_CORE_DATA_DIR") or ROOT.parent / "shared" / "datasets")


def require_real_data(file_name: str) -> Path:
    """The real datasets' folder. Without `file_name` there: CI fails (it must check the
    chapter's results, never skip them); elsewhere the test is skipped."""
    if (REAL_DATA / file_name).is_file():
        return REAL_DATA
    message = f"The real file {file_name} is not in {REAL_DATA}: set NN_CORE_DATA_DIR."
    if os.environ.get("CI"):
        raise RuntimeError(message)
    pytest.skip(message)


def write_tiny_mnist(folder: Path, train: int = 600, test: int = 200) -> None:
    """A learnable MNIST stand-in in Keras' layout: each class lights its own 3-row band."""
    rng = np.random.default_rng(0)

    def images_for(labels):
        images = rng.integers(0, 40, size=(len(labels), 28, 28)).astype(np.uint8)
        for image, label in zip(images, labels, strict=True):
            image[2 + label * 2 : 5 + label * 2, 4:24] = 250
        return images

    y_train = (np.arange(train) % 10).astype(np.uint8)
    y_test = (np.arange(test) % 10).astype(np.uint8)
    np.savez(
        folder / "mnist.npz",
        x_train=images_for(y_train),
        y_train=y_train,
        x_test=images_for(y_test),
        y_test=y_test,
    )


TINY_WORDS = [
    "the",
    "movie",
    "was",
    "great",
    "awful",
    "plot",
    "acting",
    "loved",
    "boring",
    "and",
    "a",
    "wonderful",
    "terrible",
    "story",
    "film",
]


def write_tiny_imdb(folder: Path, reviews: int = 2000) -> None:
    """IMDB in Keras' raw layout (object arrays of word-rank lists) plus its word index:
    positive reviews use 'great', 'loved', 'wonderful'; negative ones 'awful', 'boring', ..."""
    word_index = {word: rank for rank, word in enumerate(TINY_WORDS, start=1)}
    positive = [word_index[w] for w in ("great", "loved", "wonderful")]
    negative = [word_index[w] for w in ("awful", "boring", "terrible")]
    neutral = [word_index[w] for w in ("the", "movie", "was", "plot", "acting", "and", "a")]
    rng = np.random.default_rng(1)

    def part(count):
        labels = (np.arange(count) % 2).astype(np.int64)
        sequences = np.empty(count, dtype=object)
        for index, label in enumerate(labels):
            words = list(rng.choice(neutral, 8)) + list(
                rng.choice(positive if label else negative, 3)
            )
            rng.shuffle(words)
            sequences[index] = [int(word) for word in words]
        return sequences, labels

    x_train, y_train = part(reviews)
    x_test, y_test = part(reviews // 2)
    np.savez(folder / "imdb.npz", x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test)
    (folder / "imdb_word_index.json").write_text(json.dumps(word_index))


@pytest.fixture(scope="session")
def tiny_data_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("datasets")
    write_tiny_mnist(folder)
    write_tiny_imdb(folder)
    return folder


@pytest.fixture
def offline_data(tiny_data_dir, monkeypatch) -> Path:
    """Point nn_core at the tiny Keras-format files."""
    monkeypatch.setenv("NN_CORE_DATA_DIR", str(tiny_data_dir))
    return tiny_data_dir


# ---------------------------------------------------------------- browser tests


@pytest.fixture(scope="session")
def server(tiny_data_dir):
    """A `streamlit run` server on the tiny datasets, shared by the browser test modules (as
    a class shares one: each test opens its own tabs, so its own sessions). One per module
    cost each a server start and its first compilations again, about a minute in all."""
    from browser_helpers import ROOT as REPOSITORY
    from browser_helpers import streamlit_server

    artifacts = REPOSITORY / "test-artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")  # (each worker has its own server)
    log = artifacts / f"server-{worker}.log"
    with streamlit_server(log, NN_CORE_DATA_DIR=str(tiny_data_dir)) as (
        url,
        _process,
    ):
        yield url


@pytest.fixture(scope="module")
def browser():
    from browser_helpers import chromium

    with chromium() as launched:
        yield launched
