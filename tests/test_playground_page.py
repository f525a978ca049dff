"""The MLP page's Playground features through AppTest (issue 14): input features, no hidden
layer, more classes, regression, early stopping, the diagram and the big plot, replay
controls, your own data (CSV good and bad) and the generated Keras code."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_pages import chart_titles, metric_value, page, page_with_query, query_value, texts

MOONS = "pages/4_mlp_moons.py"


def chart_specs(app) -> list[dict]:
    charts = [*app.get("vega_lite_chart"), *app.get("arrow_vega_lite_chart")]
    return [json.loads(chart.proto.spec) for chart in charts]


def titled(app, title: str) -> dict:
    return next(spec for spec in chart_specs(app) if spec.get("title") == title)


def epoch_marks(app, title: str) -> list[dict]:
    """The rows of the rules drawn on a curves chart (its named dataset, sent as Arrow)."""
    import pyarrow as pa

    from nn_core.charts import EPOCH_MARKS

    charts = [*app.get("vega_lite_chart"), *app.get("arrow_vega_lite_chart")]
    chart = next(c for c in charts if json.loads(c.proto.spec).get("title") == title)
    data = next(d.data.data for d in chart.proto.datasets if d.name == EPOCH_MARKS)
    return pa.ipc.open_stream(data).read_all().to_pylist()


def test_circles_with_squared_features_and_no_hidden_layer(offline_data):
    app = page_with_query(
        MOONS,
        moons_dataset="circles",
        moons_layers="0",
        moons_feature_x1="false",
        moons_feature_x2="false",
        moons_feature_x1_squared="true",
        moons_feature_x2_squared="true",
        moons_noise="0.2",
    )
    assert metric_value(app, "Parameters") == "3"  # two features and a bias: logistic regression
    assert float(metric_value(app, "Training accuracy").rstrip("%")) > 95
    from nn_core import diagram

    drawn = titled(app, "The network (click a node)")  # inputs and output: two columns
    assert drawn["width"] == diagram.LEFT_MARGIN + diagram.COLUMN_GAP + diagram.NODE_PIXELS


def test_three_classes_get_a_softmax_output_and_a_class_per_colour_and_shape(offline_data):
    app = page_with_query(MOONS, moons_dataset="blobs", moons_classes="4", moons_noise="0.2")
    assert metric_value(app, "Parameters") == str(2 * 50 + 50 + 50 * 4 + 4)
    boundary = titled(app, "Decision boundary")
    shapes = [
        layer["encoding"]["shape"]["scale"]["range"]
        for layer in boundary["layer"]
        if "shape" in layer.get("encoding", {})
    ]
    assert shapes == [["circle", "square", "triangle-up", "diamond"]]
    assert "triangles class 2" in texts(app.caption)


def test_regression_shows_r_squared_and_mean_squared_error(offline_data):
    app = page_with_query(MOONS, moons_dataset="plane", moons_learning_rate="0.1")
    r_squared = float(metric_value(app, "Validation R²"))
    assert r_squared > 0.9
    titles = [spec.get("title") for spec in chart_specs(app)]
    assert "Predicted value" in titles and "Accuracy" not in titles
    assert "predicted value, orange" in texts(app.caption)


def test_early_stopping_says_where_it_stopped_and_marks_the_curves(offline_data):
    app = page_with_query(MOONS, moons_early_stopping="true", moons_patience="50")
    notice = texts(app.info)
    assert "Early stopping ended the training at epoch" in notice and "best epoch" in notice
    assert {row["mark"] for row in epoch_marks(app, "Loss")} == {"early stop", "best"}


def big_plot_box(app):
    """The "The big plot shows" box (its key changes when the server sets it: ui.server_set)."""
    return next(box for box in app.selectbox if box.label == "The big plot shows")


def test_choosing_a_node_draws_its_output_large(offline_data):
    app = page(MOONS)
    big_plot_box(app).set_value("h1.3").run()
    assert "layer 1, unit 3: its output (blue high, orange low)" in chart_titles(app)
    big_plot_box(app).set_value("boundary").run()
    assert "Decision boundary" in chart_titles(app)


def test_the_replay_slider_steps_through_about_thirty_snapshots(offline_data):
    app = page(MOONS)
    slider = next(s for s in app.select_slider if s.key.startswith("moons_replay_"))
    assert slider.options[0] == "start" and slider.options[-1] == "5,000"
    assert 25 <= len(slider.options) <= 31
    assert epoch_marks(app, "Loss") == []  # the last frame: the result itself, no rule
    slider.set_value(0).run()  # the initial weights
    assert [row["mark"] for row in epoch_marks(app, "Loss")] == ["replay"]


def test_the_keras_code_tab_shows_the_setting(offline_data):
    app = page_with_query(MOONS, moons_units_0="8", moons_l2="0.001")
    app.tabs[0]  # the tabs exist
    app.session_state["moons_tab"] = "Keras code"
    app.run()
    source = " ".join(block.value for block in app.code)
    assert 'keras.layers.Dense(8, activation="tanh"' in source
    assert "keras.regularizers.L2(0.001)" in source and "epochs=5000" in source


CSV_GOOD = b"x1,x2,label\n0,0,0\n1,1,1\n0.1,0.2,0\n0.9,1.1,1\n-0.5,0.3,0\n1.4,0.8,1\n"


@pytest.mark.parametrize(
    "content, message",
    [
        (b"a,b,c\n1,2,3\n", "missing: x1, x2, label"),
        (b"x1,x2,label\n0,0,0\n1,banana,1\n", "Row 3: x2 is 'banana', not a number."),
        (b"x1,x2,label\n0,0,1\n1,1,1\n", "Every row has label 1"),
        (b"x1,x2,label\n0,nan,1\n1,1,0\n", "Row 2: x2 is nan; use finite numbers."),
        (b"x1,x2,label\n" + b"0,0,0\n" * 5001, "more than 5,000 rows"),
        (b"x1,x2,label\n0,0,7\n", "Row 2: label is '7'"),
    ],
)
def test_a_bad_csv_is_named_and_changes_nothing(content, message):
    from nn_core import own_data

    with pytest.raises(own_data.OwnDataError, match=message.replace("(", r"\(")):
        own_data.read_csv(content)


def test_a_good_csv_round_trips():
    from nn_core import own_data

    points, labels = own_data.read_csv(CSV_GOOD)
    assert points.shape == (6, 2) and labels.tolist() == [0, 1, 0, 1, 0, 1]
    again = own_data.read_csv(own_data.to_csv(points, labels))
    np.testing.assert_allclose(again[0], points)


def test_own_data_trains_on_drawn_points_and_records_them(offline_data):
    app = page_with_query(MOONS, moons_dataset="own")
    assert "Add at least four points" in texts(app.info)
    rows = [[0.0, 0.0, 0], [1.0, 1.0, 1], [0.1, 0.2, 0], [0.9, 1.1, 1], [-0.5, 0.3, 0]]
    app.session_state["moons_own_points"] = [*rows, [1.4, 0.8, 1]]
    app.run()
    assert not app.exception, app.exception
    assert "Decision boundary" in chart_titles(app)
    records = app.session_state["recorded_runs"]
    assert records[-1].settings["points"].splitlines()[:2] == ["x1,x2,label", "0,0,0"]


def test_a_network_beyond_playground_size_trains_without_a_replay_and_says_so(offline_data):
    app = page_with_query(MOONS, moons_layers="2", moons_units_1="100", moons_units_0="100")
    assert not any(s.key.startswith("moons_replay_") for s in app.select_slider)
    assert "The replay is recorded for networks of up to 5,000 parameters" in texts(app.caption)


def test_drawn_points_go_into_the_link_exactly_and_come_back_from_it():
    from nn_core import own_data

    grid = np.round(np.linspace(-2.5, 2.5, 50), 3)  # where clicks put points
    rng = np.random.default_rng(0)
    points = np.stack([rng.choice(grid, 1000), rng.choice(grid, 1000)], axis=1)
    points[0] = (0.1, 1 / 3)  # and a CSV's point: as float32, bit for bit
    labels = rng.integers(0, 5, 1000)
    text = own_data.to_link(points, labels)
    assert len(text) < 7000  # a thousand clicked points fit in a link
    back, back_labels = own_data.from_link(text)
    assert back.tobytes() == points.astype(np.float32).tobytes()
    assert back_labels.tolist() == labels.tolist()


@pytest.mark.parametrize(
    "text, message",
    [
        ("not-base64!!", "mistyped"),
        ("eNrLSM3JyQcABiw", "cut off"),  # "hello", its end cut off
        ("eNrLSM3JyQcABiwCFQ", "Row 2: x1 is 'hello', not a number"),
        ("eNqr0KnUMQQABQEBew", "Row 2: x1 is 'x', not a number"),
    ],
)
def test_a_mangled_points_link_is_refused_with_a_reason(text, message):
    from nn_core import own_data

    with pytest.raises(own_data.OwnDataError, match=message):
        own_data.from_link(text)


def test_a_link_opens_the_drawn_points_the_chosen_node_and_the_replay_frame(offline_data):
    from nn_core import own_data

    rows = np.array([[0, 0], [1, 1], [0.1, 0.2], [0.9, 1.1], [-0.5, 0.3], [1.4, 0.8]])
    points = own_data.to_link(rows, np.array([0, 1, 0, 1, 0, 1]))
    app = page_with_query(
        MOONS, moons_dataset="own", moons_points=points, moons_node="h1.2", moons_replay="9"
    )
    assert len(app.session_state["moons_own_points"]) == 6
    assert big_plot_box(app).value == "h1.2"
    replay = next(s for s in app.select_slider if s.key.startswith("moons_replay_"))
    assert replay.value == 9  # a snapshot epoch of the 30 spread log-wise over 5,000
    assert "layer 1, unit 2: its output (blue high, orange low)" in chart_titles(app)
    assert query_value(app, "moons_points") == points
    # Scrubbing writes the frame into the URL; the last frame leaves it out.
    replay.set_value(5000).run()
    assert "moons_replay" not in app.query_params


def test_nonsense_view_links_are_named_and_the_page_opens_without_them(offline_data):
    app = page_with_query(
        MOONS, moons_dataset="own", moons_points="garbage", moons_node="h9.9", moons_replay="x"
    )
    notice = texts(app.warning)
    assert "moons_points=garbage" in notice and "the drawn points" in notice
    app = page_with_query(MOONS, moons_node="h9.9", moons_replay="-4")
    notice = texts(app.warning)
    assert "moons_node=h9.9" in notice and "a node of the diagram" in notice
    assert "moons_replay=-4" in notice and "from 0 to 5,000" in notice
    assert "Decision boundary" in chart_titles(app)
