"""Hyperparameter search (issue 20): Optuna proposes, prunes and ranks; every trial is trained
by the engine. Small moons and XOR settings, so each test takes a few seconds."""

from __future__ import annotations

import itertools
import subprocess
import sys
from dataclasses import replace

import optuna
import pytest

from conftest import ROOT
from nn_core import chapter, data, search

optuna.logging.set_verbosity(optuna.logging.WARNING)
SPEC = chapter.MOONS_NETWORK
CONFIG = replace(chapter.MOONS_TRAINING, epochs=300)


def moons(_values):
    return chapter.moons_split()


def test_a_grid_visits_every_cell_exactly_once():
    setting = search.Search(
        (search.Parameter("units", (1, 8)), search.Parameter("l2", (0.0, 0.01))), sampler="grid"
    )
    study = search.create_study(setting)
    outcome = search.run(study, setting, SPEC, CONFIG, moons)
    visited = [(run.values["units"], run.values["l2"]) for run in outcome.runs]
    assert sorted(visited) == sorted(itertools.product((1, 8), (0.0, 0.01)))
    for run in outcome.runs:  # each trial trained the setting it names
        assert run.result.spec.hidden_units == (run.values["units"],)
        assert run.result.spec.l2_rate == run.values["l2"]
    assert len(study.trials) == 4


def test_students_shares_of_a_class_grid_take_its_cells_once_and_stop_when_it_is_full():
    """A student's share is at most 3 trials, and never more than the cells still open: the
    second student of a 4-cell grid runs 1 trial, a third none."""
    stored = search.to_dict(
        search.Search((search.Parameter("units", (1, 2, 4, 8)),), sampler="grid")
    )
    study = search.create_study(search.from_dict(stored))
    shares = []
    for _student in range(3):
        share = search.from_dict(stored, share=3)
        share = replace(share, share=min(3, search.open_cells(share, study)))
        shares.append(share.planned_trials)
        search.run(study, share, SPEC, CONFIG, moons)
    assert shares == [3, 1, 0]
    assert sorted(trial.params["units"] for trial in study.trials) == [1, 2, 4, 8]


def test_a_hopeless_trial_is_pruned_before_its_last_epoch_and_recorded_as_pruned():
    setting = search.Search(
        (search.Parameter("learning_rate", (1.0, 0.0001)),), sampler="random", pruner="median"
    )
    study = search.create_study(replace(setting, trials=6))
    for _ in range(5):  # five good trials first: the median pruner waits for five
        study.enqueue_trial({"learning_rate": 1.0})
    study.enqueue_trial({"learning_rate": 0.0001})  # learns almost nothing
    # Mini-batches: long enough (about a second) for the engine to report epochs mid-training.
    config = replace(CONFIG, epochs=400, batch_size=16)
    outcome = search.run(study, replace(setting, trials=6), SPEC, config, moons)
    hopeless = outcome.runs[-1]
    assert hopeless.values == {"learning_rate": 0.0001}
    assert hopeless.pruned_at is not None and hopeless.pruned_at < config.epochs
    assert len(hopeless.result.history) < config.epochs  # it stopped training there
    assert study.trials[-1].state == optuna.trial.TrialState.PRUNED
    assert all(run.pruned_at is None for run in outcome.runs[:5])


def test_importance_ranks_the_hidden_units_above_the_weight_seed():
    """On XOR one unit draws one line (about half right) and eight units solve it: the units
    decide the validation error, the seed hardly."""
    points, labels = data.make_toy_dataset("xor", samples=200, noise=0.2, seed=0)
    split = data.split_train_validation(points, labels, 0.3, seed=0)
    setting = search.Search(
        (search.Parameter("units", (1, 8)), search.Parameter("seed", (0, 1, 2))), sampler="grid"
    )
    study = search.create_study(setting)
    search.run(study, setting, SPEC, replace(CONFIG, epochs=1000), lambda _values: split)
    ranked = search.importance(study)
    assert ranked["units"] > 0.8 > ranked["seed"]


def test_stop_ends_the_search_and_keeps_the_trials_that_finished():
    setting = search.Search((search.Parameter("units", (1, 2, 3, 4)),), sampler="grid")
    finished = []
    outcome = search.run(
        search.create_study(setting),
        setting,
        SPEC,
        CONFIG,
        moons,
        stop=lambda: len(finished) >= 2,  # Stop pressed once two trials are done
        on_trial=finished.append,
    )
    assert outcome.stopped and len(outcome.runs) == 2
    states = [trial.state for trial in outcome.study.trials]
    assert states == [optuna.trial.TrialState.COMPLETE] * 2


