"""The chapter's fundamentals, each one a thing to move: a neuron, activation functions, why
hidden layers need non-linear ones, the vectorised forward pass, universal approximation."""

import streamlit as st

from ui.layout import load_engine, setup_page

# The title and purpose are drawn before TensorFlow and the engine are imported (below):
# the first visit after a restart shows them at once instead of a blank page for seconds.
setup_page(
    "Inside a network",
    ":material/hub:",
    "What the chapter's formulas compute, one piece at a time. Start with **one neuron**: move "
    "its weights and watch the line w·x + b = 0 turn and shift. Then see why the activation "
    "function's slope decides how a network learns, why hidden layers need a non-linear one, "
    "how a whole batch flows through a network as matrix products, and how enough hidden "
    "units can draw any curve.",
)
load_engine()

from dataclasses import replace

import altair as alt
import numpy as np
import pandas as pd

from nn_core import chapter, charts, theory, theory_charts, training
from nn_core.perceptron import line_through
from ui import results
from ui.curve_pad import curve_pad
from ui.datasets import chapter_moons
from ui.layout import chart_spec, sectioned, show_chart
from ui.lesson import Player
from ui.params import PageParams
from ui.runs import record as record_run

PLANE = (-3.0, 3.0)  # the neuron's plane, both axes
YOUR_POINTS = "your points"


def neuron_section(params):
    controls, chart = st.columns([2, 3])
    with params.inside(controls):
        w1 = params.slider("w1", "Weight w1", -3.0, 3.0, 1.0, 0.1)
        w2 = params.slider("w2", "Weight w2", -3.0, 3.0, -1.0, 0.1)
        bias = params.slider("b", "Bias b", -3.0, 3.0, 0.5, 0.1)
        activation = params.selectbox("activation", "Activation f", theory.ACTIVATIONS, "sigmoid")
    st.latex(
        rf"y' = f(w_1 x_1 + w_2 x_2 + b) = \mathrm{{{activation}}}"
        rf"({w1:g}\,x_1 {w2:+g}\,x_2 {bias:+g})"
    )
    grid = training.Grid(*(np.linspace(*PLANE, 160, dtype=np.float32),) * 2)
    values = theory.neuron_output((w1, w2), bias, activation, grid.points).reshape(160, 160)
    scale = "sigmoid" if activation == "step" else activation  # 0-1, like the sigmoid
    url = charts.png_data_url(charts.unit_image(values, scale))
    layers = [charts.image_layer(url, PLANE, PLANE)]
    line = line_through(np.array([bias, w1, w2]), PLANE)
    if line is not None:
        layers.append(charts.line_layer(line, (PLANE, PLANE)))
    show_chart(
        alt.layer(*layers).properties(
            width=420, height=420, **charts.titled("Output of one neuron")
        ),
        chart,
        width="content",
    )
    controls.caption(
        f"Shading: the output over the plane, from {values.min():.2f} (orange) to "
        f"{values.max():.2f} (blue). The black line is w·x + b = 0: one side gets "
        f"f(positive), the other f(negative). The weights turn it; the bias shifts it."
    )
    return {"neuron_output_min": float(values.min()), "neuron_output_max": float(values.max())}


def activations_section(params):
    with params.inside(st.container()):
        probe = params.slider("z", "Probe z (a neuron's weighted input)", -6.0, 6.0, 2.5, 0.1)
    show_chart(theory_charts.activation_panels(probe))
    rows = []
    for name in ("step", "sigmoid", "tanh", "relu"):
        at_probe, slope = theory.activation_and_derivative(name, np.array([probe]))
        rows.append({"function": name, "f(z)": at_probe[0], "f'(z)": slope[0]})
    table = pd.DataFrame(rows)
    st.markdown(
        f"| at z = {probe:g} | "
        + " | ".join(f"**{name}**" for name in table["function"])
        + " |\n|---|"
        + "---:|" * len(table)
        + "\n| f(z) | "
        + " | ".join(f"{value:.4f}" for value in table["f(z)"])
        + " |\n| f'(z) | "
        + " | ".join(f"{value:.4f}" for value in table["f'(z)"])
        + " |"
    )
    flat = ", ".join(table.loc[table["f'(z)"].abs() < theory.VANISHING, "function"]) or "none"
    st.markdown(
        f"At z = {probe:g} the slope is below {theory.VANISHING} for: **{flat}**. Grey bands mark "
        "where a slope is that small. Backpropagation multiplies by this slope, so a saturated "
        "sigmoid or tanh unit (large |z|) passes almost no gradient back and learns slowly, a "
        "ReLU unit whose z stays negative gets no gradient at all and can die, and the step "
        "function has no slope anywhere: it cannot be trained by gradient descent."
    )
    slopes = dict(zip(table["function"], table["f'(z)"], strict=True))
    return {f"{name}_slope": float(slopes[name]) for name in ("sigmoid", "tanh", "relu")}


