"""Page behaviour the correctness-and-clarity issue fixed: verdicts that match the chapter, a
Runs page that survives runs of every page, readable numbers and messages."""

import re
from urllib.parse import parse_qs

from test_pages import chart_titles, metric_value, page, page_with_query, texts, train_mnist


def test_moons_page_states_the_chapters_verdicts():
    app = page("pages/4_mlp_moons.py")  # the chapter's 50 units
    assert "Overfitting" in texts(app.warning)
    app.button(key="moons_example_l2").click().run()
    assert "A good fit" in texts(app.success) and not app.warning
    app.button(key="moons_example_dropout").click().run()
    assert "A good fit" in texts(app.success)
    app.button(key="moons_example_underfit").click().run()
    assert "Underfitting" in texts(app.warning)


def test_repeat_with_seeds_without_validation_shows_training_accuracy():
    app = page("pages/4_mlp_moons.py")
    app.session_state["moons_tab"] = "Repeat with seeds"
    app.slider(key="moons_validation").set_value(0.0).run()
    app.select_slider(key="moons_epochs").set_value(200).run()
    app.slider(key="moons_seed_count").set_value(2).run()
    app.button(key="moons_seeds_run").click().run()
    assert not app.exception
    value = metric_value(app, "Training accuracy over seeds")
    assert "nan" not in value and re.fullmatch(r"\d+\.\d% ± \d+\.\d%", value)


def train_every_page(app):
    """A short run on each training page, as a student clicking through the app would."""
    app.switch_page("pages/4_mlp_moons.py").run()
    app.select_slider(key="moons_epochs").set_value(500).run()
    app.switch_page("pages/1_perceptron.py").run()
    app.selectbox(key="perceptron_dataset").set_value("xor").run()  # trains the MLP fix
    app.switch_page("pages/5_mnist.py").run()
    train_mnist(app, epochs=2)
    app.switch_page("pages/6_imdb.py").run()
    app.multiselect(key="imdb_models").set_value(["smaller 8-8"]).run()
    app.button(key="imdb_train").click().run()
    assert not app.exception


def test_runs_page_with_runs_of_every_page(offline_data):
    app = page("pages/7_runs.py")
    train_every_page(app)
    # The IMDB page's cards say which class the model predicted.
    cards = [text for text in texts(app.markdown).split("True label")[1:]]
    assert cards, "the tiny fixture leaves some reviews misclassified"
    for card in cards:
        truth, predicted, probability = re.search(
            r"\*\*(\w+)\*\*, predicted \*\*(\w+)\*\*: P\(positive\) = ([\d.]+)", card
        ).groups()
        assert truth != predicted and (predicted == "positive") == (float(probability) > 0.5)
    app.switch_page("pages/7_runs.py").run()
    assert not app.exception
    table = next(frame.value for frame in app.dataframe if "Run" in frame.value)
    assert set(table["Page"]) == {"moons", "perceptron", "mnist", "imdb"}
    titles = chart_titles(app)
    assert "Hyperparameters against" in titles and "Validation accuracy against" in titles
    # Field names as words, and one curve chart per page: each on its own epoch axis.
    assert "val_accuracy against" not in titles
    for name in ("moons", "perceptron", "mnist", "imdb"):
        assert f"Validation loss: {name} runs" in titles
    assert app.get("download_button")
    app.text_input(key="runs_filter").set_value("(").run()  # once a regular expression error
    assert not app.exception
    assert f"0 of {len(table)} runs" in texts(app.caption)
    app.text_input(key="runs_filter").set_value("full").run()  # plain text: full-batch runs
    assert not app.exception
    shown = next(frame.value for frame in app.dataframe if "Run" in frame.value)
    assert set(shown["Page"]) == {"moons", "perceptron"}


def test_present_this_view_links_the_setting_with_the_controls_just_changed():
    """Issue 19: the presenter URL is built for the lecturer (the control names are shown
    nowhere): this view's settings, present=1, and show= naming the controls changed last."""
    app = page("pages/4_mlp_moons.py")
    [link] = app.get("link_button")
    assert link.proto.url == "?present=1"  # the chapter's setting: nothing to name
    app.select_slider(key="moons_units_0").set_value(5).run()
    app.select_slider(key="moons_l2").set_value(0.001).run()
    [link] = app.get("link_button")
    query = parse_qs(link.proto.url.removeprefix("?"))
    assert query["moons_units_0"] == ["5"] and query["moons_l2"] == ["0.001"]
    assert query["present"] == ["1"] and query["show"] == ["units_0,l2"]
    # The link opens that view: presenter mode, only those two controls, the same network.
    presented = page_with_query("pages/4_mlp_moons.py", **{k: v[0] for k, v in query.items()})
    settings = {s.key for s in presented.select_slider if not s.key.startswith("moons_replay_")}
    assert settings == {"moons_units_0", "moons_l2"}  # (the replay's slider is a view)
    assert presented.select_slider(key="moons_units_0").value == 5
    assert not presented.get("link_button")  # presenter mode draws no sidebar


WORST_CASE = {  # issue 18: spiral, 2,000 samples, 4 x 100 units, batch 8, 10,000 epochs
    "moons_dataset": "spiral",
    "moons_samples": "2000",
    "moons_layers": "4",
    **{f"moons_units_{layer}": "100" for layer in range(4)},
    "moons_batch": "8",
    "moons_epochs": "10000",
}


def test_a_long_setting_waits_for_a_confirming_click_with_its_estimate():
    app = page_with_query("pages/4_mlp_moons.py", **WORST_CASE)
    warning = texts(app.warning)
    assert "would train for about" in warning and "min" in warning
    assert not app.metric  # nothing trained on its own
    [confirm] = [button for button in app.button if button.key == "moons_confirm_long"]
    assert confirm.label.startswith("Train it (about")
    # The chapter's setting trains at once, and its estimate is shown with the time taken.
    chapter_page = page("pages/4_mlp_moons.py")
    time_metric = next(m for m in chapter_page.metric if m.label == "Training time")
    assert "Estimated before training" in time_metric.help