STUDY_SCRIPT = """
import sys
from dataclasses import replace
from nn_core import chapter, search
setting = search.Search((search.Parameter("units", (2, 4)),), sampler="grid")
study = search.create_study(setting, storage=sys.argv[1], name="kept")
search.run(study, setting, chapter.MOONS_NETWORK,
           replace(chapter.MOONS_TRAINING, epochs=50), lambda values: chapter.moons_split())
"""


def test_a_study_in_sqlite_survives_its_process(tmp_path):
    storage = f"sqlite:///{tmp_path / 'studies.db'}"
    subprocess.run([sys.executable, "-c", STUDY_SCRIPT, storage], cwd=ROOT, check=True, timeout=300)
    study = optuna.load_study(study_name="kept", storage=storage)  # as a restarted server
    finished = [trial for trial in study.trials if trial.state.is_finished()]
    assert sorted(trial.params["units"] for trial in finished) == [2, 4]
    assert all(0 <= trial.user_attrs["val_accuracy"] <= 1 for trial in finished)


@pytest.mark.parametrize(
    "parameters, sampler, message",
    [
        ((), "tpe", "at least one parameter"),
        ((search.Parameter("colour", ("red",)),), "tpe", "Unknown search parameter 'colour'"),
        ((search.Parameter("l2", low=0.0, high=0.1),), "grid", "listed values"),
        ((search.Parameter("l2", (0.0,)),), "bayes", "Unknown sampler 'bayes'"),
    ],
)
def test_an_impossible_search_says_what_is_wrong(parameters, sampler, message):
    with pytest.raises(ValueError, match=message):
        search.Search(parameters, sampler=sampler)


def test_the_mlp_pages_search_tab_runs_a_grid_and_keeps_every_trial_as_a_run():
    """The panel in AppTest: a 2 x 2 grid from the sidebar's setting, its landscape, the best
    so far, the importance sentence, the table; every trial a run of the session."""
    from test_pages import chart_titles, page

    app = page("pages/4_mlp_moons.py")
    app.session_state["moons_tab"] = "Search"  # tabs are lazy: open the search tab
    app.select_slider(key="moons_epochs").set_value(500).run()
    app.multiselect(key="moons_search_values_units").set_value([1, 15]).run()
    app.multiselect(key="moons_search_values_l2").set_value([0.0, 0.01]).run()
    app.button(key="moons_search_run").click().run()
    assert not app.exception, app.exception
    titles = chart_titles(app)
    for title in ("Validation accuracy", "Train - validation gap", "Best validation accuracy"):
        assert title in titles
    assert "Which parameter mattered" in titles
    table = app.dataframe[-1].value
    assert len(table) == 4 and set(table["state"]) == {"finished"}
    assert sorted(zip(table["units"], table["l2"], strict=True)) == [
        (1, 0.0),
        (1, 0.01),
        (15, 0.0),
        (15, 0.01),
    ]
    assert "explains" in " ".join(caption.value for caption in app.caption)
    searched = [
        run
        for run in app.session_state["recorded_runs"]
        if run.settings.get("hidden_units") in ("1", "15")
    ]
    assert len(searched) >= 4


@pytest.mark.parametrize(
    "values",
    [
        {"layers": [0, 2], "activation": ["tanh", "relu"]},
        {"batch_size": ["full batch", 32], "optimizer": ["sgd", "adam"]},
    ],
)
def test_the_search_varies_the_network_and_the_training_too(values):
    """Layers (zero too), activation, batch size (full batch beside numbers) and optimizer:
    each trial trains what its row says, and the views draw mixed values."""
    from test_pages import chart_titles, page

    app = page("pages/4_mlp_moons.py")
    app.session_state["moons_tab"] = "Search"
    app.select_slider(key="moons_epochs").set_value(100).run()
    app.multiselect(key="moons_search_parameters").set_value(list(values)).run()
    for name, chosen in values.items():
        app.multiselect(key=f"moons_search_values_{name}").set_value(chosen).run()
    app.button(key="moons_search_run").click().run()
    assert not app.exception, app.exception
    assert "Validation accuracy" in chart_titles(app)  # the grid's landscape
    table = app.dataframe[-1].value
    rows = sorted(zip(*(table[name].astype(str) for name in values), strict=True))
    assert rows == sorted(
        itertools.product(*([str(v) for v in chosen] for chosen in values.values()))
    )


def test_a_trial_with_zero_layers_has_no_hidden_layer_whatever_its_width():
    spec, _ = search.apply(SPEC, CONFIG, {"layers": 0, "units": 8})
    assert spec.hidden_units == ()
    spec, _ = search.apply(replace(SPEC, hidden_units=()), CONFIG, {"units": 8})
    assert spec.hidden_units == (8,)  # (a page without hidden layers: one, of that width)
    spec, _ = search.apply(SPEC, CONFIG, {"units": 8, "layers": 3})
    assert spec.hidden_units == (8, 8, 8)


