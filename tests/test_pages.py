"""Pages driven through AppTest: widgets set by key, training pressed, results asserted."""

import numpy as np
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT

TIMEOUT = 180


def page(path: str) -> AppTest:
    # Caches live for the whole process; tests switch datasets, so start each page afresh.
    st.cache_resource.clear()
    st.cache_data.clear()
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    app.run()
    app.switch_page(path)
    app.run()
    assert not app.exception, app.exception
    return app


def texts(elements) -> str:
    return " ".join(element.value for element in elements)


def chart_titles(app) -> str:
    return " ".join(chart.proto.spec for chart in app.get("vega_lite_chart")) + " ".join(
        chart.proto.spec for chart in app.get("arrow_vega_lite_chart")
    )


# ---------------------------------------------------------------------------- perceptron


def test_perceptron_verdicts_for_xor_and_and():
    app = page("pages/1_perceptron.py")
    app.selectbox(key="perceptron_dataset").set_value("xor").run()
    app.button(key="perceptron_run").click().run()
    assert not app.exception
    assert "Did not converge" in texts(app.warning)
    app.selectbox(key="perceptron_dataset").set_value("and").run()
    app.button(key="perceptron_run").click().run()
    assert "Converged after" in texts(app.success)


def test_perceptron_steps_show_the_rule_with_numbers():
    app = page("pages/1_perceptron.py")
    app.button(key="perceptron_step_one").click().run()
    assert app.slider(key="perceptron_step").value == 1
    assert "Step 1 (epoch 1)" in texts(app.markdown)


def test_perceptron_learning_rate_zero_is_explained():
    app = page("pages/1_perceptron.py")
    app.select_slider(key="perceptron_learning_rate").set_value(0.0).run()
    assert not app.exception
    assert "never changes the weights" in texts(app.warning)


def test_perceptron_needs_two_samples_and_a_link_asking_for_one_is_explained():
    app = page("pages/1_perceptron.py")
    assert app.slider(key="perceptron_samples").min == 2
    app = page_with_query("pages/1_perceptron.py", samples="1")
    assert app.slider(key="perceptron_samples").value == 100
    assert "samples=1" in texts(app.warning) and "between 2 and 500" in texts(app.warning)


def test_perceptron_xor_fix_trains_an_mlp():
    app = page("pages/1_perceptron.py")
    app.selectbox(key="perceptron_dataset").set_value("xor").run()
    assert app.toggle(key="perceptron_show_mlp_xor").value
    accuracy = [metric.value for metric in app.metric if metric.label == "Training accuracy"]
    assert accuracy == ["100%"]


# ---------------------------------------------------------------------------- moons


def metric_value(app, label: str) -> str:
    return next(metric.value for metric in app.metric if metric.label == label)


def percent(value: str) -> float:
    return float(value.rstrip("%")) / 100


def test_moons_defaults_reproduce_the_chapter_and_one_unit_underfits():
    app = page("pages/4_mlp_moons.py")
    assert app.select_slider(key="moons_units_0").value == 50
    assert app.select_slider(key="moons_learning_rate").value == 1.0
    assert app.select_slider(key="moons_epochs").value == 5000
    wide = percent(metric_value(app, "Training accuracy"))
    app.button(key="moons_example_underfit").click().run()
    assert not app.exception
    narrow = percent(metric_value(app, "Training accuracy"))
    assert narrow < 0.88 < wide + 0.02 and narrow < wide
    assert "Underfitting" in texts(app.warning)
    assert "Decision boundary" in chart_titles(app)


def test_moons_sweep_draws_one_boundary_per_value():
    app = page("pages/4_mlp_moons.py")
    app.session_state["moons_tab"] = "Sweep"  # tabs are lazy: open the sweep tab
    app.select_slider(key="moons_epochs").set_value(500).run()
    app.multiselect(key="moons_sweep_values_hidden_units").set_value([1, 5]).run()
    charts_before = len(app.get("vega_lite_chart")) + len(app.get("arrow_vega_lite_chart"))
    app.button(key="moons_sweep_run").click().run()
    assert not app.exception
    charts_after = len(app.get("vega_lite_chart")) + len(app.get("arrow_vega_lite_chart"))
    assert charts_after == charts_before + 2
    # Two-line titles: the setting, then both accuracies (one cut line hid them).
    assert '"title": ["Hidden units (one layer) = 5", "train ' in chart_titles(app)


# ---------------------------------------------------------------------------- MNIST


def train_mnist(app: AppTest, epochs: int) -> None:
    """Fast settings on the tiny fixture: 1,000 images, a few epochs."""
    app.slider(key="mnist_epochs").set_value(epochs).run()
    app.select_slider(key="mnist_train_size").set_value(1000).run()
    app.button(key="mnist_train").click().run()
    assert not app.exception


