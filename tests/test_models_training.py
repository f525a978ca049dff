"""nn_core.models and nn_core.training: real (tiny, seeded) networks, asserted on behaviour."""

import time
from dataclasses import replace

import numpy as np
import pytest
import tensorflow as tf

from nn_core import data, models, training
from nn_core.forward import as_network_input, dropout, forward
from nn_core.pool import checkout


def xor_data():
    return data.make_toy_dataset("xor", 200, 0.1, seed=0)


def test_tanh_mlp_solves_xor():
    points, labels = xor_data()
    spec = models.ModelSpec(hidden_units=(4,), activation="tanh")
    result = training.train(
        spec, training.TrainConfig(learning_rate=1.0, epochs=1000), points, labels
    )
    assert result.metrics["train_accuracy"] == 1.0


def test_single_neuron_cannot_solve_xor():
    points, labels = xor_data()
    spec = models.ModelSpec(hidden_units=())
    result = training.train(spec, training.TrainConfig(epochs=500), points, labels)
    assert result.metrics["train_accuracy"] <= 0.8


def first_kernel_norm(result):
    return float(np.linalg.norm(result.weights[0]))


def test_l2_and_l1_give_smaller_weights_and_the_penalty_is_reported():
    points, labels = data.make_toy_dataset("moons", 200, 0.4, seed=0)
    config = training.TrainConfig(epochs=1000)
    plain = training.train(models.ModelSpec(hidden_units=(20,)), config, points, labels)
    l2 = training.train(models.ModelSpec(hidden_units=(20,), l2_rate=0.01), config, points, labels)
    l1 = training.train(models.ModelSpec(hidden_units=(20,), l1_rate=0.01), config, points, labels)
    assert first_kernel_norm(l2) < 0.7 * first_kernel_norm(plain)
    assert np.abs(l1.weights[0]).sum() < 0.7 * np.abs(plain.weights[0]).sum()
    assert l2.regularized and not plain.regularized
    assert (l2.history["total_loss"] > l2.history["loss"]).all()
    np.testing.assert_allclose(plain.history["total_loss"], plain.history["loss"])


def test_dropout_is_active_in_training_only():
    spec = models.ModelSpec(
        input_size=4, hidden_units=(64,), dropout_rate=0.5, activation="relu", output_units=10
    )
    x = tf.ones([8, 4])
    with checkout(spec) as network:
        network.reset(0)
        inference = [forward(network.model, x).numpy() for _ in range(2)]
        seed = tf.constant([1, 2], tf.int32)
        # Training always runs inside a traced function, as here.
        trained = tf.function(lambda: forward(network.model, x, True, seed))().numpy()
    np.testing.assert_array_equal(inference[0], inference[1])
    assert not np.allclose(trained, inference[0])


def test_dropout_drops_the_rate_and_rescales_the_rest():
    dropped = tf.function(lambda: dropout(tf.ones([100, 100]), 0.3, tf.constant([0, 7])))()
    values = dropped.numpy()
    assert abs(np.mean(values == 0) - 0.3) < 0.02
    np.testing.assert_allclose(values[values != 0], 1 / 0.7, rtol=1e-6)


def test_same_seed_same_curve_and_other_seed_differs():
    points, labels = data.make_toy_dataset("moons", 100, 0.3, seed=0)
    spec = models.ModelSpec(hidden_units=(10,), dropout_rate=0.2)
    runs = [
        training.train(spec, training.TrainConfig(epochs=200, seed=seed), points, labels)
        for seed in (5, 5, 6)
    ]
    np.testing.assert_array_equal(runs[0].history["loss"], runs[1].history["loss"])
    assert not np.allclose(runs[0].history["loss"], runs[2].history["loss"])


