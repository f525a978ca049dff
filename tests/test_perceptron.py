"""nn_core.perceptron: the chapter's rule, checked step by step."""

import numpy as np
import pytest

from nn_core import data
from nn_core.perceptron import PerceptronConfig, step_output, train_perceptron


@pytest.mark.parametrize("name", ["and", "or", "blobs"])
def test_converges_on_linearly_separable_data(name):
    points, labels = data.make_toy_dataset(name, 100, 0.2, seed=0)
    history = train_perceptron(points, labels, PerceptronConfig(max_epochs=200))
    assert history.converged
    assert history.errors_per_epoch[-1] == 0
    assert (step_output(history.weights[-1], points) == labels).all()


@pytest.mark.parametrize("max_epochs", [1, 10, 300])
def test_never_converges_on_xor(max_epochs):
    points, labels = data.make_toy_dataset("xor", 100, 0.1, seed=0)
    history = train_perceptron(points, labels, PerceptronConfig(max_epochs=max_epochs))
    assert not history.converged
    assert history.epochs_run == max_epochs
    assert (history.errors_per_epoch > 0).all()


def test_each_update_is_the_rule_applied_by_hand():
    points, labels = data.make_toy_dataset("or", 20, 0.3, seed=2)
    config = PerceptronConfig(learning_rate=0.5, max_epochs=5, shuffle=True, seed=4)
    history = train_perceptron(points, labels, config)
    for step in range(history.steps):
        theta = history.weights[step]
        x = np.array([1.0, *points[history.sample_index[step]]])
        y = labels[history.sample_index[step]]
        y_prime = int(theta @ x >= 0)
        assert history.output[step] == y_prime
        np.testing.assert_allclose(history.weights[step + 1], theta + 0.5 * (y - y_prime) * x)


def test_zero_initial_weights_and_bad_settings():
    points, labels = data.make_toy_dataset("and", 20, 0.1)
    history = train_perceptron(points, labels, PerceptronConfig(zero_init=True))
    np.testing.assert_array_equal(history.weights[0], [0, 0, 0])
    with pytest.raises(ValueError, match="learning rate"):
        PerceptronConfig(learning_rate=0)
    with pytest.raises(ValueError, match="one class"):
        train_perceptron(points, np.zeros(len(points)))
    with pytest.raises(ValueError, match="at least 2 samples"):
        train_perceptron(points[:1], labels[:1])
