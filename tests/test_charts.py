"""Chart specs: what the browser is asked to draw."""

import numpy as np
import pandas as pd

from nn_core import charts


def test_every_chart_is_drawn_on_a_canvas_with_its_data():
    """The app's Altair theme asks for Vega's canvas renderer (SVG costs each tab ~0.6 s of CPU
    more per page), and leaves sizes and styling to Streamlit's theme. A titled chart is
    described by its title, which becomes its aria-label (on a canvas the title is pixels)."""
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.9, 0.5, 0.4], "val_loss": [1, 0.7, 0.6]})
    built = [
        charts.learning_curves(history, "loss"),
        charts.weight_histogram(np.linspace(-1, 1, 50)),
        charts.points_layer(np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0, 1])),
    ]
    for chart in built:
        spec = chart.to_dict()
        assert spec["usermeta"] == {"embedOptions": {"renderer": "canvas"}}
        assert "config" not in spec
        assert any(len(rows) > 0 for rows in spec["datasets"].values())
    assert built[0].to_dict()["description"] == "Loss"
    assert built[1].to_dict()["description"] == "Hidden-layer weights"
    assert "description" not in built[2].to_dict()  # a layer of a chart, titled by its page


def test_the_best_run_is_the_dark_end_of_the_parallel_coordinates():
    table = pd.DataFrame(
        {"run": ["a", "b"], "units": [1, 50], "val_accuracy": [0.8, 0.9], "val_loss": [0.4, 0.3]}
    )
    accuracy = charts.parallel_coordinates(table, ["units"], "val_accuracy").to_dict()
    loss = charts.parallel_coordinates(table, ["units"], "val_loss").to_dict()
    # viridis runs dark (low) to pale yellow (high): reversed when a high value is the best.
    assert accuracy["layer"][0]["encoding"]["color"]["scale"]["reverse"] is True
    assert loss["layer"][0]["encoding"]["color"]["scale"]["reverse"] is False


def test_projector_specs_have_back_row_text_tall_curves_and_larger_plots():
    """Presenter mode: axis, legend and title text at 19-22 px (Streamlit's theme draws 11-14),
    strips of curves 400 px tall, square plots enlarged, a chart's own text marks (confusion
    cells) enlarged, and the data itself untouched."""
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.9, 0.5, 0.4], "val_loss": [1, 0.7, 0.6]})
    curves = charts.learning_curves(history, "loss").to_dict()
    projected = charts.for_projector(curves)
    config = projected["config"]
    assert config["axis"]["labelFontSize"] >= 18 and config["axis"]["titleFontSize"] >= 18
    assert config["legend"]["labelFontSize"] >= 18
    assert config["title"]["fontSize"] == 22
    assert curves["height"] == 270 and projected["height"] == charts.PROJECTOR_STRIP_HEIGHT
    assert projected["datasets"] == curves["datasets"]
    assert "config" not in curves  # the desk-size spec is not changed

    confusion = charts.for_projector(charts.confusion_heatmap(np.eye(10, dtype=int)).to_dict())
    assert confusion["width"] == confusion["height"] == charts.PROJECTOR_SQUARE
    text_marks = [layer["mark"] for layer in confusion["layer"] if layer["mark"]["type"] == "text"]
    assert text_marks and all(mark["fontSize"] >= 18 for mark in text_marks)


def test_line_end_names_are_kept_apart_and_in_order():
    values = np.array([0.30, 0.31, 0.60, 0.305])
    placed = charts.spread_apart(values, minimum_gap=0.02)
    order = np.argsort(values, kind="stable")
    assert np.all(np.diff(placed[order]) >= 0.02 - 1e-12)  # at least the gap, same order
    assert abs(placed.mean() - values.mean()) < 1e-12  # centred on the values
    assert np.allclose(charts.spread_apart(np.array([0.1, 0.5]), 0.02), [0.1, 0.5])


