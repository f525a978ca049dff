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
    assert accuracy["encoding"]["color"]["scale"]["reverse"] is True
    assert loss["encoding"]["color"]["scale"]["reverse"] is False


def test_projector_specs_have_back_row_text_tall_curves_and_larger_plots():
    """Presenter mode: axis, legend and title text at 19-22 px (Streamlit's theme draws 11-14),
    strips of curves 380 px tall, square plots enlarged, a chart's own text marks (confusion
    cells) enlarged, and the data itself untouched."""
    history = pd.DataFrame({"epoch": [1, 2, 3], "loss": [0.9, 0.5, 0.4], "val_loss": [1, 0.7, 0.6]})
    curves = charts.learning_curves(history, "loss").to_dict()
    projected = charts.for_projector(curves)
    config = projected["config"]
    assert config["axis"]["labelFontSize"] >= 18 and config["axis"]["titleFontSize"] >= 18
    assert config["legend"]["labelFontSize"] >= 18
    assert config["title"]["fontSize"] == 22
    assert curves["height"] == 220 and projected["height"] == charts.PROJECTOR_STRIP_HEIGHT
    assert projected["datasets"] == curves["datasets"]
    assert "config" not in curves  # the desk-size spec is not changed

    confusion = charts.for_projector(charts.confusion_heatmap(np.eye(10, dtype=int)).to_dict())
    assert confusion["width"] == confusion["height"] == charts.PROJECTOR_SQUARE
    text_marks = [layer["mark"] for layer in confusion["layer"] if layer["mark"]["type"] == "text"]
    assert text_marks and all(mark["fontSize"] >= 18 for mark in text_marks)
