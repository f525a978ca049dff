"""The lesson player: `?lesson=NAME&step=K` on a page with a player (nn_core.lessons.PAGES)
draws the step above the page (what to look at, the question), and "Reveal" sets the step's
settings on its page, which trains (or finds the result already trained) and fills the reveal
text with the real numbers. Lessons are TOML files in lessons/ (nn_core.lessons); Previous /
Next move through the steps and the step is in the link, so a link opens the class at step 5."""

from __future__ import annotations

import subprocess
from pathlib import Path

import streamlit as st

from nn_core import lessons
from ui import class_room, lesson_check
from ui.layout import presenting
from ui.params import LESSON_SETTINGS, TO_DEFAULT

FOLDER = Path(__file__).resolve().parent.parent / "lessons"
REVEALED = "lesson_revealed"  # {(lesson name, step number)} revealed in this session
LINK_NAMES = ("lesson", "step", "present", "show")  # what a lesson link holds besides settings
PAGE_PATHS = {
    "perceptron": "pages/1_perceptron.py",
    "inside_a_network": "pages/2_inside_a_network.py",
    "how_it_learns": "pages/3_how_it_learns.py",
    "mlp_moons": "pages/4_mlp_moons.py",
    "mnist": "pages/5_mnist.py",
    "imdb": "pages/6_imdb.py",
}
PREDICTIONS = "lesson_predictions"  # answer key -> the choice a student predicted
SWITCH = "lesson_switch"  # the page a Reveal's callback asked this run to open
TRAIN = "lesson_train"  # the page whose next run trains the step's setting (a Train button's)


@st.cache_data(ttl=30, show_spinner=False)  # a lesson file added to lessons/ shows up soon
def shipped() -> dict[str, lessons.Lesson]:
    """The lessons in lessons/, by name (a broken file is left out of the index, and named
    when opened)."""
    found = {}
    for path in sorted(FOLDER.glob("*.toml")):
        try:
            found[path.stem] = lessons.read(path)
        except lessons.LessonError:
            continue
    return dict(sorted(found.items(), key=lambda item: (item[1].order, item[0])))


UPLOADED = "lesson_uploaded"  # name -> Lesson: a teacher's own lessons, in their session


def upload() -> None:
    """A teacher's own lesson file: checked, then offered to start (in this session; for the
    whole class, put the file in lessons/). A bad file is named with its line and problem."""
    file = st.file_uploader(
        "Your own lesson (a .toml file written as the README shows)",
        type=["toml"],
        key="lesson_upload",
    )
    if file is None:
        return
    name = Path(file.name).stem
    try:
        lesson = lessons.parse(file.getvalue().decode("utf-8"), name)
    except (lessons.LessonError, UnicodeDecodeError) as error:
        st.error(f"{file.name} cannot be used: {error}", icon=":material/error:")
        return
    try:
        with st.spinner("Checking every step's settings on its page…"):
            wrong = checked_settings(file.getvalue().decode("utf-8"), name)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        wrong = []
        st.warning(
            f"{error}; each step's settings are checked when it is revealed instead.",
            icon=":material/warning:",
        )
    if wrong:
        st.error(
            f"{file.name} cannot be used:\n\n" + "\n".join(f"- {problem}" for problem in wrong),
            icon=":material/error:",
        )
        return
    st.session_state.setdefault(UPLOADED, {})[name] = lesson
    st.page_link(
        PAGE_PATHS[lesson.steps[0].page],
        label=f"Start **{lesson.title}** ({steps_text(lesson)})",
        icon=":material/play_arrow:",
        query_params={"lesson": name, "step": "1"},
    )


@st.cache_data(max_entries=32, show_spinner=False)  # the uploader keeps the file: check it once
def checked_settings(text: str, name: str) -> list[str]:
    return lesson_check.problems(text, name)


def steps_text(lesson: lessons.Lesson) -> str:
    count = len(lesson.steps)
    return f"{count} step{'s' if count > 1 else ''}"


