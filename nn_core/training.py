"""Training loops and their result: full batch and dense mini-batches many epochs per compiled
XLA call (sized to report progress, and be stoppable, several times a second), multi-hot
inputs one graph call per epoch.

All are seeded (initial weights, dropout masks and batch order come from config.seed), so the
same settings give the same curves, and all return the same TrainingResult.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd
import tensorflow as tf

from nn_core import xla_cache
from nn_core.data import plane_bounds
from nn_core.features import expand, padded
from nn_core.forward import as_network_input
from nn_core.models import ModelSpec, parameter_count
from nn_core.networks import (
    HISTORY_COLUMNS,
    INITIALIZERS,
    MAX_FULL_BATCH_EPOCHS,
    MAX_SNAPSHOTS,
    OPTIMIZERS,
)
from nn_core.pool import checkout, give_way, lane

# Called as training goes (several times a second, and at the end) with (epochs done, epochs
# in all, history so far). Returning STOP ends the training there: the result keeps what was
# learned so far and says where it stopped.
EpochCallback = Callable[[int, int, pd.DataFrame], object]
STOP = "stop"
# How often a long training reports progress, which is where a Stop is heard: its compiled
# calls are sized to take this long (a class's load stretches them two- to threefold).
REPORT_SECONDS = 0.1
GIVE_WAY_SECONDS = 0.25  # a slower training's longest pause for short ones (Stop waits for it)
MAX_CHUNK_INDICES = 1_000_000  # batch indices prepared per compiled call (4 MB)
# XLA pays off for narrow networks (the plane's 2 inputs: 2.4 ms a step became its arithmetic)
# but not beyond: for MNIST it cost ~1.3 s of compiling and ~25 MiB that TensorFlow never
# frees per new data shape (a class of students, each with a training-set size of their own,
# kept the server 600 MiB higher), and the chapter's run took 2.9 s cold and 1.2 s warm with
# it, 2.0 s and 1.4 s without.
MAX_XLA_INPUTS = 64
# What TensorFlow raises for a compiled loop whose file on disk is damaged (nn_core.xla_cache),
# as measured: a file cut short "Read less bytes than requested", one overwritten "Can't parse
# ... as binary proto". Neither arises otherwise in a training, so no other error empties the
# folder.
DAMAGED_FILE_ERRORS = (tf.errors.OutOfRangeError, tf.errors.DataLossError)


@dataclass(frozen=True)
class TrainConfig:
    optimizer: str = "sgd"  # the chapter's moons runs use plain SGD
    learning_rate: float = 1.0  # the chapter's SGD(lr=1.0)
    epochs: int = 5000  # the chapter's moons runs
    batch_size: int | None = None  # None = full batch (batch gradient descent, as in the chapter)
    seed: int = 0  # fixes initial weights, dropout masks and batch order
    initializer: str = "glorot"  # how the kernels start (nn_core.networks.INITIALIZERS)
    # Stop a run whose loss stays at chance level for a quarter of its epochs (at least 100):
    # it has learned nothing and will not. Off where a plateau is the lesson (all-zero
    # weights on the theory page).
    stop_at_chance: bool = True
    # Weight snapshots for a replay of the training, at about this many epochs spread
    # log-wise over the run (replay_epochs), taken inside the compiled loops; 0: none.
    replay_frames: int = 0
    # Early stopping as Keras' EarlyStopping(patience=..., restore_best_weights=...): end
    # once the validation loss (the training loss without validation samples) has not
    # improved for this many epochs; 0: off.
    patience: int = 0
    restore_best_weights: bool = True

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
        if not 0 <= self.replay_frames < MAX_SNAPSHOTS:
            raise ValueError(f"A replay has at most {MAX_SNAPSHOTS - 1} frames.")
        if self.patience < 0:
            raise ValueError("The early-stopping patience cannot be negative (0 turns it off).")


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
    # Why training ended before config.epochs ("diverged", "stalled" or "stopped": asked to),
    # and a sentence for the student; None for a complete run.
    stopped: str | None = None
    stop_message: str = ""
    # Early stopping: the epoch it ended at (None: it did not), and the epoch with the best
    # monitored loss (whose weights these are if config.restore_best_weights).
    early_stop_epoch: int | None = None
    best_epoch: int | None = None
    # The replay: weights after each of these epochs (0: the initial weights), in the order of
    # `weights`, from the compiled loop (config.replay_frames).
    snapshot_epochs: tuple[int, ...] = ()
    snapshots: tuple[list[np.ndarray], ...] = field(default=(), repr=False)

    @property
    def epochs_done(self) -> int:
        return len(self.history)

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
    seconds: float | None = None,
) -> TrainingResult:
    """Train a fresh, seeded network of this spec; x may be dense or a CSR multi-hot matrix.
    seconds: the caller's estimate (nn_core.cost), which picks its lane in the pool; while it
    waits for a slot there, on_epoch_end hears 0 epochs done, and STOP gives up
    (pool.Cancelled)."""
    _check_data(spec, x_train, y_train)
    arguments = (spec, config, x_train, y_train, x_validation, y_validation, on_epoch_end, seconds)
    try:
        return _train(*arguments)
    except DAMAGED_FILE_ERRORS:
        # Perhaps a damaged file of compiled loops (TensorFlow writes them whole, but a disk
        # can fail): they are a cache, so forget them and train again on a network that
        # compiles afresh (the pool does not lend the one that failed again).
        if not xla_cache.clear():
            raise
        return _train(*arguments)


def _train(spec, config, x_train, y_train, x_validation, y_validation, on_epoch_end, seconds):
    if x_validation is None:
        x_validation, y_validation = x_train[:0], y_train[:0]
    started = time.perf_counter()
    with checkout(spec, seconds, _still_wanted(on_epoch_end, config.epochs)) as network:
        network.reset(config.seed, config.initializer)
        trainer = network.trainer(config.optimizer, config.learning_rate)
        inputs = [_network_input(spec, x, network) for x in (x_train, x_validation)]
        labels = [
            tf.constant(y, tf.float32 if spec.float_labels else tf.int32)
            for y in (y_train, y_validation)
        ]
        watch = _Watch(network, config)
        full_batch = config.batch_size is None or config.batch_size >= len(y_train)
        compiled = not isinstance(inputs[0], tf.RaggedTensor) and spec.input_size <= MAX_XLA_INPUTS
        if not compiled:
            run_chunk, max_chunk = _graph_epochs(network, trainer, inputs, labels, config, watch)
        elif full_batch:
            run_chunk, max_chunk = _full_batch_epochs(trainer, inputs, labels, config, watch)
        else:
            run_chunk, max_chunk = _dense_epochs(trainer, inputs, labels, config, watch)
        chance = chance_level(y_train, spec.regression)
        pause = None if lane(seconds) == "short" else give_way
        history, stopped = _run_in_chunks(run_chunk, max_chunk, config, chance, on_epoch_end, pause)
        watch.finish(len(history))
        weights = network.weights()
        if compiled:  # (no evaluation compiled for each new network: see forward_metrics)
            train = forward_metrics(spec, weights, x_train, y_train)
            validation = watch.final_validation() or forward_metrics(
                spec, weights, x_validation, y_validation
            )
        else:
            train = _evaluate(network, inputs[0], labels[0])
            validation = _evaluate(network, inputs[1], labels[1])
        metrics = {**_prefixed("train", train), **_prefixed("val", validation)}
    if len(y_validation) == 0:
        history[["val_loss", "val_accuracy"]] = np.nan
    if spec.regression:
        _as_r_squared(history, metrics, y_train, y_validation)
    took = time.perf_counter() - started  # (`seconds` is the estimate it was given)
    message = stop_message(stopped, history, config, chance) if stopped else ""
    return TrainingResult(
        spec,
        config,
        history,
        metrics,
        weights,
        took,
        stopped,
        message,
        early_stop_epoch=len(history) if watch.stopped_early else None,
        best_epoch=watch.best_epoch or None,
        snapshot_epochs=tuple(watch.snapshots),
        snapshots=tuple(watch.unflattened(flat) for flat in watch.snapshots.values()),
    )


def _network_input(spec: ModelSpec, x, network):
    """What the first layer gets: the chosen features of the plane's points, or x as it is;
    zero-padded if the compiled network takes more inputs (see models.compiled_form)."""
    if spec.input_features:
        x = expand(x, spec.input_features)
    if network.compiled_sizes[0] > spec.input_size:
        x = padded(np.asarray(x, np.float32), network.compiled_sizes[0])
    return as_network_input(x)


def replay_epochs(epochs: int, frames: int) -> tuple[int, ...]:
    """About `frames` epochs from 1 to `epochs`, spread log-wise (early epochs change the
    boundary most), the last one included; fewer when the run has fewer epochs."""
    if frames <= 0:
        return ()
    count = frames
    while True:
        chosen = np.unique(np.round(np.geomspace(1, epochs, count)).astype(int))
        if len(chosen) >= min(frames, epochs) or count > 50 * frames:
            return tuple(int(epoch) for epoch in chosen[-frames:] if epoch >= 1)
        count += 1


class _Watch:
    """What a training watches as it goes, in the compiled loops (Network._watched_loop) or
    here epoch by epoch (the graph loop): weight snapshots for the replay, and the best
    monitored loss for early stopping, carried from one compiled call to the next."""

    def __init__(self, network, config: TrainConfig):
        self.network = network
        self.epochs = replay_epochs(config.epochs, config.replay_frames)
        self.patience = config.patience
        self.restore = config.restore_best_weights
        self.shapes = [tuple(v.shape) for v in network.model.trainable_variables]
        self.snapshots = {0: network.flat_weights().numpy()} if self.epochs else {}
        self.best_loss, self.best_epoch = np.inf, 0
        self.best_flat = np.zeros(sum(int(np.prod(shape)) for shape in self.shapes), np.float32)
        self.stopped_early = False
        # The compiled loops' last history row: the validation metrics at the weights they
        # leave (each row is evaluated after its epoch's step).
        self.last_row = None
        # What the compiled loop must watch (networks.Network._watched_loop).
        self.mode = "early" if self.patience else "replay" if self.epochs else "plain"

    def _planned(self, first: int, count: int) -> list[int]:
        return [epoch for epoch in self.epochs if first < epoch <= first + count]

    def arguments(self, first: int, count: int):
        """The watch argument of a compiled call for epochs first+1 .. first+count."""
        snapshot_at = np.full(MAX_SNAPSHOTS, -1, np.int32)
        planned = self._planned(first, count)
        snapshot_at[: len(planned)] = [epoch - first - 1 for epoch in planned]
        return (
            tf.constant(snapshot_at),
            tf.constant(self.patience),
            tf.constant(self.best_loss, tf.float32),
            tf.constant(self.best_epoch),
            tf.constant(self.best_flat),
        )

    def take(self, first: int, count: int, outputs) -> np.ndarray:
        """Keep what a compiled call watched; returns its history rows (the epochs it ran)."""
        history, snapshots, best_loss, best_epoch, best_flat, ran = outputs
        ran = int(ran)
        snapshots = snapshots.numpy()
        for slot, epoch in enumerate(self._planned(first, count)):
            if epoch <= first + ran:
                self.snapshots[epoch] = snapshots[slot]
        self.best_loss, self.best_epoch = float(best_loss), int(best_epoch)
        self.best_flat = best_flat.numpy()
        self.stopped_early = ran < count
        rows = history.numpy()[:ran]
        if len(rows):
            self.last_row = rows[-1]
        if self.mode == "replay":  # (that loop does not look for the best epoch: here it is)
            self._best_of(first, rows)
        return rows

    def _best_of(self, first: int, rows: np.ndarray) -> None:
        """The best monitored loss among epochs first+1 .. (history rows), as the watched
        loop keeps it: the validation loss, or the training loss without validation."""
        if not len(rows):
            return
        monitored = np.where(np.isnan(rows[:, 3]), rows[:, 0], rows[:, 3])
        monitored = np.where(np.isnan(monitored), np.inf, monitored)  # (a diverged epoch)
        best = int(np.argmin(monitored))
        if monitored[best] < self.best_loss:
            self.best_loss, self.best_epoch = float(monitored[best]), first + best + 1

    def after_epoch(self, epoch: int, row) -> bool:
        """The graph loop's epoch `epoch` (from 1) ended with history row `row`: watch it as
        the compiled loops do. True: early stopping ends the training here."""
        flat = self.network.flat_weights
        if epoch in self.epochs:
            self.snapshots[epoch] = flat().numpy()
        monitored = row[0] if np.isnan(row[3]) else row[3]
        if monitored < self.best_loss:
            self.best_loss, self.best_epoch = float(monitored), epoch
            if self.patience:
                self.best_flat = flat().numpy()
        self.stopped_early = bool(self.patience) and epoch - self.best_epoch >= self.patience
        return self.stopped_early

    def finish(self, epochs_done: int) -> None:
        """After the last epoch: restore the best weights if early stopping ended the run,
        and make the replay's last frame the weights the result keeps."""
        if self.stopped_early and self.restore:
            self.set_flat(self.best_flat)
            self.last_row = None  # (it was the last epoch's weights')
        if self.epochs:
            self.snapshots = {e: w for e, w in self.snapshots.items() if e < epochs_done}
            self.snapshots[epochs_done] = self.network.flat_weights().numpy()

    def final_validation(self) -> dict | None:
        """The validation loss and accuracy at the weights the compiled loops left, from their
        last history row (None without it)."""
        if self.last_row is None:
            return None
        return {"loss": float(self.last_row[3]), "accuracy": float(self.last_row[4])}

    def set_flat(self, flat: np.ndarray) -> None:
        self.network.set_weights(self.unflattened(flat))

    def unflattened(self, flat: np.ndarray) -> list[np.ndarray]:
        """The weights in a flat vector, as the spec's layers hold them (unpadded)."""
        parts, start = [], 0
        for shape in self.shapes:
            size = int(np.prod(shape))
            parts.append(flat[start : start + size].reshape(shape))
            start += size
        return self.network.unpadded(parts)


