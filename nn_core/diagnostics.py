"""Small judgements the pages state in words: is a run under- or overfitting, how sparse are
its weights, which epoch was best."""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse

from nn_core import training
from nn_core.data import IMDB_UNKNOWN, multi_hot, reviews_from_lists

UNDERFIT_ACCURACY = 0.88  # below this on training data, the model misses the pattern itself
OVERFIT_GAP = 0.05  # training accuracy this far above validation means memorised noise


def fit_verdict(train_accuracy: float, validation_accuracy: float) -> tuple[str, str]:
    """(sentence, kind) with kind one of 'success', 'warning', 'info'."""
    if math.isnan(validation_accuracy):
        return ("No validation data: hold some out to see over- or underfitting.", "info")
    gap = train_accuracy - validation_accuracy
    if train_accuracy < UNDERFIT_ACCURACY and gap < OVERFIT_GAP:
        return (
            f"Underfitting: even on the training data the accuracy is only "
            f"{train_accuracy:.0%}. Try more units, more layers or more epochs.",
            "warning",
        )
    if gap >= OVERFIT_GAP:
        return (
            f"Overfitting: training accuracy is {gap:.0%} above validation accuracy. "
            "Try fewer units, L2, or dropout.",
            "warning",
        )
    return (f"A good fit: training and validation accuracy are within {abs(gap):.0%}.", "success")


def near_zero_share(weights: np.ndarray, threshold: float = 0.01) -> float:
    """Share of weights whose magnitude is below the threshold (L1 drives many there)."""
    return float(np.mean(np.abs(weights) < threshold)) if weights.size else 0.0


def best_epoch(validation_losses) -> int:
    """1-based epoch of the lowest validation loss."""
    return int(np.nanargmin(np.asarray(validation_losses))) + 1


def confusion_matrix(true_labels, predicted_labels, classes: int) -> np.ndarray:
    """Counts [true class, predicted class]."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true_labels), np.asarray(predicted_labels)), 1)
    return matrix


def word_influence(result, vocabulary_size: int) -> np.ndarray:
    """For every word index, how much a review made of only that word moves the predicted
    probability of 'positive' compared with an empty review. An honest, simple attribution:
    it runs the real network (ReLUs included) on one-word inputs, nothing is linearised."""
    one_word = sparse.identity(vocabulary_size, dtype=np.float32, format="csr")
    empty = sparse.csr_matrix((1, vocabulary_size), dtype=np.float32)
    baseline = training.predict(result, empty)[0, 0]
    return training.predict(result, one_word)[:, 0] - baseline


def review_contributions(result, encoded: list[int], vocabulary_size: int):
    """(probability of 'positive', {word index: contribution}) for one encoded review. A word's
    contribution is the probability with the review as written minus the probability with every
    occurrence of that word removed (leave one word out: the real network, nothing linearised).
    Markers and unknown words (indices 0-2) get no entry."""
    words = sorted({index for index in encoded if index > IMDB_UNKNOWN})
    variants = [encoded] + [[index for index in encoded if index != word] for word in words]
    matrix = multi_hot(reviews_from_lists(variants), vocabulary_size)
    probabilities = training.predict(result, matrix)[:, 0]
    return float(probabilities[0]), {
        word: float(probabilities[0] - without)
        for word, without in zip(words, probabilities[1:], strict=True)
    }