def test_mnist_trains_and_shows_accuracy_confusion_matrix_and_download(offline_data):
    app = page("pages/5_mnist.py")
    assert "Press **Train**" in texts(app.info)
    train_mnist(app, epochs=3)
    accuracy = percent(metric_value(app, "Test accuracy"))
    assert accuracy > 0.5  # the tiny fixture's classes are easy to tell apart
    assert "Confusion matrix" in chart_titles(app)
    assert app.get("download_button")
    # The result is cached by its settings: a rerun shows it without pressing Train again.
    app.run()
    assert metric_value(app, "Test accuracy") == f"{accuracy:.2%}"


def test_mnist_without_data_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setenv("NN_CORE_DATA_DIR", str(tmp_path))
    app = page("pages/5_mnist.py")
    assert app.error and "NN_CORE_DATA_DIR" in app.error[0].value


# ---------------------------------------------------------------------------- IMDB


def test_imdb_trains_presets_and_compares_them(offline_data):
    app = page("pages/6_imdb.py")
    app.multiselect(key="imdb_models").set_value(["baseline 16-16", "smaller 8-8"]).run()
    app.button(key="imdb_train").click().run()
    assert not app.exception
    tables = [table.value for table in app.dataframe if "test accuracy" in table.value]
    assert tables, "the comparison table is shown"
    frame = tables[0]
    assert list(frame["model"]) == ["baseline 16-16", "smaller 8-8"]
    assert frame["parameters"].tolist() == [160_305, 80_089]  # as the chapter's model.summary()
    assert (frame["test accuracy"] > 0.8).all()  # the fixture's sentiment words are clear cut
    assert "Validation loss" in chart_titles(app)
    assert "misclassified" in texts(app.markdown)


@pytest.mark.parametrize("path", ["pages/5_mnist.py", "pages/6_imdb.py"])
def test_corrupt_dataset_is_named(path, tmp_path, monkeypatch):
    for name in ("mnist.npz", "imdb.npz"):
        (tmp_path / name).write_bytes(b"garbage")
    monkeypatch.setenv("NN_CORE_DATA_DIR", str(tmp_path))
    app = page(path)
    assert app.error and "damaged" in app.error[0].value and str(tmp_path) in app.error[0].value


def test_moons_regularized_examples_close_the_gap_for_three_seeds():
    """The page's L2 and dropout examples, checked as behaviour on three data samples."""
    from dataclasses import replace

    from nn_core import chapter, data, training

    examples = chapter.MOONS_EXAMPLES
    for seed in range(3):
        settings = replace(chapter.MOONS_DATA, seed=seed)
        points, labels = data.make_toy_dataset("moons", settings.samples, settings.noise, seed)
        split = data.split_train_validation(points, labels, settings.validation_share, seed)
        config = replace(chapter.MOONS_TRAINING, seed=seed)
        gaps = {}
        for name in ("overfit", "l2", "dropout"):
            result = training.train_split(examples[name].network, config, split)
            gaps[name] = result.metrics["train_accuracy"] - result.metrics["val_accuracy"]
        assert gaps["l2"] < gaps["overfit"] and gaps["dropout"] < gaps["overfit"], (seed, gaps)
    assert np.isfinite(list(gaps.values())).all()


# ---------------------------------------------------------------------------- runs and links


def test_runs_from_two_pages_are_recorded_and_compared(offline_data):
    app = page("pages/4_mlp_moons.py")
    app.select_slider(key="moons_epochs").set_value(500).run()
    app.select_slider(key="moons_units_0").set_value(5).run()
    app.switch_page("pages/5_mnist.py").run()
    train_mnist(app, epochs=2)
    app.switch_page("pages/7_runs.py").run()
    assert not app.exception
    table = next(frame.value for frame in app.dataframe if "Run" in frame.value)
    assert {"moons", "mnist"} <= set(table["Page"])
    assert {"moons-1", "moons-2", "mnist-1"} <= set(table["Run"])
    assert set(table.loc[table["Page"] == "moons", "Hidden units"]) == {"50", "5"}
    assert set(table.loc[table["Page"] == "mnist", "Batch size"]) == {"128"}
    assert "Hyperparameters against" in chart_titles(app)
    app.selectbox(key="runs_baseline").set_value("moons-1").run()
    differences = next(frame.value for frame in app.dataframe if "Changed" in frame.value)
    assert "Hidden units: 50 → 5" in " ".join(differences["Changed"])


def test_runs_page_without_runs_says_what_to_do():
    app = page("pages/7_runs.py")
    assert "No runs yet" in texts(app.info)


