"""Compiled networks: a Keras model plus the traced loops that train it (used through nn_core.pool).

A Network is reset to fresh seeded weights for every run; its Trainers (one per optimizer) are
traced once and reused, which is what makes a slider move retrain in a fraction of a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf

from nn_core.forward import forward
from nn_core.models import ModelSpec, build_model, is_small
from nn_core.xla_cache import DeterministicNames

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
# How a run's kernels start (biases always start at 0). The chapter: "non-zero, random, small".
INITIALIZERS = {
    "glorot": "Glorot/Xavier uniform (Keras' default: scaled to each layer's fan-in and fan-out)",
    "small": "small random (normal, standard deviation 0.01)",
    "large": "large random (normal, standard deviation 3)",
    "zeros": "all zero",
}
MAX_FULL_BATCH_EPOCHS = 10_000  # size of the in-graph history buffer of the full-batch loop
WATCH_MODES = ("plain", "replay", "early")  # what a compiled loop watches: _watched_loop
MAX_SNAPSHOTS = 32  # weight snapshots one compiled call can take (a replay has about 30)
HISTORY_COLUMNS = ("loss", "total_loss", "accuracy", "val_loss", "val_accuracy")


class _ExpectedRetracing(logging.Filter):
    """Drops TensorFlow's "5 out of the last 5 calls to <function ...full_batch_loop> triggered
    tf.function retracing ... Tracing is expensive" warning: every network traces its own
    loops once by design (the pool then reuses them), so it counts networks, not a mistake,
    and it filled a server's terminal."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_ExpectedRetracing())

# Loops are written as tf.while_loop, so AutoGraph's source rewriting (about 1 s per trace,
# most of a cold run) is not needed.
_GRAPH = {"autograph": False, "reduce_retracing": True}


def start_thread_pools() -> None:
    """Make TensorFlow start its thread pools (compute, XLA's, the graph runner's) in the
    calling thread, by running one tiny compiled function. A thread starts with its parent's
    priority: pools first started by a lowest-priority background thread ran every student's
    training at that priority too (ui.warmup), level with any other background work."""
    tf.function(lambda value: value + 1.0, jit_compile=True)(tf.constant(1.0))


def make_optimizer(name: str) -> keras.optimizers.Optimizer:
    """The optimizer, named by its choice rather than by Keras' count of optimizers made so
    far ("sgd_7"): the name is in the traced loop's operation names, and a loop traced after
    another history must be the same, to be found on disk (nn_core.xla_cache)."""
    if name == "sgd":
        return keras.optimizers.SGD(name=name)
    if name == "momentum":
        return keras.optimizers.SGD(momentum=0.9, name=name)
    if name == "rmsprop":
        return keras.optimizers.RMSprop(name=name)
    if name == "adam":
        return keras.optimizers.Adam(name=name)
    raise ValueError(f"Unknown optimizer '{name}': use one of {', '.join(OPTIMIZERS)}.")


@dataclass(frozen=True)
class Trainer:
    """One optimizer's traced training functions for one network.

    full_batch_loop(x, labels, x_val, labels_val, first_epoch, count, seed, watch) -> up to
        `count` full-batch epochs in one XLA graph, as (history [10,000, 5] with the first
        rows filled, snapshots, best loss, best epoch, best weights, epochs run): see
        Network._watched_loop. The caller runs a long training as several such chunks (to
        report progress and to stop), with the same result as one call: the seeds follow the
        epoch number.
    dense_epochs(x, labels, x_val, labels_val, batches, remainder, first_epoch, count, seed,
        watch) -> the same for mini-batch epochs, history [chunk, 5]. batches [chunk, steps,
        batch size] and remainder [chunk, r] hold each epoch's shuffled sample indices (fixed
        shapes, so XLA compiles once per run, however many epochs a call runs).
    graph_epoch(x, labels, batches, seed, epoch) -> sums of (loss, total loss, correct): one
        epoch's mini-batch steps without XLA, for multi-hot (ragged) inputs, whose batches
        change size every step.
    """

    optimizer: keras.optimizers.Optimizer
    # Each by what the loop watches (WATCH_MODES): a run compiles only the one it needs; the
    # plain one is smaller and quicker to compile, the replay one skips early stopping's
    # per-epoch work (a third of the snapshots' cost on the chapter's setting).
    full_batch_loop: dict
    dense_epochs: dict
    graph_epoch: object


def _kernel_initializer(name: str, seed: int):
    if name == "glorot":
        return keras.initializers.GlorotUniform(seed=seed)
    if name == "small":
        return keras.initializers.RandomNormal(stddev=0.01, seed=seed)
    if name == "large":
        return keras.initializers.RandomNormal(stddev=3.0, seed=seed)
    return keras.initializers.Zeros()


