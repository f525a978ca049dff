"""The Class page and "Share with the class" in AppTest, each user a session of its own on one
class database: a teacher starts a class, a student joins and shares a run trained on the MLP
page, the teacher's board shows it; wrong codes, keys and nicknames; a database that fails."""

import pytest
from streamlit.testing.v1 import AppTest
from test_pages import page_with_query, query_value, texts

CLASS = "pages/8_class.py"


def open_page(path: str, app: AppTest | None = None, **query) -> AppTest:
    """`path` in a new session (or in `app`'s session, as a click on the menu does)."""
    if app is None:
        return page_with_query(path, fresh=False, **query)
    app.switch_page(path)
    app.run()
    assert not app.exception, app.exception
    return app


def start_class(title="Monday: ANN") -> tuple[AppTest, str]:
    teacher = open_page(CLASS)
    teacher.text_input(key="class_title").input(title)
    submit(teacher, "Start a class")
    return teacher, query_value(teacher, "class")


def submit(app: AppTest, label: str) -> None:
    next(button for button in app.button if button.label == label).click().run()
    assert not app.exception, app.exception


def join(code: str, nickname: str) -> AppTest:
    student = open_page(CLASS, join=code)
    assert student.text_input(key="class_code").value == code  # the join link fills it in
    student.text_input(key="class_nickname").input(nickname)
    submit(student, "Join")
    return student


def board_text(app: AppTest) -> str:
    return " ".join(str(frame.value.to_dict()) for frame in app.dataframe)


def test_a_student_shares_a_run_and_the_teachers_board_shows_it():
    teacher, code = start_class()
    assert f"Class {code}" in texts(teacher.subheader)
    assert "teacher=" in texts(teacher.code) and len(teacher.get("image")) == 1  # link + QR
    assert "No runs shared yet" in texts(teacher.info)
    student = join(code, "ada*")
    assert f"You are in class {code}" in texts(student.success)
    open_page("pages/4_mlp_moons.py", student)
    share = student.button(key="moons_share_with_class")
    assert share.label == "Share moons-1 with the class"
    share.click().run()
    assert "Shared with class" in texts(student.success) and "ada\\*" in texts(student.success)
    assert student.button(key="moons_share_with_class").disabled  # shared once
    teacher.run()
    assert "1 shared run from 1 student" in texts(teacher.caption)
    assert "ada*" in board_text(teacher) and "moons-1" in board_text(teacher)


def test_the_teacher_hides_a_run_sets_a_challenge_and_closes_the_class():
    teacher, code = start_class()
    student = join(code, "alan")
    open_page("pages/4_mlp_moons.py", student)
    student.button(key="moons_share_with_class").click().run()
    teacher.run()
    teacher.text_input(key="class_challenge_text").input("Best with at most 100 parameters")
    submit(teacher, "Set the challenge")
    assert "Best with at most 100 parameters" in texts(teacher.text)
    assert "No shared run meets the challenge" in texts(teacher.caption)  # 151 parameters
    teacher.multiselect(key="class_hidden").select("alan: moons-1 (#1)".replace("#1", _id(teacher)))
    teacher.run()
    teacher.button(key="class_set_ready_made").click().run()  # the first: moons, 100 at most
    assert "on moons with at most 100 parameters" in texts(teacher.text)
    submit(teacher, "Apply")
    assert "0 shared runs from 0 students" in texts(teacher.caption)
    submit(teacher, "Close the class")
    assert "This class is closed" in texts(teacher.info)
    assert "is closed" in texts(join(code, "grace").error)  # nobody joins a closed class


def _id(teacher: AppTest) -> str:
    """The shared run's number as the teacher's hide list names it."""
    option = next(iter(teacher.multiselect(key="class_hidden").options))
    return option.rsplit("(", 1)[1].rstrip(")")