def nonlinear_section(params):
    with params.inside(st.container()):
        epochs = params.select_slider("epochs", "Epochs", (500, 1000, 2000, 5000), 2000)
    split = chapter_moons()
    points = np.concatenate([split.x_train, split.x_validation])
    labels = np.concatenate([split.y_train, split.y_validation])
    grid = training.plane_grid(points, resolution=120)
    columns, curvature, fields = st.columns(2), {}, {}
    for column, activation in zip(columns, ("linear", "tanh"), strict=True):
        spec = replace(chapter.MOONS_NETWORK, hidden_units=(8, 8), activation=activation)
        config = replace(chapter.MOONS_TRAINING, epochs=epochs)
        key = ("inside nonlinear", spec, config)

        def make(spec=spec, config=config):
            result = training.train_split(spec, config, split)
            return result, training.decision_grid(result, grid)

        with st.spinner(f"Training the {activation} network…"):
            result, probabilities = results.compute(key, make)
        record_run("inside", key, {"dataset": "moons", "experiment": "why non-linear"}, result)
        curvature[activation] = theory.log_odds_curvature(grid.points, probabilities)
        fields[f"{activation}_curvature"] = float(curvature[activation])
        fields[f"{activation}_accuracy"] = result.metrics["val_accuracy"]
        title = [
            f"2 hidden layers of 8, {activation}",
            f"train {result.metrics['train_accuracy']:.0%}, "
            f"validation {result.metrics['val_accuracy']:.0%}",
        ]
        show_chart(
            chart_spec(
                charts.decision_boundary, grid, probabilities, points, labels, size=340, title=title
            ),
            column,
            width="content",  # square: drawn at its declared size
        )
    st.markdown(
        "The same two hidden layers, data and training on each side. With **linear** "
        "activations the layers multiply out to one matrix, so the network is a single linear "
        "function of x and its boundary a straight line, however many layers it has: its "
        f"log-odds differ from a plane by at most {curvature['linear']:.4f} anywhere on the "
        f"plot. **tanh** bends each layer's output: its log-odds differ from a plane by up to "
        f"{curvature['tanh']:.1f}, and the boundary can curve around the moons."
    )
    return fields


FORWARD_INPUT = np.array([[-0.8, 0.6], [0.4, 1.0], [1.5, -0.3], [0.2, -0.5]])  # 4 samples
FORWARD_BIAS = np.array([0.1, -0.2, 0.0])
FORWARD_OUTPUT = (np.array([[1.2], [-0.8], [0.5]]), np.array([-0.1]))
FORWARD_KERNEL = ((0.5, -1.0, 0.8), (1.2, 0.3, -0.7))  # W1's defaults, one slider each


def matrix(array: np.ndarray) -> str:
    rows = np.atleast_2d(array)
    body = r" \\ ".join(" & ".join(f"{value:.3f}" for value in row) for row in rows)
    return rf"\begin{{bmatrix}} {body} \end{{bmatrix}}"