class Network:
    """One model and its traced train/evaluate functions. Use through nn_core.pool.checkout()."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec  # its compiled form (models.compiled_form): rates come from configure
        self.model = build_model(spec)
        # The configured spec's layer sizes (see configure): inputs, then each Dense layer's units.
        self.used_sizes = self.compiled_sizes
        # Read inside the traced loops, so one compiled network serves every rate.
        self.l1_rate = tf.Variable(0.0, trainable=False, name="l1_rate")
        self.l2_rate = tf.Variable(0.0, trainable=False, name="l2_rate")
        self.dropout_rate = tf.Variable(0.0, trainable=False, name="dropout_rate")
        # Which units of each hidden layer are the configured spec's (1) or padding (0), for
        # a padded sigmoid network (see _hidden_activation).
        masked = is_small(spec) and spec.activation == "sigmoid"
        self.unit_masks = [
            tf.Variable(tf.ones([units]), trainable=False, name=f"unit_mask_{index}")
            for index, units in enumerate(spec.hidden_units if masked else ())
        ]
        self._trainers: dict[str, Trainer] = {}
        self.evaluate_batch = tf.function(self._evaluate_batch, **_GRAPH)
        self.predict_batch = tf.function(self._predict_batch, **_GRAPH)

    # ---------------------------------------------------------------- state

    @property
    def compiled_sizes(self) -> tuple[int, ...]:
        return (self.spec.input_size, *self.spec.hidden_units, self.spec.output_units)

    def configure(self, spec: ModelSpec) -> None:
        """Train with this spec's regularization, and, in a padded small network
        (models.compiled_form), its inputs and units: the padded ones' weights are kept at
        zero (they get zero gradients) and left out of weights()."""
        self.used_sizes = (spec.input_size, *spec.hidden_units, spec.output_units)
        self.l1_rate.assign(spec.l1_rate)
        self.l2_rate.assign(spec.l2_rate)
        self.dropout_rate.assign(spec.dropout_rate)
        # (no masks unless sigmoid)
        for mask, units in zip(self.unit_masks, spec.hidden_units, strict=False):
            mask.assign(tf.cast(tf.range(mask.shape[0]) < units, tf.float32))

    def reset(self, seed: int, initializer: str = "glorot") -> None:
        """Fresh seeded kernels (Glorot-uniform, as a new Keras model gets, unless asked
        otherwise: see INITIALIZERS) and zero biases; each drawn at the configured spec's
        shape (Glorot's fan-in and fan-out), as a network of that spec would draw it."""
        for index, layer in enumerate(self.dense_layers):
            start = _kernel_initializer(initializer, seed * 1009 + index)
            used_shape = (self.used_sizes[index], self.used_sizes[index + 1])
            layer.kernel.assign(self._padded(start(used_shape), layer.kernel.shape))
            layer.bias.assign(tf.zeros_like(layer.bias))

    @property
    def dense_layers(self):
        return [layer for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]

    def weights(self) -> list[np.ndarray]:
        return self.unpadded([variable.numpy() for variable in self.model.weights])

    def set_weights(self, weights) -> None:
        """Set the weights of the spec's layers (or the compiled network's, padded)."""
        variables = self.model.weights
        self.model.set_weights(
            [self._padded(w, v.shape) for w, v in zip(weights, variables, strict=True)]
        )

    def unpadded(self, weights: list[np.ndarray]) -> list[np.ndarray]:
        """The compiled network's weights (kernel, bias of each Dense layer) as the spec's
        layers hold them: without the rows and columns of padded inputs and units."""
        unpadded = []
        for index, weight in enumerate(weights):
            fan_in, units = self.used_sizes[index // 2], self.used_sizes[index // 2 + 1]
            unpadded.append(weight[:fan_in, :units] if weight.ndim == 2 else weight[:units])
        return unpadded

    @staticmethod
    def _padded(weight, shape):
        """A kernel or bias with zeros added up to the compiled network's shape."""
        sizes = zip(shape, weight.shape, strict=True)
        missing = [[0, int(full) - int(used)] for full, used in sizes]
        return tf.pad(weight, missing) if any(pad for _, pad in missing) else weight

    def trainer(self, optimizer_name: str, learning_rate: float) -> Trainer:
        """This optimizer's Trainer with zeroed optimizer state and the given learning rate;
        the optimizer and its traced functions are built once and reused."""
        if optimizer_name not in self._trainers:
            optimizer = make_optimizer(optimizer_name)
            optimizer.build(self.model.trainable_variables)
            self._trainers[optimizer_name] = Trainer(
                optimizer,
                {
                    mode: self._compiled(
                        self._full_batch_loop(optimizer, mode), optimizer_name, mode
                    )
                    for mode in WATCH_MODES
                },
                # Dense inputs: many epochs per XLA call (one call per epoch cost ~2.4 ms a
                # step for a small network). The batch matrices have fixed shapes, so XLA
                # compiles once per run; batches of a dynamic size made it recompile each step.
                {
                    mode: self._compiled(self._dense_epochs(optimizer, mode), optimizer_name, mode)
                    for mode in WATCH_MODES
                },
                tf.function(self._epoch(optimizer, "philox"), **_GRAPH),
            )
        trainer = self._trainers[optimizer_name]
        for variable in trainer.optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        trainer.optimizer.learning_rate = learning_rate
        return trainer

    def _compiled(self, loop, optimizer_name: str, mode: str):
        """The loop as one XLA graph, traced under names that are the same in every process,
        so that a server finds it on disk if any earlier one compiled it (nn_core.xla_cache)."""
        what = f"{loop.__name__} {mode} {optimizer_name} {self.spec!r}"
        return DeterministicNames(tf.function(loop, jit_compile=True, **_GRAPH), what)

    # ---------------------------------------------------------------- traced pieces

    def _loss(self, labels, probabilities):
        if self.spec.regression:  # the mean squared error, per sample
            return tf.square(labels - probabilities[:, 0])
        if self.spec.binary:
            return keras.losses.binary_crossentropy(labels[:, None], probabilities)
        return keras.losses.sparse_categorical_crossentropy(labels, probabilities)

    def _correct(self, labels, probabilities):
        if self.spec.regression:  # no classes: nn_core.training turns the loss into R²
            return tf.zeros_like(labels)
        if self.spec.binary:
            predicted = tf.cast(probabilities[:, 0] > 0.5, labels.dtype)
        else:
            predicted = tf.cast(tf.argmax(probabilities, axis=1), labels.dtype)
        return tf.cast(tf.equal(predicted, labels), tf.float32)

    def _penalty(self):
        """The hidden kernels' L1 and L2 terms at the configured rates, as Keras' L1L2
        regularizer adds them to the loss: l1 * sum|w| + l2 * sum w^2 (0 at rates of 0)."""
        kernels = [layer.kernel for layer in self.dense_layers[:-1]]
        if not kernels:
            return tf.constant(0.0)
        absolute = tf.add_n([tf.reduce_sum(tf.abs(kernel)) for kernel in kernels])
        squared = tf.add_n([tf.reduce_sum(tf.square(kernel)) for kernel in kernels])
        return self.l1_rate * absolute + self.l2_rate * squared

    def _step(self, optimizer, x, labels, seed, algorithm="philox"):
        """One gradient step; returns per-sample data losses, the penalty and correctness."""
        with tf.GradientTape() as tape:
            probabilities = self._forward(x, True, seed, algorithm=algorithm)
            losses = self._loss(labels, probabilities)  # [batch]
            penalty = self._penalty()
            objective = tf.reduce_mean(losses) + penalty
        variables = self.model.trainable_variables
        gradients = tape.gradient(objective, variables)
        # Dense gradients: RMSprop and Adam then decay every row's statistics, as for the
        # chapter's Dense layer on multi-hot vectors.
        gradients = [tf.convert_to_tensor(gradient) for gradient in gradients]
        optimizer.apply_gradients(zip(gradients, variables, strict=True))
        return losses, penalty, self._correct(labels, probabilities)

    def _full_batch_loop(self, optimizer, mode: str):
        def full_batch_loop(x, labels, x_val, labels_val, first_epoch, count, seed, watch):
            """`count` full-batch epochs from `first_epoch` inside one XLA graph (fewer if
            early stopping ends them: see _watched_loop)."""

            def train_epoch(_index, epoch):
                losses, penalty, correct = self._step(
                    optimizer, x, labels, tf.stack([seed, epoch * 64]), algorithm="threefry"
                )
                loss = tf.reduce_mean(losses)
                means = tf.stack([loss, loss + penalty, tf.reduce_mean(correct)])
                return self._history_row(means, x_val, labels_val)

            rows = MAX_FULL_BATCH_EPOCHS
            return self._watched_loop(train_epoch, first_epoch, count, rows, watch, mode)

        return full_batch_loop

    def flat_weights(self):
        """Every trainable value in one vector [parameters], layer by layer (kernel, bias)."""
        return tf.concat([tf.reshape(v, [-1]) for v in self.model.trainable_variables], 0)

    def _watched_loop(self, train_epoch, first_epoch, count, rows, watch, mode="early"):
        """Up to `count` epochs (train_epoch(index in this call, epoch) -> history row) in one
        tf.while_loop,
        watched as they go. watch = (snapshot_at, patience, best_loss, best_epoch, best_flat):
        - after the epoch of local index snapshot_at[k] the weights are copied into row k of
          the snapshots (-1: unused row), so a replay costs no re-training;
        - the best monitored loss so far (validation loss, or training loss without
          validation samples) and its epoch (numbered from 1), carried from call to call;
          with patience > 0 the weights of that epoch are kept, and the loop ends once
          `patience` epochs have passed without improvement (Keras' EarlyStopping).
        Returns (history [rows, 5], snapshots [MAX_SNAPSHOTS, parameters], best_loss,
        best_epoch, best_flat, epochs run). mode "plain": the epochs only, the watch handed
        back as it came (no snapshots: [MAX_SNAPSHOTS, 0]); "replay": the snapshots only,
        the watch's best loss handed back too (nn_core.training finds it in the history;
        patience must be 0); "early": everything."""
        snapshot_at, patience, best_loss, best_epoch, best_flat = watch

        def plain_epoch(index, history):
            row = train_epoch(index, first_epoch + index)
            return index + 1, tf.tensor_scatter_nd_update(history, [[index]], row[None])

        def plain_epochs(index, history, end):
            """Epochs index .. end - 1, nothing watched."""
            return tf.while_loop(lambda index, _: index < end, plain_epoch, (index, history))

        start = (tf.constant(0), tf.zeros([rows, len(HISTORY_COLUMNS)]))
        if mode == "plain":
            index, history = plain_epochs(*start, count)
            unused = tf.zeros([MAX_SNAPSHOTS, 0])
            return history, unused, best_loss, best_epoch, best_flat, index
        parameters = sum(int(np.prod(v.shape)) for v in self.model.trainable_variables)
        if mode == "replay":
            index, history, snapshots = self._replay_segments(
                plain_epochs, start, count, snapshot_at, parameters
            )
            return history, snapshots, best_loss, best_epoch, best_flat, index

        def one_epoch(index, history, snapshots, best_loss, best_epoch, best_flat, stop):
            epoch = first_epoch + index
            row = train_epoch(index, epoch)
            history = tf.tensor_scatter_nd_update(history, [[index]], row[None])
            hit = tf.equal(snapshot_at, index)
            snapshots = tf.cond(
                tf.reduce_any(hit),
                lambda: tf.tensor_scatter_nd_update(
                    snapshots,
                    [[tf.argmax(tf.cast(hit, tf.int32), output_type=tf.int32)]],
                    self.flat_weights()[None],
                ),
                lambda: snapshots,
            )
            monitored = tf.where(tf.math.is_nan(row[3]), row[0], row[3])
            improved = monitored < best_loss
            best_loss = tf.where(improved, monitored, best_loss)
            best_epoch = tf.where(improved, epoch + 1, best_epoch)
            best_flat = tf.cond(improved & (patience > 0), self.flat_weights, lambda: best_flat)
            stop = (patience > 0) & (epoch + 1 - best_epoch >= patience)
            return index + 1, history, snapshots, best_loss, best_epoch, best_flat, stop

        start = (
            tf.constant(0),
            tf.zeros([rows, len(HISTORY_COLUMNS)]),
            tf.zeros([MAX_SNAPSHOTS, parameters]),
            best_loss,
            best_epoch,
            best_flat,
            tf.constant(False),
        )
        index, history, snapshots, best_loss, best_epoch, best_flat, _ = tf.while_loop(
            lambda index, *state: (index < count) & ~state[-1], one_epoch, start
        )
        return history, snapshots, best_loss, best_epoch, best_flat, index

    def _replay_segments(self, plain_epochs, start, count, snapshot_at, parameters):
        """The replay's loop: the epochs up to each snapshot as the plain loop runs them, then
        that snapshot (snapshot_at is ascending, -1 for unused rows). Checking every epoch
        for a snapshot cost a fifth of the chapter's training; once per snapshot costs
        nothing. Returns (epochs run, history, snapshots)."""

        def segment(slot, index, history, snapshots):
            at = tf.gather(snapshot_at, tf.minimum(slot, MAX_SNAPSHOTS - 1))
            wanted = (slot < MAX_SNAPSHOTS) & (at >= 0)
            index, history = plain_epochs(index, history, tf.where(wanted, at + 1, count))
            # The last segment's weights go to a spare row, dropped below (a tf.cond instead
            # made two more graphs to trace for every new network).
            row = tf.where(wanted, slot, MAX_SNAPSHOTS)
            snapshots = tf.tensor_scatter_nd_update(snapshots, [[row]], self.flat_weights()[None])
            return slot + 1, index, history, snapshots

        _, index, history, snapshots = tf.while_loop(
            lambda slot, index, *_: index < count,
            segment,
            (tf.constant(0), *start, tf.zeros([MAX_SNAPSHOTS + 1, parameters])),
        )
        return index, history, snapshots[:MAX_SNAPSHOTS]

    def _history_row(self, means, x_val, labels_val):
        """One epoch's history row: the training means (loss, total loss, accuracy) and the
        validation loss and accuracy (NaN without validation samples)."""
        val_loss, val_correct = self._evaluate_batch(x_val, labels_val)
        val_count = tf.cast(tf.shape(labels_val)[0], tf.float32)
        return tf.concat([means, tf.stack([val_loss / val_count, val_correct / val_count])], 0)

    def _dense_epochs(self, optimizer, mode: str):
        train_epoch = self._epoch(optimizer, "threefry")

        def dense_epochs(
            x, labels, x_val, labels_val, batches, remainder, first_epoch, count, seed, watch
        ):
            """Up to `count` mini-batch epochs from `first_epoch`: epoch i steps through the
            rows of batches[i], then one smaller step on remainder[i] if the batch size does
            not divide the samples (see _watched_loop for the rest)."""
            samples = tf.cast(tf.size(batches[0]) + tf.shape(remainder)[1], tf.float32)

            def one_epoch(index, epoch):
                # (index, not epoch - first_epoch: XLA then needed first_epoch as a constant
                # for the slice and compiled again for every call)
                sums = train_epoch(x, labels, batches[index], seed, epoch)
                sums += tf.cond(
                    tf.shape(remainder)[1] > 0,
                    lambda: train_epoch(x, labels, remainder[index][None, :], seed, epoch),
                    lambda: tf.zeros([3]),
                )
                return self._history_row(sums / samples, x_val, labels_val)

            rows = tf.shape(batches)[0]
            return self._watched_loop(one_epoch, first_epoch, count, rows, watch, mode)

        return dense_epochs

    def _epoch(self, optimizer, algorithm):
        def train_epoch(x, labels, batches, seed, epoch):
            """Mini-batch steps over the rows of `batches` (sample indices [steps, batch size]),
            sliced inside the graph; returns sums over samples of (data loss, data loss +
            penalty, correct)."""

            def one_step(step, totals):
                batch = batches[step]
                step_seed = tf.stack([seed, epoch * 100_003 + step * 64])
                losses, penalty, correct = self._step(
                    optimizer, tf.gather(x, batch), tf.gather(labels, batch), step_seed, algorithm
                )
                size = tf.cast(tf.shape(batch)[0], tf.float32)
                loss_sum = tf.reduce_sum(losses)
                sums = tf.stack([loss_sum, loss_sum + penalty * size, tf.reduce_sum(correct)])
                return step + 1, totals + sums

            steps = tf.shape(batches)[0]
            _, totals = tf.while_loop(
                lambda step, _: step < steps, one_step, (tf.constant(0), tf.zeros([3]))
            )
            return totals

        return train_epoch

    def _evaluate_batch(self, x, labels):
        """Sums of data loss and of correct predictions, inference mode (no dropout)."""
        probabilities = self._forward(x)
        return (
            tf.reduce_sum(self._loss(labels, probabilities)),
            tf.reduce_sum(self._correct(labels, probabilities)),
        )

    def _predict_batch(self, x, stop_after_dense=None):
        return self._forward(x, stop_after_dense=stop_after_dense)

    def _forward(self, x, training=False, seed=None, **options):
        """nn_core.forward.forward at the configured dropout rate and activation."""
        return forward(
            self.model,
            x,
            training,
            seed,
            dropout_rate=self.dropout_rate,
            hidden_activation=self._hidden_activation if self.unit_masks else None,
            **options,
        )

    def _hidden_activation(self, index, values):
        """A padded sigmoid network's hidden layer `index`: sigmoid, with its padded units
        held at 0. (A padded unit's input is 0: tanh, relu and linear give 0 there, and
        its weights then get zero gradients and stay 0; sigmoid gives 0.5.)"""
        return tf.sigmoid(values) * self.unit_masks[index]
