"""Lesson files (issue 16): good files parse, each kind of bad file gets a message naming the
line and the problem, claims are checked as stated, reveal texts are filled with the numbers."""

from __future__ import annotations

import math

import pytest

from conftest import require_real_data
from nn_core import lessons

GOOD = """\
title = "Under- and overfitting"
about = "Moons, one slider at a time."

[[step]]
page = "mlp_moons"
settings = { units_0 = 1, early_stopping = true }
look = "One hidden unit."
question = "What shape is the boundary?"
choices = ["A straight line", "A curve"]
answer = 1
reveal = "Training accuracy {train_accuracy:.0%}, {parameters} parameters."
claims = ["boundary is linear", "train_accuracy < 0.9", "val_accuracy <= train_accuracy + 0.05"]
show = ["units_0"]

[[step]]
page = "perceptron"
look = "XOR."
"""


def test_a_good_lesson_parses_into_its_steps():
    lesson = lessons.parse(GOOD, "moons")
    assert lesson.title == "Under- and overfitting" and lesson.pages == ["mlp_moons", "perceptron"]
    first = lesson.steps[0]
    assert first.settings == {"units_0": "1", "early_stopping": "true"}  # as a link writes them
    assert first.choices == ("A straight line", "A curve") and first.answer == 1
    assert [claim.text for claim in first.claims][0] == "boundary is linear"
    assert first.show == ("units_0",) and first.line == 4
    assert lesson.steps[1].claims == () and lesson.steps[1].line == 15


