"""The chapter's IMDB story on the real reviews, asserted rather than only printed by
bench/imdb.py: the baseline overfits, and the regularized network ends better.

The real datasets: conftest.REAL_DATA."""

import pytest

from conftest import REAL_DATA, require_real_data
from nn_core import chapter, data, diagnostics, training


@pytest.fixture(scope="module")
def chapter_split():
    """The chapter's split (15,000 training and 10,000 validation reviews); the test set is
    cut to 100 reviews, as nothing here reads it."""
    require_real_data("imdb.npz")
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