def page_with_query(path: str, fresh: bool = True, **query) -> AppTest:
    """The page opened by a link with `query`; `fresh`: with empty caches (datasets, results)."""
    if fresh:
        st.cache_resource.clear()
    app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=TIMEOUT)
    app.query_params.update(query)
    app.switch_page(path)
    app.run()
    assert not app.exception, app.exception
    return app


def test_a_shared_link_restores_the_settings():
    app = page_with_query(
        "pages/4_mlp_moons.py", units_0="3", l2="0.001", epochs="1000", dataset="circles", seed="7"
    )
    assert app.select_slider(key="moons_units_0").value == 3
    assert app.select_slider(key="moons_l2").value == 0.001
    assert app.select_slider(key="moons_epochs").value == 1000
    assert app.selectbox(key="moons_dataset").value == "circles"
    assert app.number_input(key="moons_seed").value == 7
    assert not app.warning or "not understood" not in texts(app.warning)


def query_value(app, name):
    value = app.query_params[name]
    return value[0] if isinstance(value, list) else value


def test_nonsense_link_values_fall_back_to_defaults_with_a_notice():
    app = page_with_query(
        "pages/4_mlp_moons.py", units_0="7000", noise="banana", dataset="mars", epochs="-3"
    )
    assert app.select_slider(key="moons_units_0").value == 50
    assert app.slider(key="moons_noise").value == 0.4
    assert app.selectbox(key="moons_dataset").value == "moons"
    notice = texts(app.warning)
    assert "not understood" in notice and "units_0=7000" in notice and "noise=banana" in notice


def test_link_parameters_no_control_reads_are_named_and_left_out():
    """`moons_units_4` (4 layers at most) and `moons_units_1` (one hidden layer) change
    nothing: said, and dropped from the address bar, so a copied link does not carry them."""
    app = page_with_query(
        "pages/4_mlp_moons.py",
        moons_units_0="8",
        moons_units_1="30",
        moons_units_4="100",
        moons_node="h1.2",
    )
    notice = texts(app.warning)
    assert "`moons_units_4=100`" in notice and "`moons_units_1=30`" in notice
    assert "moons_units_0" not in notice and "moons_node" not in notice
    assert "moons_units_4" not in app.query_params and "moons_units_1" not in app.query_params
    assert app.select_slider(key="moons_units_0").value == 8
    assert query_value(app, "moons_node") == "h1.2"
    app.run()
    assert "moons_units" not in texts(app.warning)  # said once


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("pages/1_perceptron.py", {"perceptron_samples": "120", "perceptron_order": "shuffled"}),
        ("pages/5_mnist.py", {"mnist_epochs": "3", "mnist_seed": "5"}),
        ("pages/6_imdb.py", {"imdb_layers": "3", "imdb_vocabulary": "5000"}),
    ],
)
def test_a_link_to_each_page_with_its_own_settings_has_nothing_left_out(path, query, offline_data):
    app = page_with_query(path, **query)
    assert "left out" not in texts(app.warning)
    assert {name: query_value(app, name) for name in query} == query


def test_presenter_mode_hides_all_but_the_chosen_controls():
    app = page_with_query("pages/4_mlp_moons.py", present="1", show="units_0")
    assert len(app.sidebar.select_slider) == 0 and len(app.sidebar.slider) == 0
    settings = [w.key for w in app.main.select_slider if not w.key.startswith("moons_replay_")]
    assert settings == ["moons_units_0"]  # (the replay's slider is a view, not a setting)


# ---------------------------------------------------------------------------- try it yourself


def test_imdb_review_box_scores_text_and_handles_bad_input(offline_data):
    app = page("pages/6_imdb.py")
    app.multiselect(key="imdb_models").set_value(["smaller 8-8"]).run()
    app.button(key="imdb_train").click().run()
    assert "write a few sentences" in texts(app.info).lower()
    app.text_area(key="imdb_review_text").set_value("A wonderful film, I loved it!").run()
    assert not app.exception
    verdict = next(metric.value for metric in app.metric if metric.label == "smaller 8-8")
    assert "positive" in verdict
    app.text_area(key="imdb_review_text").set_value("Das war sehr schön, danke").run()
    assert "None of these words" in texts(app.warning)
    app.text_area(key="imdb_review_text").set_value("great movie " * 45_000).run()  # ~0.5 MB
    assert not app.exception
    assert "Only the first 1,000" in texts(app.caption)


def test_mnist_draw_section_waits_for_a_drawing_and_shows_unit_pictures(offline_data):
    app = page("pages/5_mnist.py")
    assert "draw your own digit" in texts(app.info)
    train_mnist(app, epochs=1)
    assert "Draw a digit on the black pad" in texts(app.info)
    headers = [header.value for header in app.subheader]
    assert "What the hidden units see" in headers
