"""Judgements the pages state in words: is a run under- or overfitting, did it diverge, how sparse
are its weights, which epoch was best, which words sway an IMDB model.

Under- and overfitting are judged against what the data allows. The 2-D data sets are
generated, so the process behind them is known: the "true pattern" is the probability of each
class given a point under that process (nn_core.data.noise_free_centres). No classifier can do
better on average, and on noisy data it is far from 100%: moons at noise 0.4 is right about 85%
of the time. A network whose training loss is clearly above the true pattern's on the same
points has not captured the pattern (underfitting); one whose training loss is below it has
learned the noise of its particular samples, and overfits when that costs it on validation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.special import logsumexp

from nn_core import training
from nn_core.data import IMDB_UNKNOWN, multi_hot, noise_free_centres, reviews_from_lists

# Margins in mean cross-entropy against the true pattern on the same samples, read off the
# chapter's moons (noise 0.4, 30% held out), circles and XOR over several weight seeds: 1 unit
# sits 0.07 above the true pattern on its training data; 50 units sit 0.04-0.10 below it and
# their validation-minus-training gap is 0.11-0.42 wider than the true pattern's own gap;
# with L2 0.001 or dropout 0.25 on moons that excess gap stays under 0.07.
UNDERFIT_MARGIN = 0.03  # training loss this far above the true pattern's: pattern not captured
OVERFIT_MARGIN = 0.09  # train-validation gap this much wider than the true pattern's gap
DIVERGED_FACTOR = 4.0  # a loss this many times the guessing level: the steps overshoot


@dataclass(frozen=True)
class PatternScores:
    """Mean cross-entropy and accuracy of the true pattern on the training and validation
    samples: the best a classifier can be expected to do on these very points."""

    train_loss: float
    train_accuracy: float
    validation_loss: float
    validation_accuracy: float


def true_pattern_probabilities(name: str, noise: float, points: np.ndarray) -> np.ndarray:
    """P(class 1 | point) under the process that generated the toy data set `name`."""
    centres, spread = noise_free_centres(name, noise)
    spread = max(spread, 1e-3)  # noise 0: the classes never overlap
    log_density = [
        logsumexp(
            -((points[:, None, :] - class_centres[None]) ** 2).sum(axis=-1) / (2 * spread**2),
            axis=1,
        )
        for class_centres in centres
    ]
    return np.exp(log_density[1] - np.logaddexp(log_density[0], log_density[1]))


def pattern_scores(name: str, noise: float, split) -> PatternScores:
    """The true pattern's loss and accuracy on a split of that data set (data.Split)."""
    train = _scores(true_pattern_probabilities(name, noise, split.x_train), split.y_train)
    validation = _scores(
        true_pattern_probabilities(name, noise, split.x_validation), split.y_validation
    )
    return PatternScores(*train, *validation)


def _scores(probabilities: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    if len(labels) == 0:
        return math.nan, math.nan
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)  # as Keras clips before the log
    loss = -np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))
    return float(loss), float(np.mean((probabilities > 0.5) == labels))


@dataclass(frozen=True)
class Limits:
    """The largest (or smallest) values a page offers, so advice never asks for more."""

    max_units: int = 100
    max_layers: int = 4
    max_epochs: int = 10_000
    max_l2: float = 0.1
    max_dropout: float = 0.8
    max_samples: int = 2000
    min_learning_rate: float = 0.0001


@dataclass(frozen=True)
class Verdict:
    kind: str  # "underfitting", "overfitting", "good fit", "diverged" or "no validation"
    message: str  # a sentence about the network on screen, with its numbers


