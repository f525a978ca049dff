"""The theory pages in AppTest: each section opened by a link, moved, and read back."""

import re

import numpy as np
import pytest
from test_pages import chart_titles, page_with_query, texts

INSIDE, LEARNS = "pages/2_inside_a_network.py", "pages/3_how_it_learns.py"


def test_one_neuron_shows_its_formula_with_the_numbers():
    app = page_with_query(INSIDE)
    app.slider(key="inside_w1").set_value(2.0).run()
    app.selectbox(key="inside_activation").set_value("tanh").run()
    formulas = " ".join(element.value for element in app.latex)
    assert r"\mathrm{tanh}(2\,x_1 -1\,x_2 +0.5)" in formulas
    assert "Output of one neuron" in chart_titles(app)


def test_activation_functions_report_their_slopes_at_the_probe():
    app = page_with_query(INSIDE, inside_section="Activation functions", inside_z="1")
    table = next(text for text in (m.value for m in app.markdown) if text.startswith("| at z"))
    names = re.findall(r"\*\*(\w+)\*\*", table.splitlines()[0])
    slope_row = next(line for line in table.splitlines() if line.startswith("| f'(z)"))
    slopes = dict(zip(names, map(float, re.findall(r"-?\d+\.\d+", slope_row)), strict=True))
    sigmoid = 1 / (1 + np.exp(-1))
    assert slopes["sigmoid"] == pytest.approx(sigmoid * (1 - sigmoid), abs=1e-4)
    assert slopes["tanh"] == pytest.approx(1 - np.tanh(1) ** 2, abs=1e-4) and slopes["relu"] == 1
    assert slopes["step"] == 0
    assert "slope is below 0.05 for: **step**" in texts(app.markdown)
    app.slider(key="inside_z").set_value(-5.0).run()
    assert "**step, sigmoid, tanh, relu**" in texts(app.markdown)


def test_linear_layers_draw_a_straight_boundary_and_tanh_a_curved_one():
    app = page_with_query(INSIDE, inside_section="nonlinear", inside_epochs="500")
    text = texts(app.markdown)
    linear = float(re.search(r"from a plane by at most ([\d.]+)", text).group(1))
    curved = float(re.search(r"from a plane by up to ([\d.]+)", text).group(1))
    assert linear < 0.01 < 1 < curved
    assert "2 hidden layers of 8, linear" in chart_titles(app)


def test_forward_pass_matches_keras_after_a_weight_moves():
    app = page_with_query(INSIDE, inside_section="forward")
    app.slider(key="inside_w12").set_value(-2.0).run()
    message = texts(app.success)
    difference = float(re.search(r"largest difference is (\d\.\de[+-]\d+)", message).group(1))
    assert difference < 1e-6
    assert any("-2.000" in element.value for element in app.latex)  # W1 shows the new weight


def test_universal_approximation_fits_with_more_units():
    app = page_with_query(INSIDE, inside_section="approximation", inside_units="1")
    one = float(re.search(r"error after .* epochs: \*\*([\d.]+)", texts(app.markdown)).group(1))
    app.slider(key="inside_units").set_value(30).run()
    thirty = float(re.search(r"error after .* epochs: \*\*([\d.]+)", texts(app.markdown)).group(1))
    assert thirty < one / 5
    app.selectbox(key="inside_target").set_value("your points").run()
    assert not app.exception and "Draw a curve from left to right" in texts(app.info)


@pytest.mark.parametrize(
    "rate, sentence", [("0.01", "Crawling"), ("0.3", "Converged"), ("0.8", "Oscillating")]
)
def test_gradient_descent_regimes_are_named(rate, sentence):
    app = page_with_query(LEARNS, learns_learning_rate=rate, learns_steps="50")
    assert sentence in texts(app.info)
    assert "Loss surface" in chart_titles(app)


def test_a_diverging_learning_rate_is_reported_not_drawn_as_nan():
    app = page_with_query(LEARNS, learns_learning_rate="1.0", learns_steps="100")
    assert "Diverged" in texts(app.error) and "NaN" not in chart_titles(app)


def test_backpropagation_steps_forward_backward_and_update():
    app = page_with_query(LEARNS, learns_section="backprop")
    assert "Press **Forward**" in texts(app.info)
    app.button(key="learns_go_forward").click().run()
    found = re.search(r"y' = (\d\.\d+), the loss L = -log y' = (\d\.\d+)", texts(app.markdown))
    prediction, loss = map(float, found.groups())
    assert loss == pytest.approx(-np.log(prediction), abs=2e-4)  # target y = 1
    for _ in range(3):
        app.button(key="learns_go_backward").click().run()
    assert "Backward, step 3 of" in texts(app.markdown)
    assert len(app.dataframe[0].value) == 3  # the gradients found so far
    app.button(key="learns_go_update").click().run()
    found = re.search(r"from (\d\.\d+) to (\d\.\d+)", texts(app.success))
    before, after = map(float, found.groups())
    assert after < before


def test_weight_initialisation_zero_keeps_units_identical():
    app = page_with_query(LEARNS, learns_section="init", learns_init_epochs="200")
    assert "largest difference 0.0000" in texts(app.markdown)
    table = app.dataframe[0].value
    assert list(table["start"]) == ["glorot", "small", "large", "zeros"]
    assert "Training loss by starting weights" in chart_titles(app)


def test_batch_sizes_compared():
    app = page_with_query(LEARNS, learns_section="batch", learns_batch_epochs="20")
    table = app.dataframe[0].value
    assert list(table["steps per epoch"]) == [1, 9, 140]
    assert "Training loss per epoch" in chart_titles(app)


def test_home_and_menu_follow_the_chapters_order():
    from ui.layout import PAGES

    labels = [label for _, label, _ in PAGES]
    chapter_order = ["Home", "Perceptron", "Inside a network", "How it learns", "MLP on moons"]
    assert labels[: len(chapter_order)] == chapter_order
    home = page_with_query("streamlit_app.py")
    cards = [link.proto.label for link in home.main.get("page_link")]
    pages = [f"**{label}**" for label in labels[1:]]
    assert cards[: len(pages)] == pages  # every page, in the menu's order (the lessons follow)
    assert home.button(key="home_start").proto.type == "primary"


@pytest.mark.parametrize(
    "path, query, shown",
    [
        (INSIDE, {"inside_section": "Forward pass", "show": "w11"}, "inside_w11"),
        (LEARNS, {"learns_section": "Backpropagation", "show": "stage"}, "learns_stage"),
    ],
)
def test_presenter_mode_shows_the_linked_section_with_only_the_named_controls(path, query, shown):
    app = page_with_query(path, present="1", **query)
    assert [slider.key for slider in app.main.slider] == [shown]
    assert len(app.sidebar.slider) == 0 and not app.get("button_group")  # no section buttons
