"""nn_core.theory: every number the theory pages show, checked against an independent
computation (TensorFlow's GradientTape, a Keras model, closed forms)."""

from dataclasses import replace

import numpy as np
import pytest

from nn_core import chapter, data, theory, training


def test_activation_derivatives_match_their_closed_forms():
    z = np.linspace(-6, 6, 121)
    sigmoid, d_sigmoid = theory.activation_and_derivative("sigmoid", z)
    np.testing.assert_allclose(d_sigmoid, sigmoid * (1 - sigmoid), atol=1e-12)
    tanh, d_tanh = theory.activation_and_derivative("tanh", z)
    np.testing.assert_allclose(d_tanh, 1 - tanh**2, atol=1e-12)
    relu, d_relu = theory.activation_and_derivative("relu", z)
    np.testing.assert_array_equal(relu, np.maximum(z, 0))
    np.testing.assert_array_equal(d_relu[z != 0], (z[z != 0] > 0).astype(float))
    step, d_step = theory.activation_and_derivative("step", z)
    assert set(step) == {0.0, 1.0} and not d_step.any()  # no gradient flows through a step
    with pytest.raises(ValueError, match="Unknown activation"):
        theory.activation_and_derivative("cube", z)


@pytest.mark.parametrize("activation", theory.ACTIVATIONS)
def test_activation_values_are_those_of_activation_and_derivative(activation):
    z = np.linspace(-6, 6, 121)
    values = theory.activation_values(activation, z)
    np.testing.assert_array_equal(values, theory.activation_and_derivative(activation, z)[0])
    assert values.dtype == np.float64 and values.shape == z.shape


@pytest.mark.parametrize("seed", range(5))
def test_backpropagation_by_hand_equals_gradient_tape(seed):
    rng = np.random.default_rng(seed)
    network = theory.TinyNetwork(
        rng.normal(size=(2, 2)), rng.normal(size=2), rng.normal(size=2), float(rng.normal())
    )
    x, y = rng.normal(size=2), float(seed % 2)
    by_hand, by_tape = network.gradients(x, y), theory.tape_gradients(network, x, y)
    assert set(by_hand) == set(by_tape) and len(by_hand) == 9
    for name, value in by_tape.items():
        assert abs(by_hand[name] - value) < 1e-6, name
    for step in network.backward(x, y)[1:]:  # each later step is its factors' product
        assert step.value == pytest.approx(np.prod(step.factors), rel=1e-12)
    before = network.forward(x, y)["loss"]
    assert network.updated(x, y, 0.1).forward(x, y)["loss"] < before


@pytest.mark.parametrize("activation", ["tanh", "sigmoid", "relu"])
def test_the_vectorised_forward_pass_equals_the_keras_model(activation):
    rng = np.random.default_rng(1)
    layers = [
        (rng.normal(size=(2, 3)), rng.normal(size=3)),
        (rng.normal(size=(3, 1)), rng.normal(size=1)),
    ]
    inputs = rng.normal(size=(4, 2))
    products = theory.forward_products(layers, inputs, [activation, "sigmoid"])
    assert [product.pre_activation.shape for product in products] == [(4, 3), (4, 1)]
    reference = theory.keras_output(layers, inputs, activation)
    assert np.abs(products[-1].output - reference).max() < 1e-6


def test_zero_initial_weights_keep_every_hidden_unit_identical():
    points, labels = data.make_toy_dataset("moons", 100, 0.3, 0)
    spec = replace(chapter.MOONS_NETWORK, hidden_units=(8,))
    config = replace(chapter.MOONS_TRAINING, epochs=300, initializer="zeros")
    result = training.train(spec, config, points, labels)
    outputs = training.predict(result, points, hidden_layer=1)
    assert np.ptp(outputs, axis=1).max() == 0  # max difference between units: exactly 0
    glorot = training.train(spec, replace(config, initializer="glorot"), points, labels)
    assert np.ptp(training.predict(glorot, points, hidden_layer=1), axis=1).max() > 0.1
    zero_report = theory.start_report(result, points)
    assert zero_report.unit_spread == 0 and zero_report.weights_moved == 0
    assert zero_report.final_loss == pytest.approx(np.log(2), abs=1e-3)  # nothing learned
    large = training.train(spec, replace(config, initializer="large"), points, labels)
    large_report = theory.start_report(large, points)
    glorot_report = theory.start_report(glorot, points)
    assert large_report.saturated_at_start > 0.3 and glorot_report.saturated_at_start == 0
    assert large_report.first_loss > 2 * glorot_report.first_loss  # confidently wrong at first
    with pytest.raises(ValueError, match="Unknown initializer"):
        training.TrainConfig(initializer="ones")


def test_learning_rate_regimes_on_the_loss_bowl():
    limit = theory.curvature_limit()
    kinds = {
        rate: theory.describe_descent(theory.descent_path((-3.0, 3.0), rate, 50))[0]
        for rate in (0.01, 0.3, 0.8, 0.9)
    }
    assert kinds == {0.01: "crawling", 0.3: "converged", 0.8: "oscillating", 0.9: "diverged"}
    assert 0.8 < limit < 0.9  # the computed limit separates the last two
    diverged = theory.descent_path((-3.0, 3.0), 1.0, 100)
    assert diverged.diverged_at is not None and np.isfinite(diverged.points).all()
    best_w, best_b, lowest = theory.best_line()
    surface = theory.mse_surface(np.array([best_w]), np.array([best_b]))
    assert surface[0, 0] == pytest.approx(lowest)


def test_one_hidden_layer_approximates_a_curve_as_a_sum_of_bumps():
    x = np.linspace(-3, 3, 200)
    target = theory.target_curve("sine", x)
    narrow = theory.approximate(x, target, units=1, epochs=1000)
    wide = theory.approximate(x, target, units=30, epochs=2000)
    assert wide.losses[-1] < 0.01 < narrow.losses[-1]
    contributions = wide.contributions(x)
    assert contributions.shape == (30, 200)
    np.testing.assert_allclose(contributions.sum(axis=0) + wide.output_bias, wide.predict(x))
    with pytest.raises(ValueError, match="hidden units"):
        theory.approximate(x, target, units=0)