def fit_verdict(result, pattern: PatternScores, samples: int, limits: Limits = Limits()) -> Verdict:
    """Judge a trained 2-D classifier against the true pattern of its data (see module doc)."""
    metrics = result.metrics
    if _diverged(result):
        return _diverged_verdict(result, limits)
    if math.isnan(metrics["val_loss"]):
        return Verdict(
            "no validation", "No validation data: hold some out to see over- or underfitting."
        )
    train_excess = metrics["train_loss"] - pattern.train_loss
    validation_excess = metrics["val_loss"] - pattern.validation_loss
    compared = (
        f"training loss {metrics['train_loss']:.2f} against the true pattern's "
        f"{pattern.train_loss:.2f}, validation loss {metrics['val_loss']:.2f} against "
        f"{pattern.validation_loss:.2f}"
    )
    if train_excess > UNDERFIT_MARGIN:
        return Verdict(
            "underfitting",
            "Underfitting: even on its own training samples the network does worse than the "
            f"true pattern behind the data ({compared}): it has not captured the pattern. "
            + _try(_underfitting_advice(result, limits)),
        )
    if train_excess < 0 < validation_excess and validation_excess - train_excess > OVERFIT_MARGIN:
        return Verdict(
            "overfitting",
            "Overfitting: the network fits its training samples better than the true pattern "
            f"behind the data does and new samples worse ({compared}): it has learned the "
            "noise of its training samples. "
            + _accuracies_lag(metrics)
            + _try(_overfitting_advice(result, samples, limits)),
        )
    return Verdict(
        "good fit",
        f"A good fit: close to the true pattern behind the data ({compared}). The true pattern "
        f"itself gets {pattern.validation_accuracy:.0%} of these validation samples right: "
        "the rest is noise that no classifier can predict.",
    )


def _accuracies_lag(metrics) -> str:
    """For an overfitting network whose validation accuracy is not below its training
    accuracy: why the verdict still holds, since a student compares the two first."""
    train, validation = metrics["train_accuracy"], metrics["val_accuracy"]
    if validation < train:
        return ""
    return (
        f"Its accuracies do not show it ({validation:.1%} on validation, {train:.1%} on "
        "training): accuracy counts only right and wrong answers, while the loss also weighs "
        "how sure each answer is, and that is where it does worse on new samples. "
    )


def _diverged(result) -> bool:
    """The loss became NaN or infinite, ended worse than guessing, or shot far above the
    guessing level while the network ends no better than a guess."""
    losses = result.history["loss"].to_numpy()
    final_loss, accuracy = result.metrics["train_loss"], result.metrics["train_accuracy"]
    if not np.isfinite(losses).all() or not math.isfinite(final_loss):
        return True
    guessing_loss = _guessing_loss(result.spec)
    return final_loss > 2 * guessing_loss or (
        accuracy < 0.6 and losses.max() > DIVERGED_FACTOR * guessing_loss
    )


def _guessing_loss(spec) -> float:
    """The cross-entropy of a network that gives every class the same probability (log 2 for
    two classes): where a fresh network starts."""
    return math.log(max(spec.output_units, 2))


def _diverged_verdict(result, limits: Limits) -> Verdict:
    losses = result.history["loss"].to_numpy()
    accuracy = result.metrics["train_accuracy"]
    if np.isfinite(losses).all():
        final = result.metrics["train_loss"]
        what = (
            f"the training loss rose as high as {max(losses.max(), final):.1f} and ends at "
            f"{final:.2f}, where answering 50/50 for every sample would score "
            f"{_guessing_loss(result.spec):.2f}"
        )
    else:
        what = "the loss became infinite or not a number"
    ending = f"the network ends at {accuracy:.0%} training accuracy"
    if accuracy < 0.6:
        ending += ", no better than guessing"
    advice = []
    if result.config.learning_rate > limits.min_learning_rate:
        advice.append(f"a learning rate below {result.config.learning_rate:g}")
    if result.config.optimizer in {"sgd", "momentum"}:
        advice.append("Adam or RMSprop, which adapt the size of each step")
    return Verdict(
        "diverged",
        f"Training diverged: {what}; {ending}. The steps are too large for this network, so "
        "they overshoot. " + _try(advice),
    )


