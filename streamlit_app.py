"""Home page: what each experiment teaches, where to start, and a picture of one."""

from pathlib import Path

import streamlit as st

from ui.layout import PAGES, setup_page
from ui.lesson import PAGE_PATHS, steps_text
from ui.lesson import shipped as shipped_lessons
from ui.lesson import upload as upload_lesson
from ui.warmup import warm_up_in_background

# What each page teaches and what to try first, in the chapter's order (the menu's order).
GUIDE = {
    "pages/1_perceptron.py": (
        "Rosenblatt's learning rule, one update at a time; why it fails on XOR",
        "step through AND, then switch to XOR",
    ),
    "pages/2_inside_a_network.py": (
        "one neuron, activation functions and their slopes, why hidden layers need "
        "non-linearity, the forward pass as matrix products, universal approximation",
        "turn a neuron's weights, then fit a sine with 1, then 30 units",
    ),
    "pages/3_how_it_learns.py": (
        "gradient descent and the learning rate, backpropagation step by step, weight "
        "initialisation, batch size",
        "raise the learning rate until descent zig-zags, then diverges",
    ),
    "pages/4_mlp_moons.py": (
        "underfitting and overfitting; L1/L2 and dropout",
        "hidden units 1, then 50, then add dropout",
    ),
    "pages/5_mnist.py": (
        "a digit classifier, its errors, what its hidden units see",
        "train with the defaults, then draw a digit",
    ),
    "pages/6_imdb.py": (
        "overfitting on real text, and three ways to fight it",
        "train the four presets, then write a review",
    ),
    "pages/7_runs.py": (
        "every run of your session side by side, as TensorBoard's HParams view",
        "pin a run and compare the others with it",
    ),
    "pages/8_class.py": (
        "the whole room on one board: a class to join, shared runs, a challenge, votes",
        "start a class and project its code; students join with their phones",
    ),
}

setup_page(
    "Neural-network explorer",
    ":material/neurology:",
    "The chapter **Artificial Neural Networks** as live experiments: every network here is a "
    "real Keras model trained while you watch, on the same data as the chapter. The pages "
    "follow the chapter; each one starts with the chapter's own settings.",
)

if st.button(
    "Start with the perceptron",
    key="home_start",
    type="primary",
    icon=":material/play_arrow:",
):
    st.switch_page("pages/1_perceptron.py")

# Cards in rows of two, so reading, tabbing and screen readers all follow the chapter.
guided = [page for page in PAGES if page[0] in GUIDE]
for row in range(0, len(guided), 2):
    for column, (path, label, icon) in zip(st.columns(2), guided[row : row + 2], strict=False):
        teaches, try_first = GUIDE[path]
        with column.container(border=True, height="stretch"):
            st.page_link(path, label=f"**{label}**", icon=icon)
            st.markdown(teaches)
            st.caption(f"Try first: {try_first}.")

st.header("Guided lessons", anchor="lessons")
st.caption(
    "Predict, then reveal on a live network: each step asks a question, and Reveal trains "
    "the step's setting and fills in the real numbers. What a lesson claims about a result is "
    "checked by the test suite against the network itself. Share a step with `&step=K`."
)
for lesson in shipped_lessons().values():
    first = lesson.steps[0]
    with st.container(border=True):
        st.page_link(
            PAGE_PATHS[first.page],
            label=f"**{lesson.title}**",
            icon=":material/school:",
            query_params={"lesson": lesson.name, "step": "1"},
        )
        if lesson.about:
            st.markdown(lesson.about)
        pages = ", ".join(page.replace("_", " ") for page in lesson.pages)
        st.caption(f"{steps_text(lesson)} · pages: {pages}")
upload_lesson()

st.image(
    str(Path(__file__).parent / "docs" / "screenshot.png"),
    caption="The MLP page: the chapter's 50-unit network overfits the noisy moons.",
)
st.info(
    "Training is deterministic: the same settings and seed give the same curves. Every page "
    "keeps its settings in the address bar, so a copied link reproduces the run; add "
    "`&present=1` for a projector, and `&show=units_0,l2` to keep only those controls.",
    icon=":material/info:",
)

# Drawn: now load TensorFlow and compile the chapter's network in the background, while the
# visitor reads (the first visitor after a restart otherwise waits for it on the next page).
warm_up_in_background()