def test_wrong_codes_keys_and_nicknames_are_refused_with_a_reason():
    _, code = start_class()
    student = join("NOPE2345", "ada")
    assert "no class with the code NOPE2345" in texts(student.error)
    student = join(code, "   ")
    assert "nickname is empty" in texts(student.error)
    intruder = open_page(CLASS, **{"class": code, "teacher": "guessed-key"})
    assert "does not open a class" in texts(intruder.error)
    assert not any("Teacher" in expander.label for expander in intruder.expander)


@pytest.mark.parametrize(
    "url",
    [
        "sqlite:////proc/no-such-folder/class.sqlite",  # cannot be opened at all
        "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2",  # nothing listens
    ],
)
def test_an_unreachable_database_leaves_every_page_working(monkeypatch, url):
    monkeypatch.setenv("NN_CLASS_DB_URL", url)
    app = open_page(CLASS)
    assert "The class is unavailable right now" in texts(app.warning)
    open_page("pages/4_mlp_moons.py", app)
    assert app.metric  # the page itself trained and drew


def test_a_read_only_database_keeps_the_run_and_says_sharing_can_be_retried(monkeypatch, tmp_path):
    from class_helpers import store_engine
    from nn_core import class_store

    path = tmp_path / "class.sqlite"
    with store_engine(class_store.sqlite_url(path)) as engine:
        code, _ = class_store.create_class(engine, "read-only")
    student = join_on(code, "ada", monkeypatch, f"sqlite:///file:{path}?mode=ro&uri=true")
    open_page("pages/4_mlp_moons.py", student)
    student.button(key="moons_share_with_class").click().run()
    assert "The class is unavailable right now" in texts(student.warning)
    assert not student.button(key="moons_share_with_class").disabled  # can be retried
    open_page("pages/7_runs.py", student)
    assert "moons-1" in board_text(student)  # the run is still in the session


def join_on(code, nickname, monkeypatch, url) -> AppTest:
    monkeypatch.setenv("NN_CLASS_DB_URL", url)
    return join(code, nickname)


def in_lesson(app: AppTest, lesson: str, step: int, path: str) -> AppTest:
    """Open a lesson step in `app`'s session, as a link clicked in the app does."""
    app.query_params.clear()
    app.query_params.update({"lesson": lesson, "step": str(step)})
    return open_page(path, app)


def test_the_class_votes_are_tallied_in_the_teachers_reveal_and_students_follow_the_teacher():
    teacher, code = start_class()
    in_lesson(teacher, "perceptron_xor", 2, "pages/1_perceptron.py")
    ada, alan = join(code, "ada"), join(code, "alan")
    for student, choice in ((ada, "No, never"), (alan, "Yes, it just needs more epochs")):
        in_lesson(student, "perceptron_xor", 2, "pages/1_perceptron.py")
        student.radio(key="lesson_answer_perceptron_xor_2").set_value(choice).run()
    teacher.run()
    assert "Class: 2 answers so far." in texts(teacher.caption)
    teacher.button(key="lesson_reveal").click().run()
    shown = texts(teacher.markdown)
    assert "The class answered (2 votes)" in shown
    assert "No, never: **1** (50%)" in shown

    grace = join(code, "grace")  # on the Class page, following the teacher
    grace.toggle(key="class_follow_class").set_value(True).run()
    assert "step 2 of" in texts(grace.caption)  # taken to the teacher's step
    in_lesson(teacher, "perceptron_xor", 3, "pages/4_mlp_moons.py")
    grace.run()
    assert "step 3 of" in texts(grace.caption)