def forward_section(params):
    st.caption("A 2-3-1 network on a batch of 4 samples. Move a weight of W₁:")
    kernel = np.zeros((2, 3))
    with params.inside(st.container()):
        activation = params.selectbox(
            "hidden", "Hidden activation", ("tanh", "sigmoid", "relu"), "tanh"
        )
        for row, column_values in enumerate(FORWARD_KERNEL):
            columns = st.columns(3)
            for column, default in enumerate(column_values):
                with params.inside(columns[column]):
                    kernel[row, column] = params.slider(
                        f"w{row + 1}{column + 1}",
                        f"W₁[{row + 1},{column + 1}]",
                        -2.0,
                        2.0,
                        default,
                        0.1,
                    )
    layers = [(kernel, FORWARD_BIAS), FORWARD_OUTPUT]
    products = theory.forward_products(layers, FORWARD_INPUT, [activation, "sigmoid"])
    for product in products:
        batch, units = product.pre_activation.shape
        st.markdown(f"**{product.name}:** Z = X W + b, then A = {product.activation}(Z)")
        st.latex(
            rf"\underbrace{{{matrix(product.inputs)}}}_{{X\,[{batch}\times{product.inputs.shape[1]}]}}"
            rf"\underbrace{{{matrix(product.kernel)}}}_{{W\,[{product.kernel.shape[0]}\times{units}]}}"
            rf"+ \underbrace{{{matrix(product.bias)}}}_{{b\,[{units}]}}"
            rf"= \underbrace{{{matrix(product.pre_activation)}}}_{{Z\,[{batch}\times{units}]}}"
        )
        st.latex(
            rf"A = \mathrm{{{product.activation}}}(Z) = "
            rf"\underbrace{{{matrix(product.output)}}}_{{A\,[{batch}\times{units}]}}"
        )
    difference = np.abs(
        products[-1].output - theory.keras_output(layers, FORWARD_INPUT, activation)
    ).max()
    st.success(
        f"The same network built as a Keras Sequential model and called on X gives these four "
        f"outputs too: the largest difference is {difference:.1e}. One matrix product per layer "
        "computes every sample at once, which is why networks train on batches."
    )


def approximation_section(params):
    with params.inside(st.container()):
        left, middle, right = st.columns(3)
        with params.inside(left):
            target = params.selectbox("target", "Target", (*theory.TARGETS, YOUR_POINTS), "sine")
        with params.inside(middle):
            units = params.slider("units", "Hidden units", 1, 100, 5)
        with params.inside(right):
            epochs = params.select_slider("fit_epochs", "Epochs", (500, 1000, 2000, 5000), 2000)
    x = np.linspace(-3, 3, 200)
    points = None
    if target == YOUR_POINTS:
        st.caption(
            "Draw a curve on the pad (x from -3 to 3): the network fits the points you draw."
        )
        drawn = curve_pad("inside_curve_pad")
        if not drawn or len(drawn) < 5:
            st.info("Draw a curve from left to right on the pad above.", icon=":material/draw:")
            return
        points = pd.DataFrame(drawn, columns=["x", "y"]).sort_values("x")
        train_x, train_y, curve = points["x"].to_numpy(float), points["y"].to_numpy(float), None
    else:
        train_x, curve = x, theory.target_curve(target, x)
        train_y = curve
    key = ("approximation", target, units, epochs, tuple(train_x), tuple(train_y))
    with st.spinner("Training…"):
        fit = results.compute(key, lambda: theory.approximate(train_x, train_y, units, epochs))
    contributions = fit.contributions(x)
    show_chart(
        chart_spec(
            theory_charts.approximation_chart, x, curve, fit.predict(x), contributions, points
        ),
        width="stretch",
    )
    gap = np.abs(contributions.sum(axis=0) + fit.output_bias - fit.predict(x)).max()
    st.markdown(
        f"Mean squared error after {epochs:,} epochs: **{fit.losses[-1]:.4f}**. Each orange "
        f"curve is one hidden unit's output times its outgoing weight, v·tanh(w x + b); the blue "
        f"fit is their sum plus the output bias c = {fit.output_bias:.3f} (largest difference "
        f"{gap:.1e}). More units, more bumps: with enough of them one hidden layer can follow any "
        "continuous curve."
    )
    return {"fit_error": float(fit.losses[-1])}


SECTIONS = {  # name -> (label, shown and written in the URL; the function that draws it)
    "neuron": ("One neuron", neuron_section),
    "activations": ("Activation functions", activations_section),
    "nonlinear": ("Why non-linear", nonlinear_section),
    "forward": ("Forward pass", forward_section),
    "approximation": ("Universal approximation", approximation_section),
}
player = Player("inside_a_network")
fields = sectioned(PageParams("inside"), SECTIONS, "neuron")
player.report(lambda: fields)
