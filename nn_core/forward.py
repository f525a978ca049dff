"""The forward pass, written out: what a Keras Sequential of Dense and Dropout layers computes.

Each Dense layer computes activation(inputs @ kernel + bias); Dropout zeroes a random share of
its inputs while training and rescales the rest. This is the code a curious student can read
next to the chapter's formulas; nn_core.networks traces it into the training loops.
"""

from __future__ import annotations

from functools import partial

import keras
import numpy as np
import tensorflow as tf


def as_network_input(x):
    """Dense features -> float32 tensor; a scipy CSR multi-hot matrix -> a RaggedTensor of the
    column indices present in each row (the first layer then multiplies only those rows)."""
    if hasattr(x, "indptr"):
        return tf.RaggedTensor.from_row_splits(
            tf.constant(x.indices, tf.int32), tf.constant(x.indptr, tf.int64)
        )
    if isinstance(x, np.ndarray) and x.dtype == np.uint8:
        return tf.constant(x)  # raw pixels stay 1 byte each; the Rescaling layer scales them
    return tf.convert_to_tensor(np.asarray(x, dtype=np.float32))


def forward(
    model,
    inputs,
    training=False,
    seed=None,
    stop_after_dense=None,
    algorithm="philox",
    dropout_rate=None,
    hidden_activation=None,
):
    """Run the Sequential model layer by layer.

    training: apply dropout (seed: int32 [2] for the random masks; algorithm: see dropout) at
    each Dropout layer's rate, or at dropout_rate if given (a tensor the network sets).
    stop_after_dense: return the output of that Dense layer (1 = the first hidden layer)
    instead of the network's output, for the hidden-unit views; None runs every layer.
    hidden_activation(index, pre_activation): applied by hidden Dense layer `index` (from 0)
    instead of its own activation (nn_core.networks.Network._hidden_activation).
    """
    hidden, dense_seen = inputs, 0
    dense_count = sum(isinstance(layer, keras.layers.Dense) for layer in model.layers)
    for position, layer in enumerate(model.layers):
        if isinstance(layer, keras.layers.Rescaling):
            hidden = tf.cast(hidden, tf.float32) * layer.scale
        elif isinstance(layer, keras.layers.Dropout):
            if training:
                layer_seed = seed + tf.constant([0, 1], tf.int32) * position
                rate = layer.rate if dropout_rate is None else dropout_rate
                hidden = dropout(hidden, rate, layer_seed, algorithm)
        elif isinstance(layer, keras.layers.Dense):
            if hidden_activation is None or dense_seen == dense_count - 1:
                hidden = dense(layer, hidden)
            else:
                hidden = dense(layer, hidden, partial(hidden_activation, dense_seen))
            dense_seen += 1
            if dense_seen == stop_after_dense:
                break
        else:
            raise TypeError(
                f"The forward pass does not know the layer type {type(layer).__name__}."
            )
    return hidden


def dense(layer, inputs, activation=None):
    """activation(inputs @ kernel + bias), the layer's own activation unless another is
    given. Inputs [batch, fan_in] -> [batch, units].

    A RaggedTensor input holds each row's multi-hot word indices: as a SparseTensor of ones,
    its product with the kernel equals the matmul on the 0/1 vector without ever building
    that 10,000-wide vector (2.5x faster than gather + segment-sum)."""
    if isinstance(inputs, tf.RaggedTensor):
        indices = tf.stack([inputs.value_rowids(), tf.cast(inputs.values, tf.int64)], axis=1)
        shape = tf.stack([inputs.nrows(), tf.cast(tf.shape(layer.kernel)[0], tf.int64)])
        multi_hot = tf.sparse.SparseTensor(indices, tf.ones_like(inputs.values, tf.float32), shape)
        pre_activation = tf.sparse.sparse_dense_matmul(multi_hot, layer.kernel)
    else:
        pre_activation = tf.matmul(inputs, layer.kernel)  # [batch, units]
    return (activation or layer.activation)(pre_activation + layer.bias)


def dropout(inputs, rate, seed, algorithm="philox"):
    """Inverted dropout as keras.layers.Dropout does it: each value is kept with probability
    1 - rate and divided by 1 - rate, so the expected output is unchanged.

    The mask comes from a stateless generator: Keras' own seed-generator state makes the XLA
    loop about 100 times slower. Under XLA "threefry" is 4x faster than "philox"; outside
    XLA only "philox" runs on CPU."""
    keep = tf.random.stateless_uniform(tf.shape(inputs), seed=seed, alg=algorithm) >= rate
    return tf.where(keep, inputs / (1.0 - rate), 0.0)
