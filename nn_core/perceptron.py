"""Rosenblatt's perceptron learning rule in NumPy, recording every step for replay.

The chapter's algorithm: initialise the weights theta randomly (small values); for each training
sample x(i) compute the output y'(i) = step(theta . x(i)), then adjust
theta <- theta + eta * (y(i) - y'(i)) * x(i). Here x carries a leading 1, so theta[0] is the bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PerceptronConfig:
    learning_rate: float = 0.1  # eta; any positive value converges on separable data
    max_epochs: int = 100  # passes over the data before giving up
    shuffle: bool = False  # visit samples in a new random order each epoch
    zero_init: bool = False  # start from theta = 0 instead of small random weights
    seed: int = 0  # initial weights and visiting order

    def __post_init__(self):
        if not self.learning_rate > 0:
            raise ValueError("The learning rate must be above 0: with 0 the weights never move.")
        if not 1 <= self.max_epochs <= 10_000:
            raise ValueError("Max epochs must be between 1 and 10,000.")


@dataclass(frozen=True)
class PerceptronHistory:
    """Every step of a run. Step k saw sample sample_index[k] with weights weights[k] and left
    weights[k + 1] (so weights has one more row than there are steps)."""

    weights: np.ndarray  # [steps + 1, 3]: bias, w1, w2
    sample_index: np.ndarray  # [steps]
    epoch: np.ndarray  # [steps], starting at 1
    target: np.ndarray  # [steps], y(i) in {0, 1}
    output: np.ndarray  # [steps], y'(i) in {0, 1}
    errors_per_epoch: np.ndarray  # [epochs run]
    converged: bool
    learning_rate: float

    @property
    def steps(self) -> int:
        return len(self.sample_index)

    @property
    def epochs_run(self) -> int:
        return len(self.errors_per_epoch)

    @property
    def misclassified(self) -> np.ndarray:
        return self.target != self.output


def step_output(weights: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Heaviside output of the perceptron: 1 where bias + w . x >= 0, else 0."""
    return (weights[0] + points @ weights[1:] >= 0).astype(np.int32)


def train_perceptron(
    points: np.ndarray, labels: np.ndarray, config: PerceptronConfig = PerceptronConfig()
) -> PerceptronHistory:
    """Apply the perceptron rule sample by sample until an epoch makes no error or max_epochs."""
    points = np.asarray(points, dtype=np.float64)
    labels = np.asarray(labels).astype(np.int32)
    _check(points, labels)
    rng = np.random.default_rng(config.seed)
    theta = np.zeros(3) if config.zero_init else rng.normal(scale=0.1, size=3)
    # Plain Python floats: a step is three multiplications, and NumPy's per-call overhead
    # would make 1,000 epochs on 200 points take seconds instead of a fraction of one.
    bias, w1, w2 = (float(value) for value in theta)
    rate, xs, ys = config.learning_rate, points.tolist(), labels.tolist()
    weights, steps, errors_per_epoch = [(bias, w1, w2)], [], []
    for epoch in range(1, config.max_epochs + 1):
        order = rng.permutation(len(xs)).tolist() if config.shuffle else range(len(xs))
        errors = 0
        for index in order:
            (x1, x2), target = xs[index], ys[index]
            output = 1 if bias + w1 * x1 + w2 * x2 >= 0 else 0
            change = rate * (target - output)  # eta (y - y'); the input 1 carries the bias
            bias, w1, w2 = bias + change, w1 + change * x1, w2 + change * x2
            errors += output != target
            weights.append((bias, w1, w2))
            steps.append((index, epoch, target, output))
        errors_per_epoch.append(errors)
        if errors == 0:
            break
    step_table = np.array(steps, dtype=np.int64).reshape(-1, 4)
    return PerceptronHistory(
        np.array(weights),
        step_table[:, 0],
        step_table[:, 1],
        step_table[:, 2],
        step_table[:, 3],
        np.array(errors_per_epoch),
        errors_per_epoch[-1] == 0,
        rate,
    )


def _check(points: np.ndarray, labels: np.ndarray) -> None:
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError("The perceptron here works on 2-D points (shape [samples, 2]).")
    if len(points) != len(labels):
        raise ValueError(f"{len(points)} points but {len(labels)} labels.")
    if len(points) < 2:
        raise ValueError("Use at least 2 samples: one point teaches nothing about a boundary.")
    if not set(np.unique(labels)) <= {0, 1}:
        raise ValueError("Labels must be 0 or 1.")
    if len(np.unique(labels)) < 2:
        raise ValueError("All samples are in one class: there is no boundary to learn.")


def line_through(weights: np.ndarray, x_range: tuple[float, float]) -> np.ndarray | None:
    """Two points of the decision line bias + w1 x + w2 y = 0 across x_range, or None when
    w1 = w2 = 0 (no line yet). A vertical line (w2 = 0) is returned as two points at x."""
    bias, w1, w2 = weights
    if abs(w2) > 1e-12:
        xs = np.array(x_range, dtype=float)
        return np.column_stack([xs, -(bias + w1 * xs) / w2])
    if abs(w1) > 1e-12:
        x_value = -bias / w1
        return np.array([[x_value, -1e3], [x_value, 1e3]])
    return None
