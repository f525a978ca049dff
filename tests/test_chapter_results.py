"""The chapter's IMDB story on the real reviews, asserted rather than only printed by
bench/imdb.py: the baseline overfits, and the regularized network ends better.

The real datasets lie in ../shared/datasets beside the clone (CI has them; see README's
offline section), or wherever NN_CORE_DATA_DIR points."""

import os
from pathlib import Path

import pytest

from conftest import ROOT
from nn_core import chapter, data, diagnostics, training

REAL_DATA = Path(os.environ.get("NN_CORE_DATA_DIR") or ROOT.parent / "shared" / "datasets")

if not (REAL_DATA / "imdb.npz").is_file():
    message = f"The real IMDB files are not in {REAL_DATA}: set NN_CORE_DATA_DIR."
    if os.environ.get("CI"):
        raise RuntimeError(message)  # CI must check the chapter's story, never skip it
    pytest.skip(message, allow_module_level=True)


@pytest.fixture(scope="module")
def chapter_split():
    """The chapter's split (15,000 training and 10,000 validation reviews); the test set is
    cut to 100 reviews, as nothing here reads it."""
    with pytest.MonkeyPatch.context() as patch:  # only while loading: other tests use fixtures
        patch.setenv(data.DATA_DIR_VARIABLE, str(REAL_DATA))
        imdb = data.load_imdb(chapter.IMDB_VOCABULARY)
    reduced = data.Imdb(imdb.train, imdb.test.subset(0, 100), imdb.vocabulary_size)
    return data.imdb_matrices(reduced, chapter.IMDB_VALIDATION_SIZE)


def validation_losses(split, preset: str):
    result = training.train_split(chapter.IMDB_PRESETS[preset], chapter.IMDB_TRAINING, split)
    return result.history["val_loss"]


def test_the_baseline_overfits_and_dropout_with_l2_ends_better(chapter_split):
    baseline = validation_losses(chapter_split, "baseline 16-16")
    best = diagnostics.best_epoch(baseline)
    assert best < len(baseline) - 5  # the lowest validation loss comes well before the end
    assert baseline.iloc[-1] > baseline.min() + 0.1  # and then it climbs, clearly
    regularized = validation_losses(chapter_split, "8-8 + L2 + dropout 0.5")
    assert regularized.iloc[-1] < baseline.iloc[-1] - 0.05