@pytest.mark.parametrize(
    "text, message",
    [
        (
            GOOD.replace('page = "mlp_moons"', 'page = "mars"'),
            "Line 5 (step 1): unknown page 'mars'",
        ),
        (GOOD.replace("train_accuracy < 0.9", "happiness > 3"), "Line 12 (step 1): the claim"),
        (GOOD.replace("train_accuracy < 0.9", "happiness > 3"), "unknown field 'happiness'"),
        (GOOD.replace("train_accuracy < 0.9", "train_accuracy is big"), "is not of the form"),
        (GOOD.replace("answer = 1", "answer = 3"), "Line 10 (step 1): answer is the number"),
        (
            GOOD.replace('"A curve"]', '"B", "C", "D", "E"]'),
            "Line 9 (step 1): a question has 2 to 4",
        ),
        (
            GOOD.replace("{parameters}", "{weight}"),
            "Line 11 (step 1): the reveal text names an unknown",
        ),
        (GOOD.replace('look = "XOR."', 'colour = "red"'), "Line 17 (step 2): unknown key 'colour'"),
        (GOOD.replace('title = "Under- and overfitting"', ""), "the lesson needs a title"),
        (GOOD.replace('"A curve"]', '"A curve"'), "Not valid TOML"),
        ('title = "Empty"\n', "has no steps"),
    ],
)
def test_each_kind_of_bad_lesson_names_the_line_and_the_problem(text, message):
    with pytest.raises(lessons.LessonError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lessons.parse(text, "bad")


@pytest.mark.parametrize(
    "claim, fields, holds",
    [
        (
            "val_accuracy < train_accuracy - 0.05",
            {"val_accuracy": 0.8, "train_accuracy": 0.9},
            True,
        ),
        (
            "val_accuracy < train_accuracy - 0.05",
            {"val_accuracy": 0.86, "train_accuracy": 0.9},
            False,
        ),
        ("best_epoch <= 6", {"best_epoch": 6}, True),
        ("best_epoch <= 6", {"best_epoch": 7}, False),
        ("boundary is linear", {"boundary_linear": 1.0}, True),
        ("boundary is not linear", {"boundary_linear": 1.0}, False),
        ("gap > 0.1", {"gap": math.nan}, False),  # no validation: nothing to claim
        ("parameters == 151", {}, False),  # a field the page did not report
    ],
)
def test_claims_are_checked_as_stated(claim, fields, holds):
    assert lessons.parse_claim(claim).holds(fields) is bool(holds)


def test_a_reveal_is_filled_with_the_numbers_and_says_n_a_for_a_missing_one():
    text = "Train {train_accuracy:.0%}, validation {val_accuracy:.1%}, {parameters} weights, {gap}"
    numbers = {"train_accuracy": 0.8731, "val_accuracy": 0.8, "parameters": 80089}
    filled = lessons.fill(text, numbers)
    assert filled == "Train 87%, validation 80.0%, 80,089 weights, n/a"


def test_every_shipped_lesson_parses():
    from ui.lesson import FOLDER

    files = sorted(FOLDER.glob("*.toml"))
    assert files, "no lessons shipped"
    for path in files:
        lesson = lessons.read(path)
        assert lesson.steps and lesson.title


# ---------------------------------------------------------------- the shipped lessons, live


def shipped_steps():
    from ui.lesson import FOLDER

    for path in sorted(FOLDER.glob("*.toml")):
        lesson = lessons.read(path)
        for number, _step in enumerate(lesson.steps, start=1):
            yield pytest.param(lesson, number, id=f"{lesson.name}-{number}")


_LOADED = {"data_dir": None}  # the datasets' folder the caches hold, across the steps below


@pytest.mark.parametrize("lesson, number", list(shipped_steps()))
def test_every_claim_of_every_shipped_lesson_holds_for_the_network_it_reveals(
    tiny_data_dir, monkeypatch, lesson, number
):
    """Each step as a student meets it: its link, Reveal, then the page's real result. A claim
    that this network does not bear out fails here (and CI). MNIST and IMDB steps train on the
    real datasets at the step's real settings: their claims are about the chapter's data."""
    from test_pages import page_with_query, texts

    from ui.lesson import PAGE_PATHS

    step = lesson.steps[number - 1]
    real = {"mnist": "mnist.npz", "imdb": "imdb.npz"}.get(step.page)
    # The other pages read no dataset: they keep the one loaded, and the results stay stored
    # from step to step, as on a class's server (the whole chapter repeats other lessons' steps).
    data_dir = require_real_data(real) if real else (_LOADED["data_dir"] or tiny_data_dir)
    monkeypatch.setenv("NN_CORE_DATA_DIR", str(data_dir))
    fresh = data_dir != _LOADED["data_dir"]
    _LOADED["data_dir"] = data_dir
    app = page_with_query(PAGE_PATHS[step.page], fresh=fresh, lesson=lesson.name, step=str(number))
    app.button(key="lesson_reveal").click().run()
    assert not app.exception, app.exception
    fields = app.session_state["lesson_fields"]
    failed = [claim.text for claim in step.claims if not claim.holds(fields)]
    assert not failed, f"{lesson.name} step {number}: {failed} not true of {fields}"
    shown = " ".join(block.value for block in app.markdown)
    assert lessons.fill(step.reveal, fields) in shown
    assert "does not show what the lesson says" not in texts(app.warning)
    assert "not understood" not in texts(app.warning)  # every setting was applied


def test_reveal_opens_the_steps_page_when_the_lesson_moves_to_another_page(offline_data):
    from test_pages import chart_titles, page_with_query

    app = page_with_query("pages/1_perceptron.py", lesson="perceptron_xor", step="3")
    assert "Reveal opens the mlp moons page." in [caption.value for caption in app.caption]
    app.button(key="lesson_reveal").click().run()
    assert not app.exception, app.exception
    assert "Decision boundary" in chart_titles(app)  # the MLP page, with the step's setting
    assert app.session_state["lesson_fields"]["boundary_linear"] == 1.0
    assert app.query_params.get("lesson") in ("perceptron_xor", ["perceptron_xor"])


def test_preparing_a_lesson_trains_every_step_and_comes_back_to_where_it_started(offline_data):
    from test_pages import page_with_query, texts

    app = page_with_query("pages/4_mlp_moons.py", lesson="perceptron_xor", step="4")
    app.button(key="lesson_prepare").click().run()
    assert not app.exception, app.exception
    assert "Prepared: the results of all 4 steps" in texts(app.success)
    assert app.query_params.get("step") in ("4", ["4"])  # back where the teacher was
    trained = {
        (run.settings["dataset"], run.settings["hidden_units"])
        for run in app.session_state["recorded_runs"]
        if run.page == "moons"
    }
    assert {("xor", "none"), ("xor", "4")} <= trained  # steps 3 and 4 of the lesson


def test_an_uploaded_lessons_settings_are_checked_by_the_pages_own_controls():
    """Unknown settings and values out of range are named with their line before class, by
    the same checks a link's values get (each step's page run up to its controls)."""
    from ui import lesson_check

    text = """\
title = "Settings"

[[step]]
page = "mlp_moons"
settings = { units_0 = 500, colour = "red", early_stopping = true, patience = 100 }

[[step]]
page = "how_it_learns"
settings = { section = "descent", learning_rate = 7 }

[[step]]
page = "perceptron"
settings = { dataset = "xor" }
"""
    found = lesson_check.problems(text, "settings")
    assert len(found) == 3, found
    assert found[0].startswith("Line 5 (step 1, mlp moons page): the lesson's `units_0 = 500`")
    assert "`colour` is not a setting of this page" in found[1]
    assert found[2].startswith("Line 9 (step 2, how it learns page): the lesson's")
    assert "learning_rate = 7" in found[2] and "must be one of" in found[2]
    # A setting shown only with another one (patience, with early stopping) is accepted.
    assert not any("patience" in problem for problem in found)


def test_previous_to_a_revealed_step_shows_that_step_s_own_setting_again(offline_data):
    """A reveal text must be true of the network on screen: back from step 9 (L2 on) to steps
    8 and 7 of the whole chapter, the page shows their settings (L2 back at 0, then 1 unit),
    with no notice about settings it did not understand."""
    from test_pages import page_with_query

    app = page_with_query("pages/4_mlp_moons.py", lesson="whole_chapter", step="7")
    for button in ("lesson_reveal", "lesson_next", "lesson_reveal", "lesson_next", "lesson_reveal"):
        app.button(key=button).click().run()
        assert not app.exception, app.exception
    assert app.select_slider(key="moons_l2").value == 0.001
    app.button(key="lesson_previous").click().run()
    assert (
        app.select_slider(key="moons_units_0").value,
        app.select_slider(key="moons_l2").value,
    ) == (50, 0.0)
    app.button(key="lesson_previous").click().run()
    assert (
        app.select_slider(key="moons_units_0").value,
        app.select_slider(key="moons_l2").value,
    ) == (1, 0.0)
    assert not [w for w in app.warning if "not understood" in w.value]