def _underfitting_advice(result, limits: Limits) -> list[str]:
    spec, config = result.spec, result.config
    advice = []
    regularizers = [
        f"{name} {value:g}"
        for name, value in (
            ("L1", spec.l1_rate),
            ("L2", spec.l2_rate),
            ("dropout", spec.dropout_rate),
        )
        if value
    ]
    if regularizers:
        advice.append(f"less regularization ({' and '.join(regularizers)} hold it back)")
    if max(spec.hidden_units, default=0) < limits.max_units:
        advice.append("more units")
    if len(spec.hidden_units) < limits.max_layers:
        advice.append("more layers")
    if config.epochs < limits.max_epochs:
        advice.append("more epochs")
    return advice or ["another activation or optimizer: every size is at the page's limit"]


def _overfitting_advice(result, samples: int, limits: Limits) -> list[str]:
    spec = result.spec
    advice = []
    if spec.l2_rate < limits.max_l2:
        advice.append("more L2" if spec.l2_rate else "L2 (the chapter uses 0.001)")
    if spec.dropout_rate < limits.max_dropout:
        advice.append("more dropout" if spec.dropout_rate else "dropout (the chapter uses 0.25)")
    if max(spec.hidden_units, default=1) > 1:
        advice.append("fewer units")
    if samples < limits.max_samples:
        advice.append("more samples")
    return advice


def _try(advice: list[str]) -> str:
    if not advice:
        return ""
    listed = advice[0] if len(advice) == 1 else ", ".join(advice[:-1]) + ", or " + advice[-1]
    return f"Try {listed}."


# ---------------------------------------------------------------------------- weights and curves


def near_zero_share(weights: np.ndarray, threshold: float = 0.01) -> float:
    """Share of weights whose magnitude is below the threshold (L1 drives many there)."""
    return float(np.mean(np.abs(weights) < threshold)) if weights.size else 0.0


def best_epoch(validation_losses) -> int:
    """1-based epoch of the lowest validation loss."""
    return int(np.nanargmin(np.asarray(validation_losses))) + 1


def boundary_is_linear(points: np.ndarray, predicted: np.ndarray, agreement: float = 0.995) -> bool:
    """Whether a two-class map over the plane (points [n, 2], predicted 0/1 [n]) is split by
    a straight line, as far as a plot shows: the best linear classifier of the map's own
    labels (logistic regression, almost unregularised) agrees with it at `agreement` of the
    points or more. One class everywhere counts as linear (no boundary to bend)."""
    from sklearn.linear_model import LogisticRegression

    predicted = np.asarray(predicted).astype(int)
    if predicted.min() == predicted.max():
        return True
    line = LogisticRegression(C=1e4, max_iter=2000).fit(points, predicted)
    return bool(np.mean(line.predict(points) == predicted) >= agreement)


def confusion_matrix(true_labels, predicted_labels, classes: int) -> np.ndarray:
    """Counts [true class, predicted class]."""
    matrix = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(matrix, (np.asarray(true_labels), np.asarray(predicted_labels)), 1)
    return matrix


# ---------------------------------------------------------------------------- IMDB attributions


def word_influence(result, vocabulary_size: int) -> np.ndarray:
    """For every word index, how much a review made of only that word moves the predicted
    probability of 'positive' compared with an empty review. An honest, simple attribution:
    it runs the real network (ReLUs included) on one-word inputs, nothing is linearised."""
    one_word = sparse.identity(vocabulary_size, dtype=np.float32, format="csr")
    empty = sparse.csr_matrix((1, vocabulary_size), dtype=np.float32)
    baseline = training.predict(result, empty)[0, 0]
    return training.predict(result, one_word)[:, 0] - baseline


def top_words(influence: np.ndarray, words: dict[int, str], count: int = 15) -> list[tuple]:
    """The `count` words that push most towards positive, then the `count` that push most
    towards negative, as (word, influence). Only real words are ranked: the markers, the
    unused index 3 and stray tokens of the word index (such as '\\x96') are not words."""
    ranked = [index for index in np.argsort(influence) if _is_word(words.get(int(index), ""))]
    chosen = ranked[::-1][:count] + ranked[:count]
    return [(words[int(index)], float(influence[index])) for index in chosen]


def _is_word(token: str) -> bool:
    """Letters, possibly with apostrophes or hyphens inside ("don't", "well-made")."""
    return any(character.isalpha() for character in token) and all(
        character.isalpha() or character in "'-" for character in token
    )


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