def _current() -> tuple[lessons.Lesson, int] | None:
    """The lesson and step (1-based) the link names, or None; a bad one is said."""
    name = st.query_params.get("lesson")
    if not name:
        return None
    lesson = st.session_state.get(UPLOADED, {}).get(name)
    path = FOLDER / f"{Path(name).name}.toml"
    if lesson is None and not path.is_file():
        st.warning(f"There is no lesson '{name}'. The lessons are listed on the home page.")
        return None
    try:
        lesson = lesson or lessons.read(path)
    except lessons.LessonError as error:
        st.error(f"The lesson file {path.name} cannot be used: {error}", icon=":material/error:")
        return None
    text = st.query_params.get("step", "1")
    step = int(text) if text.isdigit() else 1
    return lesson, min(max(step, 1), len(lesson.steps))


PREPARING = "lesson_preparing"  # (lesson name, step being trained, step to come back to)
PREPARED = "lesson_prepared"  # the lesson just prepared, to say so once


class Player:
    """Made by a page right after its title (the panel goes there); the page reports its
    result's fields at the end (report), which fills the reveal."""

    def __init__(self, page: str):
        self.page = page
        current = _current()
        self.lesson, self.number = current if current else (None, 0)
        self.reveal_box = None
        # Pages that train only on a button press (MNIST, IMDB) train the step's setting on
        # the run right after Reveal or while preparing, as if Train were pressed.
        self.train_now = st.session_state.get(TRAIN) == page
        if self.train_now:
            del st.session_state[TRAIN]
        if st.session_state.get(SWITCH):  # a Reveal of a step on another page
            self._open(st.session_state.pop(SWITCH))
        if class_room.following():
            follow_teacher((self.lesson.name, self.number) if self.lesson else None)
        if self.lesson is not None:
            # A fragment: Next, Previous and an answer redraw the panel alone (the page below
            # still shows the step before); Reveal reruns the whole page with the step, at once
            # (st.rerun in a callback makes the click a whole-app run, with no fragment run
            # before it).
            st.fragment(self._draw)()

    @property
    def step(self) -> lessons.Step | None:
        return self.lesson.steps[self.number - 1] if self.lesson else None

    @property
    def on_page(self) -> bool:
        """Whether the lesson's current step is about this page."""
        return self.lesson is not None and self.step.page == self.page

    @property
    def revealed(self) -> bool:
        if self.lesson is None:
            return False
        done = (self.lesson.name, self.number) in st.session_state.get(REVEALED, set())
        return done and self.on_page

    def _draw(self) -> None:
        current = _current()  # (Next or Previous moved the step)
        if current is None:  # (the link lost its lesson meanwhile: _current said so)
            return
        self.lesson, self.number = current
        lesson, step = self.lesson, self.step
        class_room.teacher_at(lesson.name, self.number)
        box = st.container(border=True, key="lesson_panel")
        with box:
            st.caption(f"Lesson: {lesson.title} · step {self.number} of {len(lesson.steps)}")
            if step.look:
                st.markdown(step.look)
            if step.question:
                choices = list(step.choices or ["(think about it)"])
                predicted = st.session_state.get(PREDICTIONS, {}).get(self._answer_key())
                st.radio(
                    step.question,
                    choices,
                    index=choices.index(predicted) if predicted in choices else None,
                    key=self._answer_key(),
                    on_change=self._predicted,
                )
            back, reveal, forward = st.columns(3)
            back.button(
                "Previous",
                key="lesson_previous",
                on_click=self._go,
                args=(self.number - 1,),
                disabled=self.number == 1,
                icon=":material/arrow_back:",
                width="stretch",
            )
            reveal.button(
                "Reveal",
                key="lesson_reveal",
                type="primary",
                icon=":material/visibility:",
                width="stretch",
                disabled=self.revealed,
                on_click=self._reveal,  # (before the run: the page runs once, with the step)
            )
            forward.button(
                "Next",
                key="lesson_next",
                on_click=self._go,
                args=(self.number + 1,),
                disabled=self.number == len(lesson.steps),
                icon=":material/arrow_forward:",
                width="stretch",
            )
            self._prepare_controls()
            class_room.follow_toggle("panel")
            self._class_answers(step)
            self.reveal_box = st.container()
            if not self.revealed and step.page != self.page:
                self.reveal_box.caption(f"Reveal opens the {step.page.replace('_', ' ')} page.")

    def _prepare_controls(self) -> None:
        """ "Prepare this lesson" (trains every step's setting now: in class every reveal is
        then instant, for every student), its progress, and the word that it is done."""
        preparing = st.session_state.get(PREPARING)
        count = len(self.lesson.steps)
        if preparing is not None and preparing[0] == self.lesson.name:
            done = (preparing[1] - 1) / count
            st.progress(done, text=f"Preparing step {preparing[1]} of {count}…")
        elif st.session_state.get(PREPARED) == self.lesson.name:
            del st.session_state[PREPARED]
            st.success(
                f"Prepared: the results of all {count} steps are trained and stored on the "
                "server, so every reveal is instant for the whole class.",
                icon=":material/task_alt:",
            )
        elif not presenting() and st.button(  # (a teacher's, before class)
            "Prepare this lesson",
            key="lesson_prepare",
            icon=":material/cloud_sync:",
            help="Before class: trains every step's setting now (the page steps through "
            "them), so that in class every reveal is instant.",
        ):
            st.session_state[PREPARING] = (self.lesson.name, 1, self.number)
            self._open(self._apply(1, reveal=False))

    def _go(self, number: int) -> None:
        st.query_params["step"] = str(number)
        if (self.lesson.name, number) in st.session_state.get(REVEALED, set()):
            # Revealed before: the page shows it again with that step's setting (its result
            # is stored), so that the reveal text is true of the network on screen, not of a
            # later step's; this takes the whole page's run.
            if self.lesson.steps[number - 1].page == self.page:
                self._apply(number, reveal=True)
                st.rerun()

    def _reveal(self) -> None:
        """Reveal's callback: the step's settings, for the run that follows (on another page:
        the run opens it)."""
        page = self._apply(self.number, reveal=True)
        if page != self.page:
            st.session_state[SWITCH] = page
        st.rerun()

    def _apply(self, number: int, reveal: bool) -> str:
        """Step `number`'s settings (every other control of its page back at its default) for
        its page's next run, where the result is trained or found; revealed if `reveal`. Returns
        that page."""
        step = self.lesson.steps[number - 1]
        prefix = lessons.PAGES[step.page]
        st.query_params["step"] = str(number)
        for key in list(st.session_state.get(f"{prefix}__controls", ())):
            st.session_state.pop(key, None)
        for name in list(st.query_params):
            if name.startswith(f"{prefix}_"):
                del st.query_params[name]
        # Every other control back at its default in the next run, set there as the step's
        # own values are: a control only forgotten here kept the value the browser last
        # sent (Previous from an L2 step left L2 on).
        st.session_state[LESSON_SETTINGS] = {
            **dict.fromkeys(st.session_state.get(f"{prefix}__controls", ()), TO_DEFAULT),
            **{f"{prefix}_{name}": value for name, value in step.settings.items()},
        }
        if reveal:
            st.session_state.setdefault(REVEALED, set()).add((self.lesson.name, number))
        if step.show:
            st.query_params["show"] = ",".join(step.show)
        elif "show" in st.query_params:  # (the previous step's controls)
            del st.query_params["show"]
        st.session_state[TRAIN] = step.page
        return step.page

    def _open(self, page: str) -> None:
        """Run `page` again, or open it (the link keeps the lesson's own parameters only)."""
        if page != self.page:
            kept = {name: st.query_params[name] for name in LINK_NAMES if name in st.query_params}
            st.switch_page(PAGE_PATHS[page], query_params=kept)
        st.rerun()

    def _prepared_one(self) -> None:
        """While preparing: this step's result is now stored; on to the next step, or back to
        the step the teacher was on."""
        name, number, back_to = st.session_state[PREPARING]
        if number < len(self.lesson.steps):
            st.session_state[PREPARING] = (name, number + 1, back_to)
            self._open(self._apply(number + 1, reveal=False))
        st.session_state[PREPARING] = None
        st.session_state[PREPARED] = name
        st.query_params["step"] = str(back_to)
        self._open(self.lesson.steps[back_to - 1].page)

    def _answer_key(self) -> str:
        return f"lesson_answer_{self.lesson.name}_{self.number}"

    def _predicted(self) -> None:
        """The radio's callback: the prediction is kept beyond the radio's own state, which
        Streamlit drops when Reveal opens another page."""
        key = self._answer_key()
        st.session_state.setdefault(PREDICTIONS, {})[key] = st.session_state[key]
        if st.session_state[key] is not None:
            class_room.vote_for(self.lesson.name, self.number, st.session_state[key])

    def _class_answers(self, step: lessons.Step) -> None:
        """For a teacher with a class: how the class answered this step's question so far
        (before the reveal, only how many did: the tally would give the answer away)."""
        counted = class_room.votes(self.lesson.name, self.number) if step.question else None
        if counted is None:
            return
        total = sum(counted.values())
        if not self.revealed:
            st.caption(f"Class: {total:,} answer{'s' if total != 1 else ''} so far.")
            return
        choices = list(step.choices or counted)
        lines = [
            f"- {class_room.plain(choice)}: **{counted.get(choice, 0):,}**"
            + (f" ({counted.get(choice, 0) / total:.0%})" if total else "")
            for choice in choices
        ]
        st.markdown(f"The class answered ({total:,} votes):\n" + "\n".join(lines))

    def _answer(self, right: str) -> None:
        """The right answer, and whether the student's prediction was it."""
        chosen = st.session_state.get(PREDICTIONS, {}).get(self._answer_key())
        if chosen is None or chosen == right:
            said = "Right" if chosen == right else "Answer"
            st.success(f"{said}: {right}", icon=":material/check:")
        else:
            st.info(f"Answer: {right} (you predicted: {chosen})", icon=":material/lightbulb:")

    def report(self, result_fields) -> None:
        """The page's result (result_fields() -> its fields, see nn_core.lessons.FIELDS):
        fill the reveal text with it, and say whether each claim holds (the teacher sees a
        claim that does not; the tests fail on it)."""
        preparing = st.session_state.get(PREPARING)
        if self.on_page and preparing and preparing[:2] == (self.lesson.name, self.number):
            result_fields()  # what the reveal will need, computed and stored now
            self._prepared_one()
        if not self.revealed:
            return
        step, fields = self.step, result_fields()
        st.session_state["lesson_fields"] = fields  # (read by the tests)
        with self.reveal_box:
            if step.answer is not None:
                self._answer(step.choices[step.answer - 1])
            st.markdown(lessons.fill(step.reveal, fields))
            failed = [claim.text for claim in step.claims if not claim.holds(fields)]
            if failed:
                st.warning(
                    "This run does not show what the lesson says: "
                    + "; ".join(f"`{text}`" for text in failed)
                    + ". (Settings changed since the reveal?)",
                    icon=":material/report:",
                )


@st.fragment(run_every=2)
def follow_teacher(current: tuple[str, int] | None) -> None:
    """A student who follows the teacher: every 2 s, where is the teacher? Another step (or
    lesson) opens it, on its page."""
    where = class_room.where_teacher_is()
    if where is None or where == current:
        return
    name, number = where
    path = FOLDER / f"{Path(name).name}.toml"
    try:
        lesson = lessons.read(path)
    except (lessons.LessonError, OSError):
        return  # (a teacher's own uploaded lesson: the students do not have it)
    number = min(max(number, 1), len(lesson.steps))
    query = {"lesson": name, "step": str(number)}
    if "present" in st.query_params:
        query["present"] = st.query_params["present"]
    st.switch_page(PAGE_PATHS[lesson.steps[number - 1].page], query_params=query)