def _as_r_squared(history, metrics, y_train, y_validation) -> None:
    """A regression's "accuracy" is R² = 1 - MSE / variance of the targets: 1 is perfect, 0
    is no better than predicting the mean."""
    for prefix, column, targets in (("", "train", y_train), ("val_", "val", y_validation)):
        variance = float(np.var(targets)) if len(targets) else np.nan
        history[f"{prefix}accuracy"] = 1 - history[f"{prefix}loss"] / variance
        metrics[f"{column}_accuracy"] = 1 - metrics[f"{column}_loss"] / variance


def _still_wanted(on_epoch_end: EpochCallback | None, epochs: int):
    """While queued, the training's callback hears "0 epochs done" (a page says it waits)."""
    if on_epoch_end is None:
        return None
    nothing_yet = pd.DataFrame(columns=list(HISTORY_COLUMNS))
    return lambda: on_epoch_end(0, epochs, nothing_yet) is not STOP


def initial_weights(spec: ModelSpec, config: TrainConfig) -> list[np.ndarray]:
    """The weights a run of this setting starts from (same seed and initializer as train)."""
    with checkout(spec) as network:
        network.reset(config.seed, config.initializer)
        return network.weights()


def train_split(
    spec: ModelSpec, config: TrainConfig, split, on_epoch_end=None, seconds: float | None = None
) -> TrainingResult:
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
        seconds,
    )


