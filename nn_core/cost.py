"""What a training will cost before it starts: seconds estimated from the setting (optimizer
steps and the arithmetic of each), with the machine's own speed measured once.

The model: seconds = per_run + steps x (per_step + parameters x per_parameter_step) +
multiply-adds x per_multiply_add + input values read x their price (dense pixels, or the
words of sparse multi-hot reviews, which cost far more each). A step's fixed cost grows with
the parameters it updates (small batches are far from the arithmetic's peak speed); the
arithmetic is about three forward passes per training sample (forward, and backward for the
gradients), plus one forward pass over the validation samples each epoch. Three small
trainings measure the machine: many cheap steps, many steps of a wide network, and a few steps
of a lot of arithmetic.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from nn_core.models import ModelSpec, compiled_form, parameter_count
from nn_core.pool import LONG_SECONDS  # noqa: F401 (pages ask before a longer training)
from nn_core.training import TrainConfig, train


@dataclass(frozen=True)
class Speed:
    per_run: float  # seconds: building the batches, evaluating at the end
    per_step: float  # seconds per optimizer step beyond its arithmetic...
    per_parameter_step: float  # ...and per parameter it updates
    per_multiply_add: float  # seconds per multiply-add of training arithmetic
    # Seconds per input value fed to the network (each sample, each epoch): MNIST's 784 pixels
    # cost more than their arithmetic, and a sparse review's words more still. Measured on
    # this project's machines (MNIST's and IMDB's chapter trainings), not by calibrate(),
    # whose small trainings have two inputs.
    per_input_value: float = 2.2e-9
    per_sparse_input: float = 3.2e-8


# Measured on a 2-core CPU without a GPU (this project's machines), used until calibrate()
# has run: an estimate is never missing, only less exact.
DEFAULT_SPEED = Speed(
    per_run=0.02, per_step=2.0e-6, per_parameter_step=2.0e-9, per_multiply_add=1.3e-11
)


def forward_multiply_adds(spec: ModelSpec, inputs_per_sample: float | None = None) -> float:
    """Multiply-adds of one sample's forward pass. inputs_per_sample: for sparse inputs (IMDB's
    multi-hot reviews) the words per review, since only those rows of the first layer count."""
    sizes = [spec.input_size, *spec.hidden_units, spec.output_units]
    first = inputs_per_sample if inputs_per_sample is not None else sizes[0]
    return first * sizes[1] + sum(a * b for a, b in zip(sizes[1:-1], sizes[2:], strict=True))


def cost_terms(
    spec: ModelSpec,
    config: TrainConfig,
    train_count: int,
    validation_count: int = 0,
    inputs_per_sample: float | None = None,
) -> np.ndarray:
    """[steps, steps x parameters, multiply-adds, dense input values, sparse input values] of
    a whole training: what Speed prices, for the network that runs (a small one is padded:
    models.compiled_form)."""
    spec = compiled_form(spec)
    batch = min(config.batch_size or train_count, train_count)
    steps = config.epochs * math.ceil(train_count / batch)
    forward = forward_multiply_adds(spec, inputs_per_sample)
    work = config.epochs * forward * (3 * train_count + validation_count)
    fed = config.epochs * (train_count + validation_count)
    dense = fed * spec.input_size if inputs_per_sample is None else 0.0
    sparse = fed * inputs_per_sample if inputs_per_sample is not None else 0.0
    return np.array([steps, steps * parameter_count(spec), work, dense, sparse], dtype=float)


def estimate_seconds(
    spec: ModelSpec,
    config: TrainConfig,
    train_count: int,
    validation_count: int = 0,
    inputs_per_sample: float | None = None,
    speed: Speed = DEFAULT_SPEED,
) -> float:
    terms = cost_terms(spec, config, train_count, validation_count, inputs_per_sample)
    prices = np.array(
        [
            speed.per_step,
            speed.per_parameter_step,
            speed.per_multiply_add,
            speed.per_input_value,
            speed.per_sparse_input,
        ]
    )
    return speed.per_run + float(terms @ prices)


def describe(seconds: float) -> str:
    """'about 3 s', 'about 40 s', 'about 4 min'."""
    if seconds < 1:
        return "under a second"
    if seconds < 90:
        return f"about {seconds:.0f} s"
    return f"about {seconds / 60:.0f} min"


def calibrate() -> Speed:
    """Measure this machine with three trainings, each run twice (the first compiles) and
    timed the second time: about two seconds of CPU, once per server."""
    rng = np.random.default_rng(0)
    points = rng.normal(size=(512, 2)).astype(np.float32)
    labels = (points[:, 0] * points[:, 1] > 0).astype(np.int32)
    runs = (
        (ModelSpec(hidden_units=(8,)), TrainConfig(epochs=500, batch_size=8)),  # cheap steps
        (ModelSpec(hidden_units=(100,) * 4), TrainConfig(epochs=30, batch_size=8)),  # wide
        (ModelSpec(hidden_units=(256, 256)), TrainConfig(epochs=150)),  # arithmetic
    )
    terms, seconds = [], []
    for spec, config in runs:
        for _ in range(2):
            started = time.perf_counter()
            train(spec, config, points, labels)
            elapsed = time.perf_counter() - started
        terms.append(cost_terms(spec, config, len(labels))[:3])  # (two inputs: no input price)
        seconds.append(elapsed - DEFAULT_SPEED.per_run)
    prices = np.linalg.solve(np.array(terms), np.array(seconds))
    defaults = (
        DEFAULT_SPEED.per_step,
        DEFAULT_SPEED.per_parameter_step,
        DEFAULT_SPEED.per_multiply_add,
    )
    # A noisy measurement (a busy machine) must not give a free or negative price.
    per_step, per_parameter_step, per_multiply_add = (
        float(max(price, default / 10)) for price, default in zip(prices, defaults, strict=True)
    )
    return Speed(DEFAULT_SPEED.per_run, per_step, per_parameter_step, per_multiply_add)