def test_mini_batch_path_matches_two_numpy_sgd_steps():
    """The XLA mini-batch loop, checked against NumPy: logistic regression, one epoch of two
    batches in the shuffled order the trainer uses, plain SGD."""
    points, labels = data.make_toy_dataset("blobs", 32, 0.5, seed=0)
    spec, rate, seed = models.ModelSpec(hidden_units=()), 0.5, 4
    config = training.TrainConfig(learning_rate=rate, epochs=1, batch_size=16, seed=seed)
    result = training.train(spec, config, points, labels)
    with checkout(spec) as network:
        network.reset(seed)
        kernel, bias = (weight.astype(np.float64)[..., 0] for weight in network.weights())
    order = np.random.default_rng(seed).permutation(len(labels))  # as the trainer shuffles
    for batch in (order[:16], order[16:]):
        x, y = points[batch].astype(np.float64), labels[batch]
        error = (1 / (1 + np.exp(-(x @ kernel + bias))) - y) / len(batch)  # dLoss/dlogit
        kernel, bias = kernel - rate * x.T @ error, bias - rate * error.sum()
    np.testing.assert_allclose(result.weights[0][:, 0], kernel, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(result.weights[1][0], bias, atol=1e-6)


def test_an_unknown_layer_type_raises_instead_of_acting_as_dense():
    import keras

    model = keras.Sequential([keras.Input((2,)), keras.layers.BatchNormalization()])
    with pytest.raises(TypeError, match="BatchNormalization"):
        forward(model, tf.ones([3, 2]))


def test_hidden_kernels_are_the_hidden_layers_weights():
    points, labels = data.make_toy_dataset("moons", 50, 0.3, seed=0)
    spec = models.ModelSpec(hidden_units=(5, 3))
    result = training.train(spec, training.TrainConfig(epochs=2), points, labels)
    assert [kernel.shape for kernel in result.hidden_kernels] == [(2, 5), (5, 3)]


def test_with_setting_changes_one_hyperparameter_where_it_lives():
    spec, config = models.ModelSpec(), training.TrainConfig()
    assert training.with_setting(spec, config, "hidden_units", 5)[0].hidden_units == (5,)
    assert training.with_setting(spec, config, "learning_rate", 0.1)[1].learning_rate == 0.1
    assert training.with_setting(spec, config, "l2_rate", 0.01) == (
        models.ModelSpec(l2_rate=0.01),
        config,
    )


def test_dropout_runs_in_both_trainers():
    points, labels = data.make_toy_dataset("moons", 100, 0.3, seed=0)
    spec = models.ModelSpec(hidden_units=(10,), dropout_rate=0.3)
    for batch_size in (None, 16):
        config = training.TrainConfig(epochs=20, batch_size=batch_size)
        assert np.isfinite(training.train(spec, config, points, labels).history["loss"]).all()


def test_mini_batches_learn_and_report_progress():
    points, labels = data.make_toy_dataset("moons", 300, 0.2, seed=0)
    split = data.split_train_validation(points, labels, 0.2)
    calls = []
    result = training.train(
        models.ModelSpec(hidden_units=(16,), activation="relu"),
        training.TrainConfig(optimizer="adam", learning_rate=0.01, epochs=30, batch_size=32),
        split.x_train,
        split.y_train,
        split.x_validation,
        split.y_validation,
        on_epoch_end=lambda done, total, history: calls.append((done, total, len(history))),
    )
    # Progress while it runs (at most every quarter second, many epochs per compiled call)
    # and always at the end; the history handed over grows with the epochs done.
    assert calls[-1] == (30, 30, 30)
    assert all(done == rows for done, _, rows in calls)
    assert [done for done, _, _ in calls] == sorted({done for done, _, _ in calls})
    assert result.metrics["val_accuracy"] > 0.85
    assert list(result.history.columns) == [
        "epoch",
        "loss",
        "total_loss",
        "accuracy",
        "val_loss",
        "val_accuracy",
    ]


def test_one_gradient_step_matches_numpy():
    """Logistic regression, one full-batch SGD step, checked against the closed-form gradient."""
    points, labels = data.make_toy_dataset("blobs", 16, 0.5, seed=0)
    spec = models.ModelSpec(hidden_units=())
    result = training.train(
        spec, training.TrainConfig(learning_rate=0.5, epochs=1, seed=3), points, labels
    )
    with checkout(spec) as network:
        network.reset(3)
        kernel, bias = (weight.astype(np.float64) for weight in network.weights())
    probabilities = 1 / (1 + np.exp(-(points @ kernel + bias)))[:, 0]
    error = (probabilities - labels) / len(labels)  # d(mean cross-entropy)/d(logit)
    expected_kernel = kernel[:, 0] - 0.5 * points.T @ error
    np.testing.assert_allclose(result.weights[0][:, 0], expected_kernel, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(result.weights[1][0], bias[0] - 0.5 * error.sum(), atol=1e-6)


def test_multi_hot_first_layer_equals_a_dense_layer_on_the_vector(offline_data):
    imdb = data.load_imdb(vocabulary_size=20)
    matrix = data.multi_hot(imdb.train.subset(0, 30), 20)
    spec = models.ModelSpec(input_size=20, hidden_units=(6, 6), activation="relu")
    with checkout(spec) as network:
        network.reset(1)
        sparse_output = forward(network.model, as_network_input(matrix)).numpy()
        keras_output = network.model(matrix.toarray(), training=False).numpy()
    np.testing.assert_allclose(sparse_output, keras_output, rtol=1e-5, atol=1e-6)


def test_parameter_count_matches_keras_and_the_chapter():
    from nn_core import chapter

    spec = chapter.MNIST_NETWORK
    expected = chapter.MNIST_PRINTED["parameters"]
    assert models.parameter_count(spec) == models.build_model(spec).count_params() == expected
    for name, network in chapter.IMDB_PRESETS.items():
        assert models.parameter_count(network) == chapter.IMDB_PRINTED["parameters"][name]


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"hidden_units": (0,)}, "at least one unit"),
        ({"activation": "cube"}, "Unknown activation"),
        ({"dropout_rate": 1.0}, "dropout"),
        ({"l2_rate": -1}, "L1 and L2"),
        ({"output_units": 2}, "1 output unit"),
    ],
)
def test_impossible_models_are_rejected(arguments, message):
    with pytest.raises(ValueError, match=message):
        models.ModelSpec(**arguments)


