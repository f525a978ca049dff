"""Colour carries meaning in the charts: every chart's colours stay apart (CIE ΔE76 >= 40) for
normal vision and under simulated deuteranopia and protanopia (Machado et al. 2009)."""

import json
import re

from test_pages import page, page_with_query, train_mnist

from nn_core import colours

HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


def test_the_simulation_keeps_greys_and_merges_red_and_green():
    for kind in colours.SIMULATIONS:
        _, a, b = colours.simulate("#808080", kind)
        assert abs(a) < 1 and abs(b) < 1  # a grey stays grey
    # The old IMDB pair: distinct for normal vision, one olive for deuteranopes.
    assert colours.delta_e("#2ca02c", "#d62728") > 60
    assert colours.delta_e("#2ca02c", "#d62728", "deuteranopia") < 10
    assert colours.closest_pair(colours.CLASS_COLOURS)[0] > 100
    assert colours.closest_pair(colours.SERIES)[0] >= colours.MINIMUM_DELTA_E


def chart_colours(spec) -> set[str]:
    """Every hex colour a Vega-Lite spec gives marks or colour encodings (scale ranges,
    conditions, fixed values)."""
    found = set()

    def walk(node, key=None):
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, name)
        elif isinstance(node, list):
            for item in node:
                walk(item, key)
        elif key in {"color", "fill", "stroke", "range", "value"} and isinstance(node, str):
            if HEX.match(node):
                found.add(node.lower())

    walk(spec)
    return found


def unchecked_encodings(spec) -> list[str]:
    """Colour encodings of categories whose colours the spec does not list (a named scheme,
    or none: the theme's palette), which this test could not check."""
    unchecked = []

    def walk(node):
        if isinstance(node, dict):
            for name, value in node.items():
                if (
                    name in {"color", "fill", "stroke"}
                    and isinstance(value, dict)
                    and value.get("type") == "nominal"
                    and "range" not in value.get("scale", {})
                ):
                    unchecked.append(f"{name} of {value.get('field')}")
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(spec)
    return unchecked


def specs(app) -> list[dict]:
    return [
        json.loads(chart.proto.spec)
        for chart in [*app.get("vega_lite_chart"), *app.get("arrow_vega_lite_chart")]
    ]


def every_chart(offline_data) -> list[dict]:
    """The charts of every page, each in a state that draws its charts."""
    drawn = []
    app = page("pages/4_mlp_moons.py")
    drawn += specs(app)
    app.switch_page("pages/1_perceptron.py").run()
    app.selectbox(key="perceptron_dataset").set_value("xor").run()
    drawn += specs(app)
    app.switch_page("pages/5_mnist.py").run()
    train_mnist(app, epochs=2)
    drawn += specs(app)
    app.switch_page("pages/6_imdb.py").run()
    app.multiselect(key="imdb_models").set_value(["baseline 16-16", "smaller 8-8"]).run()
    app.button(key="imdb_train").click().run()
    drawn += specs(app)
    app.switch_page("pages/7_runs.py").run()
    drawn += specs(app)
    for section in (
        "One neuron",
        "Activation functions",
        "Why non-linear",
        "Universal approximation",
    ):
        drawn += specs(page_with_query("pages/2_inside_a_network.py", inside_section=section))
    for section in ("Gradient descent", "Weight initialisation", "Batch size"):
        drawn += specs(page_with_query("pages/3_how_it_learns.py", learns_section=section))
    return drawn


def test_every_charts_colours_stay_apart_for_colour_blind_students(offline_data):
    drawn = every_chart(offline_data)
    assert len(drawn) >= 20
    assert sum(len(chart_colours(spec)) >= 2 for spec in drawn) >= 15  # the check has work
    for spec in drawn:
        title = spec.get("title") or spec.get("description")
        assert not unchecked_encodings(spec), (title, unchecked_encodings(spec))
        closest, first, second, vision = colours.closest_pair(chart_colours(spec))
        assert closest >= colours.MINIMUM_DELTA_E, (title, first, second, vision, closest)
