"""Compiled networks: a Keras model plus the traced functions that train it, pooled per spec.

Why a pool: building, compiling and tracing a fresh model on every Streamlit rerun leaks a few
MB each time and costs a second of tracing. A network is checked out by one run at a time (never
shared between concurrent sessions), reset to fresh seeded weights and zeroed optimizer state,
and returned afterwards, so its traced functions are reused by the next run of that spec.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from contextlib import contextmanager

import keras
import numpy as np
import tensorflow as tf

from nn_core.models import ModelSpec, build_model

OPTIMIZERS = ("sgd", "momentum", "rmsprop", "adam")
MAX_FULL_BATCH_EPOCHS = 10_000  # size of the in-graph history buffer of the full-batch loop
HISTORY_COLUMNS = ("loss", "total_loss", "accuracy", "val_loss", "val_accuracy")
_MAX_IDLE_NETWORKS = 24  # pooled networks kept across all specs; older idle ones are dropped
# Loops are written as tf.while_loop, so AutoGraph's source rewriting (about 1 s per trace,
# most of a cold run) is not needed.
_GRAPH = {"autograph": False, "reduce_retracing": True}


def make_optimizer(name: str) -> keras.optimizers.Optimizer:
    if name == "sgd":
        return keras.optimizers.SGD()
    if name == "momentum":
        return keras.optimizers.SGD(momentum=0.9)
    if name == "rmsprop":
        return keras.optimizers.RMSprop()
    if name == "adam":
        return keras.optimizers.Adam()
    raise ValueError(f"Unknown optimizer '{name}': use one of {', '.join(OPTIMIZERS)}.")


def as_network_input(x):
    """Dense features -> float32 tensor; a scipy CSR multi-hot matrix -> a RaggedTensor of the
    column indices present in each row (the first layer then gathers only those rows)."""
    if hasattr(x, "indptr"):
        return tf.RaggedTensor.from_row_splits(
            tf.constant(x.indices, tf.int32), tf.constant(x.indptr, tf.int64)
        )
    if isinstance(x, np.ndarray) and x.dtype == np.uint8:
        return tf.constant(x)  # raw pixels stay 1 byte each; the Rescaling layer scales them
    return tf.convert_to_tensor(np.asarray(x, dtype=np.float32))


def _dropout(hidden, rate, seed, algorithm="philox"):
    """Inverted dropout as keras.layers.Dropout does it, from a stateless generator: Keras' own
    seed-generator state makes the XLA loop about 100 times slower. Under XLA, "threefry" is
    4x faster than "philox"; outside XLA only "philox" runs on CPU."""
    keep = tf.random.stateless_uniform(tf.shape(hidden), seed=seed, alg=algorithm) >= rate
    return tf.where(keep, hidden / (1.0 - rate), 0.0)


def _dense(layer, hidden):
    """One Dense layer. A RaggedTensor input holds each row's multi-hot word indices: as a
    SparseTensor of ones, its product with the kernel equals the Dense matmul on the 0/1 vector
    without ever building that 10,000-wide vector (2.5x faster than gather + segment-sum)."""
    if isinstance(hidden, tf.RaggedTensor):
        indices = tf.stack([hidden.value_rowids(), tf.cast(hidden.values, tf.int64)], axis=1)
        shape = tf.stack([hidden.nrows(), tf.cast(tf.shape(layer.kernel)[0], tf.int64)])
        multi_hot = tf.sparse.SparseTensor(indices, tf.ones_like(hidden.values, tf.float32), shape)
        pre_activation = tf.sparse.sparse_dense_matmul(multi_hot, layer.kernel)
    else:
        pre_activation = tf.matmul(hidden, layer.kernel)
    return layer.activation(pre_activation + layer.bias)


def forward(model, inputs, training=False, seed=None, hidden_layers_only=0, algorithm="philox"):
    """Run the Sequential model; dropout is applied only when training (seed: int32 [2],
    algorithm: the random generator, see _dropout). hidden_layers_only=k stops after the k-th
    Dense layer (for hidden-unit views)."""
    hidden, dense_seen = inputs, 0
    for position, layer in enumerate(model.layers):
        if isinstance(layer, keras.layers.Rescaling):
            hidden = tf.cast(hidden, tf.float32) * layer.scale
            continue
        if isinstance(layer, keras.layers.Dropout):
            if training:
                layer_seed = seed + tf.constant([0, 1], tf.int32) * position
                hidden = _dropout(hidden, layer.rate, layer_seed, algorithm)
            continue
        hidden = _dense(layer, hidden)
        dense_seen += 1
        if dense_seen == hidden_layers_only:
            break
    return hidden


class Network:
    """One model and its traced train/evaluate functions. Use through checkout()."""

    def __init__(self, spec: ModelSpec):
        self.spec = spec
        self.model = build_model(spec)
        self._trainers: dict[str, tuple] = {}
        self.evaluate_batch = tf.function(self._evaluate_batch, **_GRAPH)
        self.predict_batch = tf.function(self._predict_batch, **_GRAPH)

    # ---------------------------------------------------------------- state

    def reset(self, seed: int) -> None:
        """Fresh Glorot-uniform kernels and zero biases, as a new Keras model gets, seeded."""
        for index, layer in enumerate(self.dense_layers):
            initializer = keras.initializers.GlorotUniform(seed=seed * 1009 + index)
            layer.kernel.assign(initializer(layer.kernel.shape))
            layer.bias.assign(tf.zeros_like(layer.bias))

    @property
    def dense_layers(self):
        return [layer for layer in self.model.layers if isinstance(layer, keras.layers.Dense)]

    def weights(self) -> list[np.ndarray]:
        return [variable.numpy() for variable in self.model.weights]

    def set_weights(self, weights) -> None:
        self.model.set_weights(weights)

    def trainer(self, optimizer_name: str, learning_rate: float):
        """(full_batch_loop, train_epoch) for this optimizer with zeroed state and the given
        learning rate; the optimizer and its traced functions are built once and reused."""
        if optimizer_name not in self._trainers:
            optimizer = make_optimizer(optimizer_name)
            optimizer.build(self.model.trainable_variables)
            self._trainers[optimizer_name] = (
                optimizer,
                tf.function(self._make_full_batch_loop(optimizer), jit_compile=True, **_GRAPH),
                self._make_train_epoch(optimizer),
            )
        optimizer, full_batch_loop, train_epoch = self._trainers[optimizer_name]
        for variable in optimizer.variables:
            variable.assign(tf.zeros_like(variable))
        optimizer.learning_rate = learning_rate
        return full_batch_loop, train_epoch

    # ---------------------------------------------------------------- traced pieces

    def _loss(self, labels, probabilities):
        if self.spec.binary:
            return keras.losses.binary_crossentropy(labels[:, None], probabilities)
        return keras.losses.sparse_categorical_crossentropy(labels, probabilities)

    def _correct(self, labels, probabilities):
        if self.spec.binary:
            predicted = tf.cast(probabilities[:, 0] > 0.5, labels.dtype)
        else:
            predicted = tf.cast(tf.argmax(probabilities, axis=1), labels.dtype)
        return tf.cast(tf.equal(predicted, labels), tf.float32)

    def _penalty(self):
        losses = self.model.losses  # L1/L2 terms, computed from the current kernels
        return tf.add_n(losses) if losses else tf.constant(0.0)

    def _step(self, optimizer, x, labels, seed, algorithm="philox"):
        """One gradient step; returns per-sample data losses, the penalty and correctness."""
        with tf.GradientTape() as tape:
            probabilities = forward(self.model, x, True, seed, algorithm=algorithm)
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

    def _make_full_batch_loop(self, optimizer):
        def full_batch_loop(x, labels, x_val, labels_val, epochs, seed):
            """All epochs inside one XLA graph; returns history [MAX_FULL_BATCH_EPOCHS, 5]."""

            def one_epoch(epoch, history):
                losses, penalty, correct = self._step(
                    optimizer, x, labels, tf.stack([seed, epoch * 64]), algorithm="threefry"
                )
                loss = tf.reduce_mean(losses)
                val_loss, val_correct = self._evaluate_batch(x_val, labels_val)
                val_count = tf.cast(tf.shape(labels_val)[0], tf.float32)
                row = tf.stack(
                    [
                        loss,
                        loss + penalty,
                        tf.reduce_mean(correct),
                        val_loss / val_count,
                        val_correct / val_count,
                    ]
                )
                return epoch + 1, tf.tensor_scatter_nd_update(history, [[epoch]], row[None])

            empty = tf.zeros([MAX_FULL_BATCH_EPOCHS, len(HISTORY_COLUMNS)])
            _, history = tf.while_loop(
                lambda epoch, _: epoch < epochs, one_epoch, (tf.constant(0), empty)
            )
            return history

        return full_batch_loop

    def _make_train_epoch(self, optimizer):
        return {
            # Dense inputs: one XLA graph per epoch. The batch matrix has a fixed shape, so XLA
            # compiles once per run; slicing batches of a dynamic size instead made XLA
            # recompile at every step. Multi-hot (ragged) batches change size every step, and
            # the last, smaller batch is a single step, so those run as an ordinary graph.
            "dense": tf.function(
                self._epoch_function(optimizer, "threefry"), jit_compile=True, **_GRAPH
            ),
            "graph": tf.function(self._epoch_function(optimizer, "philox"), **_GRAPH),
        }

    def _epoch_function(self, optimizer, algorithm):
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
        probabilities = forward(self.model, x, training=False)
        return (
            tf.reduce_sum(self._loss(labels, probabilities)),
            tf.reduce_sum(self._correct(labels, probabilities)),
        )

    def _predict_batch(self, x, hidden_layers_only=0):
        return forward(self.model, x, training=False, hidden_layers_only=hidden_layers_only)


_idle_networks: OrderedDict[ModelSpec, list[Network]] = OrderedDict()
_pool_lock = threading.Lock()
# At most this many networks train or predict at once. A classroom's 30 simultaneous requests
# then queue for a core instead of each building and XLA-compiling a network of its own (half
# a second of CPU each): queued runs reuse the pooled networks and take ~0.1 s apiece.
_busy_slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))


@contextmanager
def checkout(spec: ModelSpec):
    """Lend a Network of this spec to one caller at a time; it returns to the pool after."""
    with _busy_slots, _lend(spec) as network:
        yield network


@contextmanager
def _lend(spec: ModelSpec):
    with _pool_lock:
        idle = _idle_networks.get(spec)
        network = idle.pop() if idle else None
    if network is None:
        network = Network(spec)
    try:
        yield network
    finally:
        with _pool_lock:
            _idle_networks.setdefault(spec, []).append(network)
            _idle_networks.move_to_end(spec)
            _trim_pool()


def _trim_pool():
    """Drop the least recently used idle networks beyond the cap so memory stays bounded."""
    while sum(len(networks) for networks in _idle_networks.values()) > _MAX_IDLE_NETWORKS:
        oldest_spec, networks = next(iter(_idle_networks.items()))
        networks.pop(0)
        if not networks:
            del _idle_networks[oldest_spec]
