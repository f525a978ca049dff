"""Training-time estimates (issue 18): what they count, and the machine's measured prices."""

import math
from dataclasses import replace

import numpy as np

from nn_core import chapter, cost, models, training


def test_cost_terms_count_steps_parameters_and_arithmetic():
    # 2 -> 3 -> 1, which runs padded as 2 -> 8 -> 1 (models.compiled_form): 24 multiply-adds
    # per sample, 33 parameters
    spec = models.ModelSpec(hidden_units=(3,))
    config = training.TrainConfig(epochs=10, batch_size=32)
    steps, parameter_steps, work, dense, sparse = cost.cost_terms(spec, config, 100, 20)
    assert steps == 10 * math.ceil(100 / 32)
    assert parameter_steps == steps * 33
    assert work == 10 * 24 * (3 * 100 + 20)  # training: forward + backward; validation: forward
    assert dense == 10 * (100 + 20) * 2 and sparse == 0  # every input value, every epoch
    # Multi-hot inputs: only a review's own words count in the first layer.
    imdb = models.ModelSpec(input_size=10_000, hidden_units=(16,))
    assert cost.forward_multiply_adds(imdb, inputs_per_sample=120) == 120 * 16 + 16
    *_, dense, sparse = cost.cost_terms(imdb, config, 100, 20, inputs_per_sample=120)
    assert dense == 0 and sparse == 10 * 120 * 120


def test_mnist_and_imdb_estimates_count_their_inputs():
    """The chapter's MNIST and IMDB trainings take 1.5-2.5 s on this project's machines once
    compiled; before input values were priced they were estimated at 0.4 and 0.25 s."""
    mnist = cost.estimate_seconds(chapter.MNIST_NETWORK, chapter.MNIST_TRAINING, 54_000, 6_000)
    imdb = cost.estimate_seconds(
        chapter.IMDB_BASELINE, chapter.IMDB_TRAINING, 15_000, 10_000, inputs_per_sample=131
    )
    assert 1.0 < mnist < 3.0 and 1.5 < imdb < 4.0


def test_estimates_grow_with_epochs_units_and_smaller_batches():
    spec, config = chapter.MOONS_NETWORK, chapter.MOONS_TRAINING
    base = cost.estimate_seconds(spec, config, 140, 60)
    assert cost.estimate_seconds(spec, replace(config, epochs=10_000), 140, 60) > base
    assert cost.estimate_seconds(replace(spec, hidden_units=(100,) * 4), config, 140, 60) > base
    assert cost.estimate_seconds(spec, replace(config, batch_size=8), 140, 60) > base
    # The worst case is long; the chapter's setting is short.
    worst = cost.estimate_seconds(
        models.ModelSpec(hidden_units=(100,) * 4),
        training.TrainConfig(epochs=10_000, batch_size=8),
        1400,
        600,
    )
    assert worst > cost.LONG_SECONDS > 1 > base
    assert cost.describe(worst).endswith("min") and cost.describe(0.2) == "under a second"


def test_calibration_measures_positive_prices_on_this_machine():
    speed = cost.calibrate()
    prices = [speed.per_step, speed.per_parameter_step, speed.per_multiply_add]
    assert all(np.isfinite(price) and price > 0 for price in prices)