def test_compare_curves_name_each_line_at_its_end_with_the_legend_below():
    histories = {
        name: pd.DataFrame({"epoch": [1, 2], "val_loss": [0.5, end], "loss": [0.5, 0.2]})
        for name, end in (("baseline", 0.6), ("smaller", 0.61))
    }
    spec = charts.compare_curves(histories, "loss").to_dict()
    text_layers = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert len(text_layers) == 1 and text_layers[0]["encoding"]["text"]["field"] == "model"
    ends = spec["datasets"][text_layers[0]["data"]["name"]]
    assert [row["model"] for row in ends] == ["baseline", "smaller"]
    assert abs(ends[1]["label_y"] - ends[0]["label_y"]) > 0.01  # nudged apart
    assert spec["layer"][0]["encoding"]["color"]["legend"]["orient"] == "bottom"


def test_parallel_coordinates_write_each_axis_values_and_field_names_as_words():
    table = pd.DataFrame(
        {
            "run": ["a", "b", "c"],
            "learning_rate": [0.1, 1.0, None],
            "activation": ["tanh", "relu", "tanh"],
            "val_accuracy": [0.8, 0.9, 0.85],
        }
    )
    spec = charts.parallel_coordinates(table, ["learning_rate", "activation"], "val_accuracy")
    spec = spec.to_dict()
    labels = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "text")
    ticks = {(row["axis"], row["label"]) for row in spec["datasets"][labels["data"]["name"]]}
    assert {("Learning rate", "0.1"), ("Learning rate", "1"), ("Learning rate", "—")} <= ticks
    assert {("Activation", "relu"), ("Activation", "tanh")} <= ticks
    assert spec["title"] == "Hyperparameters against Validation accuracy"


def test_a_large_networks_weight_histogram_is_counted_before_drawing():
    """30,000 weights (a 4 x 100 moons network) become 60 bars whose counts add up to them,
    and the spec can be made (Altair refuses data over 5,000 rows unless told otherwise)."""
    weights = np.random.default_rng(0).normal(0, 0.2, 30_000)
    spec = charts.weight_histogram(weights).to_dict()
    bars = max(spec["datasets"].values(), key=len)
    assert len(bars) == 60 and sum(row["count"] for row in bars) == 30_000
    assert bars[0]["low"] == weights.min() and bars[-1]["high"] == weights.max()


def test_a_chart_whose_data_alone_changed_keeps_its_spec():
    """The browser swaps the data of a chart whose spec is unchanged instead of building it
    again: datasets are named by their order, not by a hash of their rows, and never data_N
    (Vega-Lite's own names: such a chart drew empty)."""
    from ui.layout import vega_lite_spec

    def spec_of(losses):
        history = pd.DataFrame({"epoch": [1, 2, 3], "loss": losses, "val_loss": [1, 0.7, 0.6]})
        spec = vega_lite_spec(charts.learning_curves(history, "loss"))
        return spec.pop("datasets"), spec

    first_data, first = spec_of([0.9, 0.5, 0.4])
    second_data, second = spec_of([0.8, 0.6, 0.3])
    assert first == second and first_data != second_data
    assert list(first_data) == ["nn_data_0"]
    marked = charts.with_epoch_marks({**first, "datasets": first_data}, {"replay": 2})
    unmarked = charts.with_epoch_marks({**first, "datasets": first_data}, {})
    assert {k: v for k, v in marked.items() if k != "datasets"} == {
        k: v for k, v in unmarked.items() if k != "datasets"
    }


def test_a_replay_frame_keeps_the_picture_a_play_showed_before_it_underneath():
    """Vega draws nothing where a mark's image is still loading: each frame's shading carries
    the previous frame's picture (same key, same URL: its mark keeps its loaded image) under
    its own, drawn in that order, so a play never flashes a blank plot."""
    pictures = {None: "final.png", 0: "epoch-0.png", 1: "epoch-1.png"}

    def rows(frame):
        data = charts.replay_image_data(pictures.get, frame, (0, 1), (0, 1))
        return [(row["key"], row["url"], row["layer"]) for row in data[charts.PLANE_IMAGE]]

    assert rows(None) == [("final", "final.png", 0)]
    assert rows(0) == [("final", "final.png", 0), ("0", "epoch-0.png", 1)]
    assert rows(1) == [("0", "epoch-0.png", 0), ("1", "epoch-1.png", 1)]
    encoding = charts.image_layer(None, (0, 1), (0, 1)).to_dict()["encoding"]
    assert encoding["key"]["field"] == "key" and encoding["order"]["field"] == "layer"