def test_a_class_study_grows_with_each_students_trials_on_the_board():
    """Issue 20's class study on the class store: the teacher makes the MLP page's search the
    class's; a student runs trials of it from the same setting (Optuna's storage in the class
    database); the teacher's board shows them, by student."""
    teacher, code = start_class()
    open_page("pages/4_mlp_moons.py", teacher)
    teacher.session_state["moons_tab"] = "Search"
    teacher.select_slider(key="moons_epochs").set_value(500).run()
    teacher.multiselect(key="moons_search_values_units").set_value([2, 8]).run()
    teacher.multiselect(key="moons_search_values_l2").set_value([0.0]).run()
    teacher.button(key="moons_class_study").click().run()
    assert "Class study started" in texts(teacher.success)

    student = join(code, "ada")
    open_page("pages/4_mlp_moons.py", student)
    student.session_state["moons_tab"] = "Search"
    student.run()
    assert "starts from your teacher's setting" in texts(student.caption)  # 5,000 epochs here
    student.select_slider(key="moons_epochs").set_value(500).run()
    student.button(key="moons_class_study_run").click().run()
    assert not student.exception, student.exception

    open_page(CLASS, teacher)
    shown = texts(teacher.caption)
    assert "2 trials by 1 student" in shown  # the grid's two cells, then it is done
    table = teacher.dataframe[-1].value
    assert set(table["student"]) == {"ada"} and sorted(table["units"]) == [2, 8]


SEARCH_PAGES = {  # page -> (its search prefix, a small setting, a 2-cell grid, where it is)
    "pages/5_mnist.py": (
        "mnist",
        {"select_slider": {"train_size": 1000}, "slider": {"epochs": 2}},
        {"units": [15, 32], "learning_rate": [0.001]},
        "the MNIST page's Hyperparameter search panel",
    ),
    "pages/6_imdb.py": (
        "imdb",
        {"slider": {"epochs": 2}},
        {"units": [4, 8], "l2": [0.0]},
        "the IMDB page's Hyperparameter search panel",
    ),
}


def open_search(app: AppTest, path: str) -> None:
    """The page with its search panel open, at a small setting with a 2-cell grid."""
    prefix, setting, grid, _place = SEARCH_PAGES[path]
    app.session_state[f"{prefix}_search_open"] = True
    open_page(path, app)
    for kind, values in setting.items():
        for name, value in values.items():
            getattr(app, kind)(key=f"{prefix}_{name}").set_value(value).run()
    for name, chosen in grid.items():
        app.multiselect(key=f"{prefix}_search_values_{name}").set_value(chosen).run()


@pytest.mark.parametrize("path", list(SEARCH_PAGES))
def test_a_class_study_runs_from_the_mnist_and_imdb_pages_too(offline_data, path):
    prefix, _setting, grid, place = SEARCH_PAGES[path]
    teacher, code = start_class()
    open_search(teacher, path)
    teacher.button(key=f"{prefix}_class_study").click().run()
    assert "Class study started" in texts(teacher.success)
    open_page(CLASS, teacher)
    assert f"No trials yet: students run them from {place}" in texts(teacher.caption)

    student = join(code, "grace")
    open_search(student, path)
    run = student.button(key=f"{prefix}_class_study_run")
    assert run.label == "Run 2 trials of the class study"  # the grid's 2 cells, not 3
    run.click().run()
    assert not student.exception, student.exception
    open_page(CLASS, teacher)
    assert "2 trials by 1 student" in texts(teacher.caption)
    table = teacher.dataframe[-1].value
    assert set(table["student"]) == {"grace"} and sorted(table["units"]) == grid["units"]
    student.run()  # every cell is taken now: no more trials to run
    assert "Every cell of the study's grid is taken" in texts(student.caption)


def test_a_flood_of_shares_is_refused_with_a_message(monkeypatch):
    """At most MAX_SHARES shares per SHARE_SECONDS and session: a stuck key or a script cannot
    flood the board. (The window is an hour here, so a slow machine's clicks are a flood too.)"""
    from ui.class_room import MAX_SHARES

    monkeypatch.setattr("ui.class_room.SHARE_SECONDS", 3600.0)

    _, code = start_class()
    student = join(code, "ada")
    open_page("pages/4_mlp_moons.py", student)
    open_page(CLASS, student)
    said = []
    for _ in range(MAX_SHARES + 1):
        student.multiselect(key="class_share_choice").set_value(["moons-1"])
        student.button(key="class_share_chosen").click().run()
        said.append(texts(student.success) + texts(student.warning))
    assert all("Shared with class" in text for text in said[:MAX_SHARES])
    assert "Too many shares at once" in said[-1]