def _check_data(spec: ModelSpec, x, y) -> None:
    if len(y) == 0:
        raise ValueError("There are no training samples.")
    if x.shape[0] != len(y):
        raise ValueError(f"{x.shape[0]} samples but {len(y)} labels.")
    expected = 2 if spec.input_features else spec.input_size  # features come from (x1, x2)
    if x.shape[1] != expected:
        raise ValueError(f"The data has {x.shape[1]} features but the network expects {expected}.")
    if spec.regression:
        if not np.all(np.isfinite(y)):
            raise ValueError("The targets must be finite numbers.")
        return
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


def _full_batch_epochs(trainer, inputs, labels, config, watch):
    """run_chunk(first, count) -> history rows [at most count, 5] of full-batch epochs
    (fewer when early stopping ends them)."""
    arguments = (inputs[0], labels[0], inputs[1], labels[1])

    def run_chunk(first: int, count: int) -> np.ndarray:
        outputs = trainer.full_batch_loop[watch.mode](
            *arguments,
            tf.constant(first),
            tf.constant(count),
            tf.constant(config.seed),
            watch.arguments(first, count),
        )
        return watch.take(first, count, outputs)

    return run_chunk, MAX_FULL_BATCH_EPOCHS


def _dense_epochs(trainer, inputs, labels, config, watch):
    """run_chunk(first, count) -> history rows of mini-batch epochs, many per compiled call.
    The batch order is drawn epoch by epoch from one seeded generator (as Keras fit shuffles
    every epoch), so chunking does not change the result."""
    count = int(labels[0].shape[0])
    batch_size = min(config.batch_size, count)
    steps = count // batch_size  # whole batches; the rest is each epoch's smaller last step
    chunk = int(np.clip(MAX_CHUNK_INDICES // count, 1, 256))
    shuffler = np.random.default_rng(config.seed)
    arguments = (inputs[0], labels[0], inputs[1], labels[1])

    def run_chunk(first: int, epochs: int) -> np.ndarray:
        orders = np.zeros((chunk, count), np.int32)  # fixed shape: one XLA compile per run
        for index in range(epochs):
            orders[index] = shuffler.permutation(count)
        batches = orders[:, : steps * batch_size].reshape(chunk, steps, batch_size)
        remainder = orders[:, steps * batch_size :]  # [chunk, left_over]
        outputs = trainer.dense_epochs[watch.mode](
            *arguments,
            tf.constant(batches),
            tf.constant(remainder),
            tf.constant(first),
            tf.constant(epochs),
            tf.constant(config.seed),
            watch.arguments(first, epochs),
        )
        return watch.take(first, epochs, outputs)

    return run_chunk, chunk


def _graph_epochs(network, trainer, inputs, labels, config, watch):
    """run_chunk with one graph call per epoch, without XLA: for multi-hot inputs (IMDB:
    ragged batches change size every step, which XLA cannot compile once) and for wide ones
    (MNIST's 784 pixels), where a step's arithmetic dwarfs its overhead (see MAX_XLA_INPUTS)."""
    count = int(labels[0].shape[0])
    batch_size = min(config.batch_size or count, count)
    shuffler = np.random.default_rng(config.seed)

    def run_chunk(first: int, epochs: int) -> np.ndarray:
        rows = []
        for epoch in range(first, first + epochs):
            sums = np.zeros(3)
            for batches, _full in _batch_matrices(shuffler.permutation(count), batch_size):
                sums += trainer.graph_epoch(
                    inputs[0], labels[0], batches, tf.constant(config.seed), tf.constant(epoch)
                ).numpy()
            validation = _evaluate(network, inputs[1], labels[1])
            rows.append([*(sums / count), validation["loss"], validation["accuracy"]])
            if watch.after_epoch(epoch + 1, rows[-1]):
                break
        return np.array(rows, dtype=np.float32)

    return run_chunk, 1


def _run_in_chunks(run_chunk, max_chunk, config, chance, on_epoch_end, pause=None):
    """All epochs, in compiled calls sized to take ~REPORT_SECONDS each, reporting progress
    between them (and, for a slower training, giving way to short ones: pool.give_way).
    Returns (history, why it stopped early or None)."""
    parts, done, chunk, stopped = [], 0, 1, None
    last_report = time.perf_counter()
    while done < config.epochs:
        count = min(chunk, config.epochs - done, max_chunk)
        started = time.perf_counter()
        parts.append(run_chunk(done, count))
        elapsed = time.perf_counter() - started
        ran = len(parts[-1])  # fewer than count: early stopping ended the training
        done += ran
        # The next call sized from this one's speed (the first call includes compiling).
        chunk = int(np.clip(REPORT_SECONDS * count / max(elapsed, 1e-6), 1, max_chunk))
        rows = np.concatenate(parts)
        stopped = trouble(rows, config, chance)
        finished = done == config.epochs or ran < count
        now = time.perf_counter()
        if on_epoch_end and (stopped or finished or now - last_report >= REPORT_SECONDS):
            last_report = now
            if on_epoch_end(done, config.epochs, _history_frame(rows)) == STOP:
                stopped = stopped or "stopped"
        if stopped or finished:
            break
        if pause is not None and _paused(pause) and on_epoch_end:
            # Asked again after giving way: a Stop pressed during the pause is answered now,
            # not after one more compiled call.
            last_report = time.perf_counter()
            if on_epoch_end(done, config.epochs, _history_frame(rows)) == STOP:
                stopped = "stopped"
                break
    return _history_frame(np.concatenate(parts).astype(np.float32)), stopped


def _paused(pause) -> bool:
    """pause(GIVE_WAY_SECONDS); whether it held the training back noticeably."""
    started = time.perf_counter()
    pause(GIVE_WAY_SECONDS)
    return time.perf_counter() - started > 0.05


@dataclass(frozen=True)
class Chance:
    """What guessing achieves: the loss of predicting each class's share for every sample
    (the entropy of the labels), and the accuracy of always naming the largest class."""

    loss: float
    accuracy: float


def chance_level(labels, regression: bool = False) -> Chance:
    if regression:  # predicting the mean: a squared error of the variance, R² of 0
        return Chance(float(np.var(labels)), 0.0)
    shares = np.bincount(np.asarray(labels).astype(int)) / len(labels)
    present = shares[shares > 0]
    return Chance(float(-(present * np.log(present)).sum()), float(shares.max()))


def stuck_window(config: TrainConfig) -> int:
    """How many epochs a loss must stay stuck before the run is given up: a quarter of the
    planned epochs, at least 100."""
    return max(100, config.epochs // 4)


def trouble(rows: np.ndarray, config: TrainConfig, chance: Chance) -> str | None:
    """'diverged' once the training loss is not finite, or has averaged above twice the
    chance loss over the last stuck_window epochs (Keras clips probabilities, so a blown-up
    loss often levels off instead of reaching infinity); 'stalled' once, over that window,
    the loss has averaged at least 98% of the chance loss and the accuracy at most 5 points
    above chance (and config.stop_at_chance)."""
    if not np.all(np.isfinite(rows[-1, :2])):
        return "diverged"
    window = stuck_window(config)
    if len(rows) < window or len(rows) == config.epochs:
        return None
    # Means over the window: mini-batch curves are noisy around chance.
    loss, accuracy = rows[-window:, 0].mean(), rows[-window:, 2].mean()
    if loss > 2 * chance.loss:
        return "diverged"
    if config.stop_at_chance and loss >= 0.98 * chance.loss and accuracy <= chance.accuracy + 0.05:
        return "stalled"
    return None


def stop_message(stopped: str, history: pd.DataFrame, config: TrainConfig, chance: Chance) -> str:
    """What happened, in the student's words, and what to try."""
    where = f"Training stopped at epoch {len(history):,} of {config.epochs:,}"
    if stopped == "stopped":
        return f"{where}, as asked: the curves, weights and boundary are those of that epoch."
    last_loss = history["loss"].iloc[-1]
    window = f"{stuck_window(config):,} epochs"
    if stopped == "diverged" and not np.isfinite(last_loss):
        what = "the loss became infinite: each step overshot further than the last"
    elif stopped == "diverged":
        what = (
            f"the loss averaged above {2 * chance.loss:.2f}, more than twice what guessing "
            f"gives, for {window} (it ended at {last_loss:.2f}): the steps overshoot"
        )
    else:
        what = (
            f"for {window} the loss stayed at what guessing gives ({chance.loss:.3f}) and the "
            f"accuracy near {chance.accuracy:.0%}: the network learned nothing"
        )
    advice = []
    if config.initializer == "zeros":
        advice.append("start from random weights (all-zero units stay identical)")
    if config.learning_rate >= 0.1:
        advice.append(f"a lower learning rate than {config.learning_rate:g} (e.g. 0.01)")
    if config.optimizer == "sgd":
        advice.append("the Adam optimizer")
    advice = advice or ["fewer layers or units", "another activation"]
    return f"{where}: {what}. Try " + " or ".join(advice) + "."


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
    loss_sum = correct = 0.0
    for start in range(0, count, chunk_size):
        chunk_loss, chunk_correct = network.evaluate_batch(
            inputs[start : start + chunk_size], labels[start : start + chunk_size]
        )
        loss_sum += float(chunk_loss)
        correct += float(chunk_correct)
    return _means(loss_sum, correct, count)


def forward_metrics(spec: ModelSpec, weights: list[np.ndarray], x, y) -> dict[str, float]:
    """Mean data loss and accuracy of these weights (the spec's layers) on x, y in inference
    mode, by the forward pass in NumPy (nn_core.theory), the loss from the output layer's
    logits as Keras computes it there. For the compiled loops' small networks: evaluating
    them in the compiled loop added a tenth to compiling each new network (0.1 s)."""
    from nn_core import theory  # (it imports this module)

    y = np.asarray(y)
    if len(y) == 0:
        return _means(0.0, 0.0, 0)
    inputs = np.asarray(expand(x, spec.input_features) if spec.input_features else x)
    logits = theory.network_products(spec, weights, inputs * spec.input_scale)[-1].output
    if spec.regression:  # the squared error; no classes to be right about (see _as_r_squared)
        losses, correct = np.square(y - logits[:, 0]), np.zeros(len(y))
    elif spec.binary:  # tf.nn.sigmoid_cross_entropy_with_logits; sigmoid > 0.5 where z > 0
        z = logits[:, 0]
        losses = np.maximum(z, 0) - z * y + np.log1p(np.exp(-np.abs(z)))
        correct = (z > 0) == (y == 1)
    else:  # tf.nn.sparse_softmax_cross_entropy_with_logits
        shifted = logits - logits.max(axis=1, keepdims=True)
        log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        losses = -log_probabilities[np.arange(len(y)), y.astype(int)]
        correct = logits.argmax(axis=1) == y
    return _means(float(losses.sum()), float(correct.sum()), len(y))


def _means(loss_sum: float, correct: float, count: int) -> dict[str, float]:
    if count == 0:
        return {"loss": float("nan"), "accuracy": float("nan")}
    return {"loss": float(loss_sum) / count, "accuracy": float(correct) / count}


def _prefixed(prefix: str, values: dict) -> dict:
    return {f"{prefix}_{key}": value for key, value in values.items()}


# ---------------------------------------------------------------------------- using a result


def evaluate(result: TrainingResult, x, y) -> dict[str, float]:
    """Loss and accuracy of a trained result on new data (e.g. the test set)."""
    with checkout(result.spec) as network:
        network.set_weights(result.weights)
        labels = tf.constant(y, tf.float32 if result.spec.float_labels else tf.int32)
        return _evaluate(network, _network_input(result.spec, x, network), labels)


def predict(
    result: TrainingResult,
    x,
    hidden_layer: int | None = None,
    chunk_size: int = 8192,
    weights: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Output probabilities [n, outputs] by direct model calls (not model.predict, which costs
    ~30 ms a call); hidden_layer=k returns the k-th hidden layer's activations instead.
    weights: other weights of the same network (a replay's snapshot) instead of the final."""
    with checkout(result.spec) as network:
        network.set_weights(result.weights if weights is None else weights)
        inputs = _network_input(result.spec, x, network)
        count = int(inputs.shape[0])
        # (a padded network's hidden layer: its own units only)
        units = result.spec.hidden_units[hidden_layer - 1] if hidden_layer else None
        parts = [
            network.predict_batch(inputs[start : start + chunk_size], hidden_layer)[
                :, :units
            ].numpy()
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
