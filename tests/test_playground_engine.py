"""The engine behind the MLP page's Playground features (issue 14): replay snapshots taken in
the compiled loops, input features, no hidden layer, multi-class and regression sets, early
stopping, and the generated Keras code."""

from __future__ import annotations

import json
import sys
from dataclasses import replace

import numpy as np
import pytest
from test_xla_cache import run_python

from nn_core import chapter, data, diagram, features, models, pool, training
from nn_core.models import ModelSpec

MOONS, CHAPTER = chapter.MOONS_NETWORK, chapter.MOONS_TRAINING
FEATURES = ("x1", "x1_x2", "sin_x2")


def toy_split(name, samples=200, noise=0.2, classes=2, validation=0.2):
    points, labels = data.make_toy_dataset(name, samples, noise, seed=0, classes=classes)
    return data.split_train_validation(points, labels, validation, seed=0)


@pytest.mark.parametrize("batch_size", [None, 32])
def test_a_snapshot_equals_the_weights_of_a_run_trained_only_up_to_that_epoch(batch_size):
    split = chapter.moons_split()
    config = replace(CHAPTER, epochs=400, batch_size=batch_size)
    replayed = training.train_split(MOONS, replace(config, replay_frames=30), split)
    epochs = replayed.snapshot_epochs
    assert epochs[0] == 0 and epochs[-1] == 400 and 25 <= len(epochs) <= 31
    assert list(epochs) == sorted(set(epochs))
    for epoch in (epochs[1], epochs[len(epochs) // 2], epochs[-2]):
        shorter = training.train_split(MOONS, replace(config, epochs=epoch), split)
        snapshot = replayed.snapshots[epochs.index(epoch)]
        for saved, trained in zip(snapshot, shorter.weights, strict=True):
            np.testing.assert_allclose(saved, trained, atol=1e-5)
    initial = training.initial_weights(MOONS, config)
    np.testing.assert_allclose(replayed.snapshots[0][0], initial[0])
    np.testing.assert_allclose(replayed.snapshots[-1][0], replayed.weights[0])


@pytest.mark.parametrize("batch_size", [None, 32])
def test_a_replay_finds_the_best_epoch_as_early_stopping_watches_it(batch_size):
    """The replay's loop writes snapshots only; its best epoch is found in the history, the
    same epoch early stopping's loop tracks, across the training's several compiled calls."""
    config = replace(CHAPTER, epochs=1200, batch_size=batch_size, replay_frames=30)
    replayed = training.train_split(MOONS, config, chapter.moons_split())
    assert replayed.best_epoch == int(replayed.history["val_loss"].to_numpy().argmin()) + 1
    watched = training.train_split(MOONS, replace(config, patience=5000), chapter.moons_split())
    assert watched.early_stop_epoch is None and watched.best_epoch == replayed.best_epoch


def test_without_replay_frames_no_snapshots_are_kept():
    result = training.train_split(MOONS, replace(CHAPTER, epochs=50), chapter.moons_split())
    assert result.snapshot_epochs == () and result.snapshots == ()


def test_replay_epochs_are_spread_log_wise():
    epochs = training.replay_epochs(5000, 30)
    assert len(epochs) == 30 and epochs[-1] == 5000 and epochs[0] == 1
    assert epochs[10] < 100  # early epochs, where the boundary moves most, get more frames
    assert training.replay_epochs(10, 30) == tuple(range(1, 11))


def test_features_are_computed_as_stated():
    points = np.array([[0.5, -2.0], [1.0, 3.0]], np.float32)
    expanded = features.expand(points, features.check(["sin_x2", "x1_x2", "x1_squared", "x1"]))
    # check() puts them in the order the page lists them: x1, x1², x1·x2, sin x2
    expected = np.column_stack(
        [points[:, 0], points[:, 0] ** 2, points[:, 0] * points[:, 1], np.sin(points[:, 1])]
    )
    np.testing.assert_allclose(expanded, expected, rtol=1e-6)
    with pytest.raises(ValueError, match="Unknown input feature 'x3'"):
        features.check(["x1", "x3"])
    with pytest.raises(ValueError, match="at least one"):
        features.check([])


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_every_choice_of_features_trains_one_padded_network_with_the_same_result(optimizer):
    """The chosen features enter zero-padded to all seven (one compiled network for every
    choice); the padded inputs' kernel rows stay zero, so the run equals one of a network with
    only the chosen inputs, fed the same columns (L1 and L2 included: |0|' and 0² add none)."""
    split = toy_split("circles")
    chosen = ("x1", "x1_squared", "x2_squared")
    spec = replace(MOONS, input_size=3, input_features=chosen, l1_rate=0.001, l2_rate=0.001)
    config = replace(CHAPTER, epochs=300, optimizer=optimizer, learning_rate=0.05)
    padded = training.train_split(spec, replace(config, replay_frames=10), split)
    as_columns = replace(split, x_train=features.expand(split.x_train, chosen))
    as_columns = replace(as_columns, x_validation=features.expand(split.x_validation, chosen))
    plain = training.train_split(replace(spec, input_features=()), config, as_columns)
    assert [w.shape for w in padded.weights] == [(3, 50), (50,), (50, 1), (1,)]
    assert padded.parameter_count == plain.parameter_count == 251
    for ours, theirs in zip(padded.weights, plain.weights, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    assert all(snapshot[0].shape == (3, 50) for snapshot in padded.snapshots)
    np.testing.assert_allclose(padded.history.to_numpy(), plain.history.to_numpy(), atol=1e-5)


def test_the_warm_up_compiles_every_width_of_the_mlp_page_s_warm_networks_once():
    """Each of the page's unit choices, at each warm depth and activation, on the plane and
    (one layer) on features, trains a network the warm-up's list compiles; none twice."""
    compiled = [models.compiled_form(spec) for spec in chapter.moons_networks_to_compile()]
    assert len(compiled) == len(set(compiled))
    for activation, depths in chapter.MOONS_WARM_NETWORKS:
        for depth in depths:
            for units in chapter.MOONS_UNIT_CHOICES:
                spec = replace(MOONS, hidden_units=(units,) * depth, activation=activation)
                assert models.compiled_form(spec) in compiled
        on_features = replace(
            MOONS, activation=activation, input_size=2, input_features=("x1_squared", "x2")
        )
        assert models.compiled_form(on_features) in compiled
    assert models.compiled_form(replace(MOONS, hidden_units=(100, 3))).hidden_units == (128, 128)
    no_hidden = [replace(MOONS, hidden_units=(), activation=name) for name in models.ACTIVATIONS]
    assert len({models.compiled_form(spec) for spec in no_hidden}) == 1  # (no activation used)


# The warm-up as a server runs it after its first page (here without its list of networks
# and its helper process), then the priority of each of TensorFlow's threads (Linux's
# /proc: a thread's nice value is field 19 of its stat line).
WARM_UP_THEN_NICENESS = """
import json, threading
from pathlib import Path
from nn_core import chapter, precompile
chapter.moons_networks_to_compile = lambda: []
precompile.start_in_background = lambda: None
from ui import warmup
warmup.warm_up_in_background()
next(t for t in threading.enumerate() if t.name == "warm up").join()
threads = {}
for task in Path("/proc/self/task").iterdir():
    try:  # (a thread joined above can still be ending: its entry then vanishes)
        name, stat = (task / "comm").read_text().strip(), (task / "stat").read_text()
    except FileNotFoundError:
        continue
    threads.setdefault(name, set()).add(int(stat.rsplit(")")[1].split()[16]))
print(json.dumps({name: sorted(nice) for name, nice in threads.items()}))
"""


@pytest.mark.skipif(sys.platform != "linux", reason="thread priorities are read from Linux's /proc")
def test_the_warm_up_leaves_tensorflow_s_threads_at_the_normal_priority():
    """The warm-up thread runs at the lowest priority, and a thread starts with its parent's:
    had it started TensorFlow's pools, every student's training would have run at that
    priority too (it did, when the home page was a server's first page)."""
    threads = json.loads(run_python(WARM_UP_THEN_NICENESS, "off", NN_EXPLORER_WARM_UP="1"))
    pools = {name: nice for name, nice in threads.items() if name.startswith("tf_")}
    assert {"tf_Compute", "tf_XLAEigen"} <= set(pools), threads
    assert all(nice == [0] for nice in pools.values()), pools


@pytest.mark.parametrize("activation", models.ACTIVATIONS)
def test_a_small_network_trains_padded_to_a_shared_width_with_the_same_result(
    activation, monkeypatch
):
    """A small network is compiled with every hidden layer 8 wide here (models.compiled_form);
    its padded units stay at zero (sigmoid's through their mask), so the run equals one of a
    network compiled at the spec's own sizes: weights, snapshots, history and a hidden
    layer's outputs."""
    spec = ModelSpec(hidden_units=(5, 3), activation=activation, l1_rate=0.001, l2_rate=0.001)
    assert models.compiled_form(spec).hidden_units == (8, 8)
    split = toy_split("moons")
    config = replace(CHAPTER, epochs=300, optimizer="adam", learning_rate=0.02, replay_frames=10)
    padded = training.train_split(spec, config, split)
    hidden = training.predict(padded, split.x_validation, hidden_layer=2)
    unpadded_form = models.compiled_form
    monkeypatch.setattr(
        pool,
        "compiled_form",
        lambda spec: replace(unpadded_form(spec), hidden_units=spec.hidden_units),
    )
    plain = training.train_split(spec, config, split)
    assert [w.shape for w in padded.weights] == [(2, 5), (5,), (5, 3), (3,), (3, 1), (1,)]
    for ours, theirs in zip(padded.weights, plain.weights, strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)
    for ours, theirs in zip(padded.snapshots, plain.snapshots, strict=True):
        assert [w.shape for w in ours] == [w.shape for w in theirs]
    np.testing.assert_allclose(padded.history.to_numpy(), plain.history.to_numpy(), atol=1e-5)
    assert hidden.shape == (len(split.x_validation), 3)
    np.testing.assert_allclose(
        hidden, training.predict(plain, split.x_validation, hidden_layer=2), atol=1e-5
    )


@pytest.mark.parametrize(
    "spec",
    [
        replace(MOONS, input_size=3, input_features=("x1", "x2", "x1_x2")),
        ModelSpec(input_size=2, hidden_units=(8, 8), activation="relu", output_units=3),
        ModelSpec(input_size=2, hidden_units=(4,), activation="sigmoid", regression=True),
    ],
    ids=["features", "three classes", "regression"],
)
def test_the_boundary_s_numpy_forward_pass_equals_the_network_s_predictions(spec):
    """The MLP page shades the plane with diagram.network_outputs (no graph to trace for a
    new network): it must give what the Keras network predicts, at every replay frame too."""
    split = toy_split("spiral", 120, 0.1, classes=spec.output_units if spec.output_units > 1 else 2)
    config = replace(CHAPTER, epochs=40, learning_rate=0.1, replay_frames=5)
    result = training.train_split(spec, config, split)
    grid = training.plane_grid(split.x_train, resolution=60)
    for weights in (None, result.snapshots[2]):
        ours = diagram.network_outputs(result, grid.points, weights, chunk=1000)
        keras = training.predict(result, grid.points, weights=weights)
        assert ours.shape == keras.shape
        np.testing.assert_allclose(ours, keras, atol=1e-5)


def test_circles_with_squared_features_and_no_hidden_layer_are_separated():
    spec = ModelSpec(input_size=2, hidden_units=(), input_features=("x1_squared", "x2_squared"))
    result = training.train_split(spec, replace(CHAPTER, epochs=2000), toy_split("circles"))
    assert result.metrics["train_accuracy"] > 0.95
    assert result.hidden_kernels == []  # logistic regression: one Dense layer only


def test_raw_coordinates_and_no_hidden_layer_draw_a_straight_line_through_circles():
    spec = ModelSpec(input_size=2, hidden_units=())
    result = training.train_split(spec, replace(CHAPTER, epochs=2000), toy_split("circles"))
    assert result.metrics["train_accuracy"] < 0.7  # what the features above are for


def test_three_arm_spiral_is_learned_by_two_layers_of_sixteen_tanh_units():
    spec = ModelSpec(input_size=2, hidden_units=(16, 16), output_units=3)
    config = replace(CHAPTER, optimizer="adam", learning_rate=0.03, epochs=2000)
    result = training.train_split(spec, config, toy_split("spiral", 300, 0.1, classes=3))
    assert result.metrics["train_accuracy"] > 0.9


def test_regression_on_the_plane_reaches_r_squared_above_0_9():
    spec = ModelSpec(input_size=2, hidden_units=(8,), regression=True)
    config = replace(CHAPTER, learning_rate=0.1, epochs=1000)
    result = training.train_split(spec, config, toy_split("plane", noise=0.4))
    # R² from the stored mean squared error, checked against numpy's
    split = toy_split("plane", noise=0.4)
    predicted = training.predict(result, split.x_validation)[:, 0]
    residual = np.mean((predicted - split.y_validation) ** 2)
    r_squared = 1 - residual / np.var(split.y_validation)
    assert result.metrics["val_accuracy"] == pytest.approx(r_squared, abs=1e-4)
    assert r_squared > 0.9
    assert result.history["loss"].iloc[-1] < result.history["loss"].iloc[0] / 5


def test_early_stopping_ends_after_patience_epochs_without_improvement_and_restores_the_best():
    split = chapter.moons_split()
    config = replace(CHAPTER, patience=50)
    result = training.train_split(MOONS, config, split)
    assert result.early_stop_epoch is not None and result.early_stop_epoch < CHAPTER.epochs
    assert result.early_stop_epoch == result.best_epoch + 50 == len(result.history)
    best_row = result.history["val_loss"].iloc[result.best_epoch - 1]
    assert best_row == result.history["val_loss"].min()
    # the restored weights are those of the best epoch: a run of exactly that many epochs
    best_run = training.train_split(MOONS, replace(CHAPTER, epochs=result.best_epoch), split)
    np.testing.assert_allclose(result.weights[0], best_run.weights[0], atol=1e-5)
    assert result.metrics["val_loss"] == pytest.approx(best_run.metrics["val_loss"], abs=1e-4)


def test_without_early_stopping_the_whole_run_is_trained():
    result = training.train_split(MOONS, replace(CHAPTER, epochs=300), chapter.moons_split())
    assert result.early_stop_epoch is None and len(result.history) == 300


def run_generated(source: str) -> dict:
    """Execute a generated script and return its variables (model, history, data)."""
    namespace: dict = {}
    exec(compile(source, "generated.py", "exec"), namespace)  # noqa: S102 - our own code
    return namespace


def keras_layers(model) -> list[tuple]:
    return [
        (type(layer).__name__, getattr(layer, "units", None), getattr(layer, "rate", None))
        for layer in model.layers
    ]


@pytest.mark.parametrize(
    "dataset, spec, config",
    [
        (  # the chapter's moons network, regularized, with early stopping
            {"name": "moons", "samples": 200, "noise": 0.4, "seed": 0},
            replace(MOONS, hidden_units=(8, 4), l2_rate=0.001, dropout_rate=0.25),
            replace(CHAPTER, epochs=3, patience=2),
        ),
        (  # a three-arm spiral from its points, with features and mini-batches
            {"name": "spiral", "samples": 150, "noise": 0.2, "seed": 1, "classes": 3},
            ModelSpec(
                input_size=3,
                hidden_units=(6,),
                output_units=3,
                l1_rate=0.001,
                input_features=("x1", "x2", "sin_x1"),
            ),
            replace(CHAPTER, optimizer="adam", learning_rate=0.01, epochs=3, batch_size=16),
        ),
        (  # regression without hidden layers
            {"name": "plane", "samples": 100, "noise": 0.4, "seed": 0},
            ModelSpec(input_size=1, hidden_units=(), regression=True, input_features=("x1_x2",)),
            replace(CHAPTER, epochs=3),
        ),
    ],
)
def test_the_generated_keras_code_runs_and_builds_the_pages_network(dataset, spec, config):
    from nn_core import code, models

    points, labels = data.make_toy_dataset(**dataset)
    split = data.split_train_validation(points, labels, 0.3, seed=dataset["seed"])
    source = code.keras_code(spec, config, dataset, 0.3, split)
    assert "keras.Sequential" in source and "model.fit(" in source
    namespace = run_generated(source)
    model = namespace["model"]
    assert model.count_params() == models.parameter_count(spec)
    assert keras_layers(model) == keras_layers(models.build_model(spec))
    assert len(namespace["history"].history["loss"]) == config.epochs
    # the same training and validation points as the page's split
    expected_x = (
        features.expand(split.x_train, spec.input_features)
        if spec.input_features
        else split.x_train
    )
    np.testing.assert_allclose(namespace["x_train"], expected_x, atol=1e-4)
    np.testing.assert_allclose(namespace["y_train"], split.y_train, atol=1e-4)
    assert len(namespace["y_val"]) == len(split.y_validation)


def test_the_diagram_draws_every_layer_and_says_how_many_units_are_hidden():
    import json

    from nn_core import diagram

    spec = ModelSpec(
        input_size=3, hidden_units=(8, 20), input_features=("x1", "x1_squared", "sin_x2")
    )
    names = diagram.node_names(spec)
    assert names[0] == ["x1", "x1_squared", "sin_x2"] and names[-1] == ["output"]
    assert [diagram.node_label(name) for name in names[0]] == ["x₁", "x₁²", "sin x₂"]
    result = training.train_split(spec, replace(CHAPTER, epochs=20), toy_split("moons"))
    grid = training.plane_grid(np.array([[-1.0, -1.0], [2.0, 1.5]]), diagram.THUMBNAIL_GRID)
    drawn = diagram.network_diagram(result, grid, selected="h2.3").to_dict()
    text = json.dumps(drawn, ensure_ascii=False)
    assert "+ 12 more" in text and "layer 2, unit 3" in text
    links = next(data for data in drawn["datasets"].values() if data and "weight" in data[0])
    # every drawn link: 3 x 8 + 8 x 8 (20 units drawn as 8) + 8 x 1
    assert len(links) == 3 * 8 + 8 * 8 + 8
    kernel = result.weights[0]
    first = next(link for link in links if link["link"] == "x₁ → layer 1, unit 1")
    assert first["weight"] == pytest.approx(float(kernel[0, 0]))
    assert {link["sign"] for link in links} == {"positive", "negative"}
    assert len(json.dumps(drawn)) < 500_000


def test_the_charts_of_a_new_result_name_their_channels_without_shorthand(monkeypatch):
    """Altair reads a channel given as a string ("x2:Q") or a dict (alt.value) through
    SchemaBase.from_dict, which hashes its whole schema afresh each time (2 ms a channel, 45
    ms of every new MLP-page result); the charts drawn for each new result name their
    channels as objects. (The boundary's samples are drawn once per data set.)"""
    from altair.utils import schemapi

    from nn_core import charts

    def refuse(cls, dct, validate=True):
        raise AssertionError(f"a channel given as shorthand: {cls.__name__} {dct}")

    spec = ModelSpec(input_size=2, hidden_units=(4,), output_units=3)
    split = toy_split("blobs", classes=3)
    result = training.train_split(spec, replace(CHAPTER, epochs=20), split)
    grid = training.plane_grid(split.x_train, diagram.THUMBNAIL_GRID)
    monkeypatch.setattr(schemapi.SchemaBase, "from_dict", classmethod(refuse))
    for chart in (
        diagram.network_diagram(result, grid, selected="h1.2"),
        charts.learning_curves(result.history),
        charts.weight_histogram(result.weights[0]),
    ):
        chart.to_dict()


SIGMOID_ON_FEATURES = {"activation": "sigmoid", "input_size": 3, "input_features": FEATURES}


@pytest.mark.parametrize(
    "task, setting, how",
    [
        ("moons", SIGMOID_ON_FEATURES, "full batch"),
        ("moons", {"activation": "relu", "hidden_units": (5, 3)}, "mini-batch"),
        ("blobs", {"output_units": 3}, "full batch"),
        ("blobs", {"output_units": 3}, "mini-batch"),
        ("plane", {"regression": True}, "full batch"),
        ("plane", {"regression": True}, "mini-batch"),
        ("moons", {}, "early stopping"),
    ],
)
def test_a_result_reports_the_loss_and_accuracy_a_keras_evaluation_of_its_weights_gives(
    task, setting, how
):
    """The compiled loops' networks are evaluated at the end in NumPy
    (training.forward_metrics), not in the compiled loop: the figures must be the network's
    own, as its Keras layers compute them."""
    split = toy_split(task, classes=setting.get("output_units", 2), noise=0.4)
    spec = replace(ModelSpec(input_size=2, hidden_units=(8,), activation="tanh"), **setting)
    config = replace(CHAPTER, epochs=300, learning_rate=0.1 if task == "plane" else 1.0)
    if how == "mini-batch":
        config = replace(config, batch_size=32)
    if how == "early stopping":  # (the weights of the best epoch are restored)
        config = replace(config, optimizer="adam", learning_rate=0.05, patience=50, epochs=3000)
    result = training.train_split(spec, config, split)
    assert how != "early stopping" or result.early_stop_epoch
    for part in ("train", "validation"):
        x, y = getattr(split, f"x_{part}"), getattr(split, f"y_{part}")
        evaluated = training.evaluate(result, x, y)
        prefix = "train" if part == "train" else "val"
        assert result.metrics[f"{prefix}_loss"] == pytest.approx(evaluated["loss"], rel=1e-4)
        if not spec.regression:  # (a regression's "accuracy" is R²)
            assert result.metrics[f"{prefix}_accuracy"] == pytest.approx(evaluated["accuracy"])


def test_a_new_results_diagram_and_curves_are_a_chart_built_once_with_its_data_swapped_in():
    """The MLP page builds the diagram's and the curves' charts once for networks with the
    same nodes and curves (another activation, optimizer or rate) and swaps each result's
    data in: that must be the chart built for the result itself."""
    import pyarrow as pa

    from nn_core import charts
    from ui.layout import vega_lite_spec, with_datasets

    split = toy_split("moons")
    tanh = ModelSpec(input_size=2, hidden_units=(12,), activation="tanh")
    relu = replace(tanh, activation="relu", l2_rate=0.01)
    assert diagram.drawn_nodes(tanh) == diagram.drawn_nodes(relu)
    skeleton = vega_lite_spec(diagram.diagram_chart(diagram.drawn_nodes(tanh), "h1.3"))
    grid = training.plane_grid(split.x_train, diagram.THUMBNAIL_GRID)
    for spec in (tanh, relu):
        result = training.train_split(spec, replace(CHAPTER, epochs=40), split)
        built = vega_lite_spec(diagram.network_diagram(result, grid, selected="h1.3"))
        assert with_datasets(skeleton, diagram.frame_data(result, grid)) == built
        names, rows = charts.curve_rows(result.history, "loss")
        assert names == (
            ("training", "validation", "training incl. L1/L2 penalty")
            if spec.l2_rate
            else ("training", "validation")
        )
        curves = vega_lite_spec(charts.learning_curves_chart("loss", names))
        swapped = with_datasets(curves, {charts.CURVES: rows})
        drawn = pa.ipc.open_stream(swapped["datasets"][charts.CURVES]).read_all().to_pandas()
        assert len(drawn) == len(rows) and set(drawn["curve"]) == set(names)
        last = result.history["val_loss"].iloc[-1]
        final = drawn[(drawn["epoch"] == len(result.history)) & (drawn["curve"] == "validation")]
        assert final["value"].item() == pytest.approx(last)
        inline = vega_lite_spec(charts.learning_curves(result.history, "loss"))
        assert {key: value for key, value in inline.items() if key not in ("data", "datasets")} == {
            key: value for key, value in swapped.items() if key not in ("data", "datasets")
        }


def test_a_replay_frame_is_the_final_chart_with_only_its_named_data_swapped():
    """The page draws a frame as the final weights' chart with the frame's data swapped in
    (ui.layout.with_datasets): that must be the chart built for the frame's weights."""
    from nn_core import charts, diagram
    from ui.layout import vega_lite_spec, with_datasets

    spec = ModelSpec(input_size=2, hidden_units=(4, 3), activation="tanh")
    split = toy_split("moons")
    result = training.train_split(spec, replace(CHAPTER, epochs=60, replay_frames=30), split)
    snapshot = result.snapshots[len(result.snapshots) // 2]
    grid = training.plane_grid(split.x_train, diagram.THUMBNAIL_GRID)
    final = vega_lite_spec(diagram.network_diagram(result, grid, selected="h1.2"))
    built = vega_lite_spec(diagram.network_diagram(result, grid, snapshot, selected="h1.2"))
    swapped = with_datasets(final, diagram.frame_data(result, grid, snapshot))
    assert swapped == built and swapped != final
    outputs = training.predict(result, grid.points, weights=snapshot)[:, 0].reshape(24, 24)
    final_outputs = training.decision_grid(result, grid)
    points, labels = split.x_train, split.y_train

    def boundary(probabilities):
        return vega_lite_spec(charts.decision_boundary(grid, probabilities, points, labels))

    swapped = with_datasets(boundary(final_outputs), charts.plane_image_data(grid, outputs))
    assert swapped == boundary(outputs) and swapped != boundary(final_outputs)
