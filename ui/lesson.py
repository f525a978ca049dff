"""The lesson player: `?lesson=NAME&step=K` on any page draws the step above the page (what
to look at, the question), and "Reveal" sets the step's settings on its page, which trains
(or finds the result already trained) and fills the reveal text with the real numbers.
Lessons are TOML files in lessons/ (nn_core.lessons); Previous / Next move through the steps
and the step is in the link, so a link opens the class at step 5."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from nn_core import lessons
from ui.params import LESSON_SETTINGS

FOLDER = Path(__file__).resolve().parent.parent / "lessons"
REVEALED = "lesson_revealed"  # {(lesson name, step number)} revealed in this session
PAGE_PATHS = {
    "perceptron": "pages/1_perceptron.py",
    "inside_a_network": "pages/2_inside_a_network.py",
    "how_it_learns": "pages/3_how_it_learns.py",
    "mlp_moons": "pages/4_mlp_moons.py",
    "mnist": "pages/5_mnist.py",
    "imdb": "pages/6_imdb.py",
}


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
    return found


def _current() -> tuple[lessons.Lesson, int] | None:
    """The lesson and step (1-based) the link names, or None; a bad one is said."""
    name = st.query_params.get("lesson")
    if not name:
        return None
    path = FOLDER / f"{Path(name).name}.toml"
    if not path.is_file():
        st.warning(f"There is no lesson '{name}'. The lessons are listed on the home page.")
        return None
    try:
        lesson = lessons.read(path)
    except lessons.LessonError as error:
        st.error(f"The lesson file {path.name} cannot be used: {error}", icon=":material/error:")
        return None
    text = st.query_params.get("step", "1")
    step = int(text) if text.isdigit() else 1
    return lesson, min(max(step, 1), len(lesson.steps))


class Player:
    """Drawn by setup_page on every page; the page reports its result's fields at the end
    (report), which fills the reveal."""

    def __init__(self, page: str):
        self.page = page
        current = _current()
        self.lesson, self.number = current if current else (None, 0)
        self.reveal_box = None
        if self.lesson is not None:
            self._draw()

    @property
    def step(self) -> lessons.Step | None:
        return self.lesson.steps[self.number - 1] if self.lesson else None

    @property
    def revealed(self) -> bool:
        if self.lesson is None:
            return False
        done = (self.lesson.name, self.number) in st.session_state.get(REVEALED, set())
        return done and self.step.page == self.page

    def _draw(self) -> None:
        lesson, step = self.lesson, self.step
        box = st.container(border=True, key="lesson_panel")
        with box:
            st.caption(f"Lesson: {lesson.title} · step {self.number} of {len(lesson.steps)}")
            if step.look:
                st.markdown(step.look)
            if step.question:
                st.radio(
                    step.question,
                    step.choices or ["(think about it)"],
                    index=None,
                    key=f"lesson_answer_{lesson.name}_{self.number}",
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
            if reveal.button(
                "Reveal",
                key="lesson_reveal",
                type="primary",
                icon=":material/visibility:",
                width="stretch",
                disabled=self.revealed,
            ):
                self._reveal()
            forward.button(
                "Next",
                key="lesson_next",
                on_click=self._go,
                args=(self.number + 1,),
                disabled=self.number == len(lesson.steps),
                icon=":material/arrow_forward:",
                width="stretch",
            )
            self.reveal_box = st.container()
            if not self.revealed and step.page != self.page:
                self.reveal_box.caption(f"Reveal opens the {step.page.replace('_', ' ')} page.")

    def _go(self, number: int) -> None:
        st.query_params["step"] = str(number)

    def _reveal(self) -> None:
        """Apply the step's settings (every other control of its page back at its default)
        on its page, and show the result there."""
        step, prefix = self.step, lessons.PAGES[self.step.page]
        for key in list(st.session_state.get(f"{prefix}__controls", ())):
            st.session_state.pop(key, None)
        for name in list(st.query_params):
            if name.startswith(f"{prefix}_"):
                del st.query_params[name]
        st.session_state[LESSON_SETTINGS] = {
            f"{prefix}_{name}": value for name, value in step.settings.items()
        }
        st.session_state.setdefault(REVEALED, set()).add((self.lesson.name, self.number))
        if step.show:
            st.query_params["show"] = ",".join(step.show)
        if step.page != self.page:
            st.switch_page(PAGE_PATHS[step.page], query_params=dict(st.query_params))
        st.rerun()

    def report(self, result_fields) -> None:
        """The page's result (result_fields() -> its fields, see nn_core.lessons.FIELDS):
        fill the reveal text with it, and say whether each claim holds (the teacher sees a
        claim that does not; the tests fail on it)."""
        if not self.revealed:
            return
        step, fields = self.step, result_fields()
        st.session_state["lesson_fields"] = fields  # (read by the tests)
        with self.reveal_box:
            if step.answer is not None:
                st.success(f"Answer: {step.choices[step.answer - 1]}", icon=":material/check:")
            st.markdown(lessons.fill(step.reveal, fields))
            failed = [claim.text for claim in step.claims if not claim.holds(fields)]
            if failed:
                st.warning(
                    "This run does not show what the lesson says: "
                    + "; ".join(f"`{text}`" for text in failed)
                    + ". (Settings changed since the reveal?)",
                    icon=":material/report:",
                )
