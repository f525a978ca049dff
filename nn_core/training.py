"""Training loops and their result: full batch in one XLA graph, mini-batches one graph per epoch.

Both are seeded (initial weights, dropout masks and batch order come from config.seed), so the
same settings give the same curves, and both return the same TrainingResult.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd
import tensorflow as tf

from nn_core.data import plane_bounds
from nn_core.forward import as_network_input
from nn_core.models import ModelSpec, parameter_count
from nn_core.networks import HISTORY_COLUMNS, INITIALIZERS, MAX_FULL_BATCH_EPOCHS, OPTIMIZERS
from nn_core.pool import checkout

# Called after each epoch with (epochs done, epochs in all, history so far).
EpochCallback = Callable[[int, int, pd.DataFrame], None]


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "sgd"  # the chapter's moons runs use plain SGD
    learning_rate: float = 1.0  # the chapter's SGD(lr=1.0)
    epochs: int = 5000  # the chapter's moons runs
    batch_size: int | None = None  # None = full batch (batch gradient descent, as in the chapter)
    seed: int = 0  # fixes initial weights, dropout masks and batch order
    initializer: str = "glorot"  # how the kernels start (nn_core.networks.INITIALIZERS)

    def __post_init__(self):
        if self.initializer not in INITIALIZERS:
            raise ValueError(
                f"Unknown initializer '{self.initializer}': use {', '.join(INITIALIZERS)}."
            )
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"Unknown optimizer '{self.optimizer}': use {', '.join(OPTIMIZERS)}.")
        if not 0 < self.learning_rate <= 100:
            raise ValueError("The learning rate must be above 0 (and at most 100).")
        if not 1 <= self.epochs <= MAX_FULL_BATCH_EPOCHS:
            raise ValueError(f"Epochs must be between 1 and {MAX_FULL_BATCH_EPOCHS:,}.")
        if self.batch_size is not None and self.batch_size < 1:
            raise ValueError("The batch size must be at least 1.")


@dataclass(frozen=True)
class TrainingResult:
    spec: ModelSpec
    config: TrainConfig
    # One row per epoch: epoch, loss (data loss), total_loss (data loss + L1/L2 penalty),
    # accuracy, val_loss, val_accuracy. Training columns are measured during the epoch with
    # dropout active, as Keras' fit reports them.
    history: pd.DataFrame
    # Final figures in inference mode: train_loss, train_accuracy, val_loss, val_accuracy.
    metrics: dict[str, float]
    weights: list[np.ndarray] = field(repr=False)
    seconds: float = 0.0

    @property
    def parameter_count(self) -> int:
        return parameter_count(self.spec)

    @property
    def regularized(self) -> bool:
        """True when the reported total loss includes an L1/L2 penalty."""
        return bool(self.spec.l1_rate or self.spec.l2_rate)

    @property
    def hidden_kernels(self) -> list[np.ndarray]:
        """The kernel [fan_in, units] of every hidden layer, first layer first (the weights
        list holds kernel, bias for each Dense layer; the last pair is the output layer)."""
        return self.weights[0:-2:2]


def with_setting(spec: ModelSpec, config: TrainConfig, name: str, value):
    """(spec, config) with one hyperparameter changed, wherever it lives: e.g. a sweep over
    "hidden_units" (a one-layer network of that many units) or "learning_rate"."""
    if name == "hidden_units" and not isinstance(value, tuple):
        value = (value,)
    if name in {field.name for field in fields(TrainConfig)}:
        return spec, replace(config, **{name: value})
    return replace(spec, **{name: value}), config


def train(
    spec: ModelSpec,
    config: TrainConfig,
    x_train,
    y_train,
    x_validation=None,
    y_validation=None,
    on_epoch_end: EpochCallback | None = None,
) -> TrainingResult:
    """Train a fresh, seeded network of this spec; x may be dense or a CSR multi-hot matrix."""
    _check_data(spec, x_train, y_train)
    if x_validation is None:
        x_validation, y_validation = x_train[:0], y_train[:0]
    started = time.perf_counter()
    with checkout(spec) as network:
        network.reset(config.seed, config.initializer)
        trainer = network.trainer(config.optimizer, config.learning_rate)
        inputs = [as_network_input(x) for x in (x_train, x_validation)]
        labels = [
            tf.constant(y, tf.int32 if not spec.binary else tf.float32)
            for y in (y_train, y_validation)
        ]
        full_batch = config.batch_size is None or config.batch_size >= len(y_train)
        if full_batch and not isinstance(inputs[0], tf.RaggedTensor):
            rows = trainer.full_batch_loop(
                inputs[0],
                labels[0],
                inputs[1],
                labels[1],
                tf.constant(config.epochs),
                tf.constant(config.seed),
            )
            history = _history_frame(rows.numpy()[: config.epochs])
            if on_epoch_end:
                on_epoch_end(config.epochs, config.epochs, history)
        else:
            history = _train_mini_batches(network, trainer, inputs, labels, config, on_epoch_end)
        metrics = {
            **_prefixed("train", _evaluate(network, inputs[0], labels[0])),
            **_prefixed("val", _evaluate(network, inputs[1], labels[1])),
        }
        weights = network.weights()
    if len(y_validation) == 0:
        history[["val_loss", "val_accuracy"]] = np.nan
    return TrainingResult(spec, config, history, metrics, weights, time.perf_counter() - started)


def initial_weights(spec: ModelSpec, config: TrainConfig) -> list[np.ndarray]:
    """The weights a run of this setting starts from (same seed and initializer as train)."""
    with checkout(spec) as network:
        network.reset(config.seed, config.initializer)
        return network.weights()


def train_split(spec: ModelSpec, config: TrainConfig, split, on_epoch_end=None) -> TrainingResult:
    """train() on anything with x_train, y_train, x_validation, y_validation (a data.Split,
    data.ImdbMatrices)."""
    return train(
        spec,
        config,
        split.x_train,
        split.y_train,
        split.x_validation,
        split.y_validation,
        on_epoch_end,
    )


def _check_data(spec: ModelSpec, x, y) -> None:
    if len(y) == 0:
        raise ValueError("There are no training samples.")
    if x.shape[0] != len(y):
        raise ValueError(f"{x.shape[0]} samples but {len(y)} labels.")
    if x.shape[1] != spec.input_size:
        raise ValueError(
            f"The data has {x.shape[1]} features but the network expects {spec.input_size}."
        )
    classes = np.unique(np.asarray(y))
    if len(classes) < 2:
        raise ValueError("The training data holds only one class: there is nothing to tell apart.")
    if classes.max() >= max(spec.output_units, 2):
        raise ValueError(
            f"Labels go up to {classes.max()} but the network has "
            f"{spec.output_units} output unit(s)."
        )


def _history_frame(rows: np.ndarray) -> pd.DataFrame:
    history = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
    history.insert(0, "epoch", np.arange(1, len(rows) + 1))
    return history


def _train_mini_batches(network, trainer, inputs, labels, config, on_epoch_end):
    count = int(labels[0].shape[0])
    batch_size = min(config.batch_size or count, count)
    ragged = isinstance(inputs[0], tf.RaggedTensor)
    shuffler = np.random.default_rng(config.seed)
    rows = []
    for epoch in range(config.epochs):
        sums = np.zeros(3)
        # Keras fit shuffles every epoch too; full batches first, then the smaller remainder.
        for batches, full in _batch_matrices(shuffler.permutation(count), batch_size):
            # One remainder step is not worth an XLA compile of its own.
            epoch_function = trainer.dense_epoch if full and not ragged else trainer.graph_epoch
            sums += epoch_function(
                inputs[0], labels[0], batches, tf.constant(config.seed), tf.constant(epoch)
            ).numpy()
        loss, total_loss, accuracy = sums / count
        validation = _evaluate(network, inputs[1], labels[1])
        rows.append([loss, total_loss, accuracy, validation["loss"], validation["accuracy"]])
        if on_epoch_end:
            on_epoch_end(epoch + 1, config.epochs, _history_frame(np.array(rows)))
    return _history_frame(np.array(rows, dtype=np.float32))


def _batch_matrices(order: np.ndarray, batch_size: int):
    """The shuffled sample order as (index matrix [steps, batch_size], is full batches): all
    full batches, then the remainder as a one-row matrix (a fixed shape compiles once)."""
    full_steps = len(order) // batch_size
    if full_steps:
        matrix = order[: full_steps * batch_size].reshape(full_steps, batch_size)
        yield tf.constant(matrix, tf.int32), True
    if len(order) % batch_size:
        yield tf.constant(order[full_steps * batch_size :][None, :], tf.int32), False


def _evaluate(network, inputs, labels, chunk_size: int = 8192) -> dict[str, float]:
    """Mean data loss and accuracy in inference mode, in chunks to bound memory."""
    count = int(labels.shape[0])
    if count == 0:
        return {"loss": float("nan"), "accuracy": float("nan")}
    loss_sum = correct = 0.0
    for start in range(0, count, chunk_size):
        chunk_loss, chunk_correct = network.evaluate_batch(
            inputs[start : start + chunk_size], labels[start : start + chunk_size]
        )
        loss_sum += float(chunk_loss)
        correct += float(chunk_correct)
    return {"loss": loss_sum / count, "accuracy": correct / count}


def _prefixed(prefix: str, values: dict) -> dict:
    return {f"{prefix}_{key}": value for key, value in values.items()}


# ---------------------------------------------------------------------------- using a result


def evaluate(result: TrainingResult, x, y) -> dict[str, float]:
    """Loss and accuracy of a trained result on new data (e.g. the test set)."""
    with checkout(result.spec) as network:
        network.set_weights(result.weights)
        labels = tf.constant(y, tf.float32 if result.spec.binary else tf.int32)
        return _evaluate(network, as_network_input(x), labels)


def predict(
    result: TrainingResult, x, hidden_layer: int | None = None, chunk_size: int = 8192
) -> np.ndarray:
    """Output probabilities [n, outputs] by direct model calls (not model.predict, which costs
    ~30 ms a call); hidden_layer=k returns the k-th hidden layer's activations instead."""
    with checkout(result.spec) as network:
        network.set_weights(result.weights)
        inputs = as_network_input(x)
        count = int(inputs.shape[0])
        parts = [
            network.predict_batch(inputs[start : start + chunk_size], hidden_layer).numpy()
            for start in range(0, count, chunk_size)
        ]
    return np.concatenate(parts) if parts else np.zeros((0, result.spec.output_units), np.float32)


@dataclass(frozen=True)
class Grid:
    """A regular grid over the plane: x_values [columns], y_values [rows]."""

    x_values: np.ndarray
    y_values: np.ndarray

    @property
    def points(self) -> np.ndarray:
        xx, yy = np.meshgrid(self.x_values, self.y_values)
        return np.column_stack([xx.ravel(), yy.ravel()]).astype(np.float32)


def plane_grid(points: np.ndarray, resolution: int = 200) -> Grid:
    """A resolution x resolution grid over the plane the points are drawn on."""
    (x_low, x_high), (y_low, y_high) = plane_bounds(points)
    return Grid(
        np.linspace(x_low, x_high, resolution, dtype=np.float32),
        np.linspace(y_low, y_high, resolution, dtype=np.float32),
    )


def decision_grid(result: TrainingResult, grid: Grid) -> np.ndarray:
    """Probability of class 1 over the grid, shaped [rows, columns] (row 0 = lowest y)."""
    probabilities = predict(result, grid.points)[:, 0]
    return probabilities.reshape(len(grid.y_values), len(grid.x_values))