def test_impossible_training_settings_are_rejected():
    with pytest.raises(ValueError, match="learning rate"):
        training.TrainConfig(learning_rate=0)
    with pytest.raises(ValueError, match="Epochs"):
        training.TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="one class"):
        training.train(
            models.ModelSpec(),
            training.TrainConfig(epochs=1),
            np.zeros((4, 2), np.float32),
            np.zeros(4),
        )
    with pytest.raises(ValueError, match="features"):
        training.train(
            models.ModelSpec(),
            training.TrainConfig(epochs=1),
            np.zeros((4, 3), np.float32),
            np.array([0, 1, 0, 1]),
        )


def test_nn_core_does_not_import_streamlit():
    import subprocess
    import sys

    modules = "nn_core.data, nn_core.training, nn_core.charts, nn_core.perceptron"
    code = f"import sys, {modules}; print('streamlit' in sys.modules)"
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert output.stdout.strip() == "False"


def test_downloaded_keras_file_loads_and_predicts_like_the_engine(tmp_path):
    import keras

    points, labels = data.make_toy_dataset("moons", 100, 0.3, seed=0)
    spec = models.ModelSpec(hidden_units=(6,), dropout_rate=0.2)
    result = training.train(spec, training.TrainConfig(epochs=100), points, labels)
    path = tmp_path / "model.keras"
    path.write_bytes(models.keras_file(result.spec, result.weights))
    loaded = keras.models.load_model(path)
    np.testing.assert_allclose(
        loaded.predict(points, verbose=0), training.predict(result, points), rtol=1e-5, atol=1e-6
    )


# ---------------------------------------------------------------- chunked training, stopping


def small_circles():
    points, labels = data.make_toy_dataset("circles", 300, 0.1, seed=0)
    return data.split_train_validation(points, labels, 0.2)