def test_a_trials_values_set_the_sidebars_widgets():
    from ui.controls import widget_values

    spec, config = search.apply(
        SPEC, CONFIG, {"layers": 2, "units": 5, "batch_size": "full batch", "optimizer": "adam"}
    )
    shown = widget_values("mnist", spec, config)
    assert shown["mnist_layers"] == 2 and shown["mnist_units_0"] == shown["mnist_units_1"] == 5
    assert shown["mnist_batch"] == "full batch" and shown["mnist_optimizer"] == "adam"
    assert widget_values("imdb", spec, config, one_width=True)["imdb_units"] == 5


def test_the_panel_runs_random_trials_with_hyperband_and_a_time_budget():
    """The panel's other choices: a random search pruned by Hyperband under a time budget;
    parallel coordinates of its trials."""
    from test_pages import chart_titles, page

    app = page("pages/4_mlp_moons.py")
    app.session_state["moons_tab"] = "Search"
    app.select_slider(key="moons_epochs").set_value(500).run()
    app.multiselect(key="moons_search_values_units").set_value([1, 4, 15]).run()
    app.segmented_control(key="moons_search_sampler").set_value("random").run()
    app.slider(key="moons_search_trials_count").set_value(6).run()
    app.segmented_control(key="moons_search_pruner").set_value("hyperband").run()
    app.number_input(key="moons_search_budget").set_value(600).run()
    assert app.button(key="moons_search_run").label.startswith("Run 6 trials")
    app.button(key="moons_search_run").click().run()
    assert not app.exception, app.exception
    table = app.dataframe[-1].value
    assert 1 <= len(table) <= 6 and set(table["state"]) <= {"finished", "pruned"}
    assert "Hyperparameters against Validation accuracy" in chart_titles(app)


@pytest.mark.parametrize(
    "path, prefix, values",
    [
        ("pages/5_mnist.py", "mnist", {"units": [15, 32], "learning_rate": [0.001]}),
        ("pages/6_imdb.py", "imdb", {"units": [4, 8], "epochs": [2]}),
    ],
)
def test_the_mnist_and_imdb_search_panels_run_a_grid(offline_data, path, prefix, values):
    from test_pages import chart_titles, page

    app = page(path)
    app.session_state[f"{prefix}_search_open"] = True  # drawn only while open
    app.run()
    if prefix == "mnist":
        app.select_slider(key="mnist_train_size").set_value(1000).run()
        app.slider(key="mnist_epochs").set_value(2).run()
    else:
        app.slider(key="imdb_epochs").set_value(2).run()
        app.multiselect(key="imdb_search_parameters").set_value(list(values)).run()
    for name, chosen in values.items():
        app.multiselect(key=f"{prefix}_search_values_{name}").set_value(chosen).run()
    app.button(key=f"{prefix}_search_run").click().run()
    assert not app.exception, app.exception
    assert "Best validation accuracy so far" in chart_titles(app)
    table = app.dataframe[-1].value
    assert len(table) == 2 and set(table["state"]) == {"finished"}


def test_the_cost_of_a_search_counts_a_compile_per_network_shape():
    units = search.Parameter("units", (1, 3, 5))
    l2 = search.Parameter("l2", (0.0, 0.01))
    assert search.Search((units, l2), sampler="grid").architectures == 3  # l2 reuses a net
    assert search.Search((l2,), sampler="grid").architectures == 1  # the current shape
    assert search.Search((units,), sampler="random", trials=2).architectures == 2


def test_the_cost_of_a_search_prices_each_trial_at_its_own_setting():
    """128 units cost more than 15: a grid is priced cell by cell, a random search at the
    mean over its values' combinations; each adds a compile per network shape."""
    units = search.Parameter("units", (15, 128))
    rate = search.Parameter("learning_rate", (0.001, 0.01))

    def seconds_for(values):  # (a page's estimate: here, a second per 10 units)
        return values["units"] / 10

    grid = search.Search((units, rate), sampler="grid")
    assert grid.expected_seconds(seconds_for) == pytest.approx(
        2 * 1.5 + 2 * 12.8 + 2 * search.COMPILE_SECONDS
    )
    sampled = search.Search((units, rate), sampler="random", trials=10)
    assert sampled.expected_seconds(seconds_for) == pytest.approx(
        10 * (1.5 + 12.8) / 2 + 2 * search.COMPILE_SECONDS
    )
    # 1,331 combinations: a sample of them is priced (units 1-11: 0.1-1.1 s, 5 compiles).
    wide = search.Search(
        tuple(search.Parameter(name, tuple(range(1, 12))) for name in ("units", "epochs", "l2")),
        trials=5,
    )
    compiles = 5 * search.COMPILE_SECONDS
    assert 5 * 0.1 + compiles < wide.expected_seconds(seconds_for) < 5 * 1.1 + compiles