@pytest.mark.parametrize("batch_size", [32, 40])  # 240 samples: whole batches, and a remainder
def test_chunked_mini_batch_training_equals_epoch_by_epoch(monkeypatch, batch_size):
    """Many epochs per compiled call give the very weights and curves of one epoch per call."""
    split = small_circles()
    spec = models.ModelSpec(hidden_units=(8, 8), activation="tanh", dropout_rate=0.1)
    config = training.TrainConfig(
        optimizer="adam", learning_rate=0.01, epochs=25, batch_size=batch_size, seed=3
    )
    chunked = training.train_split(spec, config, split)
    monkeypatch.setattr(training, "REPORT_SECONDS", 0.0)  # every call runs a single epoch
    one_by_one = training.train_split(spec, config, split)
    for mine, theirs in zip(chunked.weights, one_by_one.weights, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(
        chunked.history.to_numpy(), one_by_one.history.to_numpy(), rtol=1e-5, atol=1e-6
    )


def test_chunked_full_batch_training_equals_one_call(monkeypatch):
    split = small_circles()
    spec = models.ModelSpec(hidden_units=(6,), activation="tanh")
    config = training.TrainConfig(epochs=300, seed=1)
    whole = training.train_split(spec, config, split)
    monkeypatch.setattr(training, "REPORT_SECONDS", 0.0)
    chunked = training.train_split(spec, config, split)
    for mine, theirs in zip(chunked.weights, whole.weights, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)


def test_a_stopped_training_keeps_a_consistent_partial_result(monkeypatch):
    """Stop after the report that follows epoch 10: the result holds exactly the epochs done,
    its weights are those of that epoch (retraining to that epoch gives them), and it says so."""
    monkeypatch.setattr(training, "REPORT_SECONDS", 0.0)
    monkeypatch.setattr(training.time, "perf_counter", iter(range(0, 10**6)).__next__)
    split = small_circles()
    spec = models.ModelSpec(hidden_units=(8,), activation="tanh")
    config = training.TrainConfig(optimizer="adam", learning_rate=0.01, epochs=40, batch_size=32)
    stop_at = lambda done, total, history: training.STOP if done >= 10 else None  # noqa: E731
    result = training.train_split(spec, config, split, stop_at)
    assert result.stopped == "stopped" and result.epochs_done == 10
    assert "stopped at epoch 10 of 40" in result.stop_message
    shorter = training.train_split(spec, replace(config, epochs=10), split)
    for mine, theirs in zip(result.weights, shorter.weights, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-5, atol=1e-6)
    assert shorter.stopped is None


def test_a_stop_pressed_while_a_long_training_gives_way_is_answered_before_its_next_call():
    """A slower training pauses for short ones between its compiled calls; a Stop pressed in
    that pause is answered when the pause ends, not one compiled call later. (The loop's
    control alone: each call hands back rows of a loss well below chance.)"""
    config = training.TrainConfig(epochs=10_000)
    calls, pressed = [], []

    def run_chunk(first_epoch, count):
        calls.append(count)
        return np.full((count, len(training.HISTORY_COLUMNS)), 0.1, np.float32)

    def give_way(seconds):  # a short training runs meanwhile; Stop is pressed in the pause
        time.sleep(0.1)
        pressed.append(len(calls))

    def progress(done, total, history):
        return training.STOP if pressed else None

    chance = training.Chance(loss=0.69, accuracy=0.5)
    history, stopped = training._run_in_chunks(run_chunk, 10, config, chance, progress, give_way)
    assert stopped == "stopped" and len(calls) == pressed[0] == 1
    assert len(history) == calls[0]


def test_a_diverging_training_stops_with_a_sentence_that_says_what_to_try(monkeypatch):
    monkeypatch.setattr(training, "REPORT_SECONDS", 0.0)  # checked after every epoch
    split = small_circles()
    spec = models.ModelSpec(hidden_units=(32, 32, 32), activation="relu")
    config = training.TrainConfig(optimizer="sgd", learning_rate=100.0, epochs=2000)
    result = training.train_split(spec, config, split)
    assert result.stopped == "diverged" and 500 <= result.epochs_done < 600  # a quarter on
    assert "more than twice what guessing gives" in result.stop_message
    assert "lower learning rate" in result.stop_message and "Adam" in result.stop_message


def test_a_training_stuck_at_chance_stops_unless_the_plateau_is_the_lesson(monkeypatch):
    monkeypatch.setattr(training, "REPORT_SECONDS", 0.0)
    split = small_circles()
    spec = models.ModelSpec(hidden_units=(4,), activation="tanh")
    stuck = training.TrainConfig(epochs=1000, initializer="zeros", learning_rate=0.01)
    result = training.train_split(spec, stuck, split)
    assert result.stopped == "stalled" and result.epochs_done == 250  # a quarter of the run
    assert "guessing gives (0.693)" in result.stop_message and "50%" in result.stop_message
    assert "random weights" in result.stop_message
    kept = training.train_split(spec, replace(stuck, stop_at_chance=False), split)
    assert kept.stopped is None and kept.epochs_done == 1000


def test_a_queued_long_training_leaves_the_queue_when_stopped_and_blocks_no_other_lane():
    """While the long lane is taken, a long training waits and its callback hears "0 epochs
    done"; STOP then gives up without training (pool.Cancelled). Short and medium trainings
    are not held up meanwhile."""
    from nn_core import pool

    split = small_circles()
    spec = models.ModelSpec(hidden_units=(4,), activation="tanh")
    config = training.TrainConfig(epochs=50)
    heard = []

    def stop_while_queued(done, total, history):
        heard.append((done, total, len(history)))
        return training.STOP if len(heard) >= 3 else None

    assert [pool.lane(seconds) for seconds in (None, 1.0, 5.0, 60.0)] == [
        "short",
        "short",
        "medium",
        "long",
    ]
    with pool._lanes["long"]:  # a long training elsewhere holds the lane
        with pytest.raises(pool.Cancelled):
            training.train_split(spec, config, split, stop_while_queued, seconds=60.0)
        others = [training.train_split(spec, config, split, seconds=s) for s in (1.0, 5.0)]
    assert heard == [(0, 50, 0)] * 3
    assert [result.epochs_done for result in others] == [50, 50]
    finished = training.train_split(spec, config, split, lambda *report: None, seconds=60.0)
    assert finished.epochs_done == 50  # the lane is free again


def test_one_compiled_network_serves_every_regularization_rate():
    """The pool lends one network per architecture (with or without dropout) whatever the L1,
    L2 and dropout rates, and a result does not depend on what that network trained before:
    a fresh network gives the same weights."""
    from nn_core import pool

    split = small_circles()
    config = training.TrainConfig(epochs=60, seed=2)
    base = models.ModelSpec(hidden_units=(7,), activation="tanh")
    l2, both = replace(base, l2_rate=0.01), replace(base, l1_rate=0.003, l2_rate=0.02)
    assert models.compiled_form(l2) == models.compiled_form(both) == models.compiled_form(base)
    assert models.compiled_form(replace(base, dropout_rate=0.2)) == models.compiled_form(
        replace(base, dropout_rate=0.4)
    )
    pool._idle_networks.clear()
    fresh = training.train_split(both, config, split)
    training.train_split(l2, config, split)  # the same network, other rates in between
    training.train_split(base, config, split)
    reused = training.train_split(both, config, split)
    assert sum(len(networks) for networks in pool._idle_networks.values()) == 1
    for mine, theirs in zip(reused.weights, fresh.weights, strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert not np.allclose(reused.weights[0], training.train_split(base, config, split).weights[0])


def test_the_penalty_is_what_keras_regularizers_add_to_the_loss():
    spec = models.ModelSpec(hidden_units=(5, 4), l1_rate=0.003, l2_rate=0.02)
    keras_model = models.build_model(spec)  # Dense layers with kernel_regularizer=L1L2
    with checkout(spec) as network:
        network.reset(4)
        keras_model.set_weights(network.weights())
        ours = float(network._penalty())
    assert ours > 0
    np.testing.assert_allclose(ours, float(tf.add_n(keras_model.losses)), rtol=1e-6)


def test_wide_inputs_train_epoch_by_epoch_without_xla(monkeypatch):
    """MNIST-wide networks skip the XLA loop (its compile per data shape costs more than it
    saves) and still learn; the plane's networks keep it."""
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 300)
    wide = rng.normal(0, 1, (300, training.MAX_XLA_INPUTS + 1)).astype(np.float32)
    wide[:, 0] += 3 * labels  # one informative feature
    spec = models.ModelSpec(input_size=wide.shape[1], hidden_units=(8,), activation="relu")
    config = training.TrainConfig(optimizer="adam", learning_rate=0.01, epochs=5, batch_size=32)

    def no_xla(*arguments):
        raise AssertionError("the XLA loop was used")

    monkeypatch.setattr(training, "_dense_epochs", no_xla)
    result = training.train(spec, config, wide, labels)
    assert result.epochs_done == 5 and result.metrics["train_accuracy"] > 0.9
    narrow = models.ModelSpec(hidden_units=(4,), activation="tanh")
    with pytest.raises(AssertionError, match="XLA loop"):
        training.train(narrow, config, wide[:, :2], labels)


def test_background_work_waits_until_no_training_is_asked_for():
    """pool.wait_until_idle (the warm-up's compiling waits there) blocks while a network is
    checked out and returns once it is back."""
    import threading

    from nn_core import pool

    pool.wait_until_idle()  # idle: returns at once
    spec = models.ModelSpec(hidden_units=(3,))
    returned = threading.Event()
    with checkout(spec):
        waiter = threading.Thread(target=lambda: (pool.wait_until_idle(), returned.set()))
        waiter.start()
        assert not returned.wait(0.3)  # a training is under way: background work waits
    assert returned.wait(5)
    waiter.join()


def test_tensorflow_s_retracing_warning_stays_out_of_a_server_s_terminal(caplog):
    """Every network traces its own loops once, and TensorFlow warned "5 out of the last 5
    calls ... triggered tf.function retracing" once a server had made five: the warning is
    dropped (nn_core.networks), and TensorFlow's other warnings are not."""
    import logging

    import nn_core.networks  # noqa: F401 (installs the filter)

    def traced_function():
        def loop(x):
            return x * 2.0

        return tf.function(loop)

    with caplog.at_level(logging.WARNING, logger="tensorflow"):
        for _ in range(7):  # as seven new networks would
            traced_function()(tf.constant(1.0))
        tf.get_logger().warning("another warning")
    messages = [record.getMessage() for record in caplog.records]
    assert messages == ["another warning"]
