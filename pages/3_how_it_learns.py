"""How a network learns, as the chapter tells it: gradient descent on a loss surface,
backpropagation one chain-rule product at a time, weight initialisation, and batch size."""

import streamlit as st

from ui.layout import load_engine, setup_page

# The title and purpose are drawn before TensorFlow and the engine are imported (below):
# the first visit after a restart shows them at once instead of a blank page for seconds.
setup_page(
    "How it learns",
    ":material/trending_down:",
    "Training is walking downhill on the loss. Pick a **learning rate** and watch gradient "
    "descent crawl, converge, zig-zag or blow up; then follow **backpropagation** through a "
    "tiny network one product at a time, and see why weights must start **random and small** "
    "and what the **batch size** changes.",
)
load_engine()

from dataclasses import replace

import numpy as np
import pandas as pd

from nn_core import chapter, charts, theory, theory_charts, training
from nn_core.networks import INITIALIZERS
from ui import results
from ui.datasets import chapter_moons
from ui.layout import chart_spec, sectioned, show_chart
from ui.lesson import Player
from ui.params import PageParams
from ui.runs import record as record_run

LEARNING_RATES = (0.01, 0.05, 0.1, 0.3, 0.5, 0.8, 0.9, 1.0)
# The classic hand-worked example's weights (two inputs, two sigmoid hidden units, one output).
TINY = theory.TinyNetwork(
    np.array([[0.15, 0.25], [0.20, 0.30]]), np.array([0.35, 0.35]), np.array([0.40, 0.45]), 0.60
)
SAMPLE, TARGET = np.array([0.05, 0.10]), 1.0
INIT_UNITS = 8  # a small hidden layer, so every unit's picture fits on screen
BATCHES = {"full batch": None, "mini-batches of 16": 16, "one sample at a time": 1}


def descent_section(params):
    controls, chart = st.columns([2, 3])
    with params.inside(controls):
        learning_rate = params.select_slider(
            "learning_rate", "Learning rate η", LEARNING_RATES, 0.1
        )
        momentum = params.select_slider("momentum", "Momentum", (0.0, 0.5, 0.9), 0.0)
        steps = params.slider("steps", "Steps", 5, 100, 30)
        start_w = params.slider("start_w", "Start: weight w", -4.0, 4.0, -3.0, 0.1)
        start_b = params.slider("start_b", "Start: bias b", -4.0, 4.0, 3.0, 0.1)
    path = theory.descent_path((start_w, start_b), learning_rate, steps, momentum)
    show_chart(
        chart_spec(
            theory_charts.loss_surface_chart,
            theory.BOWL_AXIS,
            theory.BOWL_AXIS,
            theory.bowl(),
            path.points,
        ),
        chart,
        width="content",
    )
    kind, sentence = theory.describe_descent(path)
    (st.error if kind == "diverged" else st.info)(sentence)
    controls.latex(
        r"\theta \leftarrow \theta - \eta\,\nabla_\theta L"
        + (
            r" \quad(\text{with momentum: } v \leftarrow \mu v - \eta\nabla L,"
            r"\ \theta \leftarrow \theta + v)"
            if momentum
            else ""
        )
    )
    controls.caption(
        "A linear neuron y' = w x + b fitted to 8 points by mean squared error; its loss over "
        "(w, b) is the bowl on the right (darker is lower). Gradients by tf.GradientTape."
    )
    losses = pd.DataFrame(
        {"step": np.arange(len(path.points)), "loss": path.points[:, 2], "path": "loss"}
    )
    show_chart(
        chart_spec(
            theory_charts.named_curves, losses, "step", "loss", "path", "Loss per step", height=250
        ),
        width="stretch",
    )
    return {
        "start_loss": float(path.points[0, 2]),
        "final_loss": float(path.points[-1, 2]),
        "diverged": float(kind == "diverged"),
    }


def go_to_stage(stage: int) -> None:
    """Button callback: move the backpropagation stepper (its slider is bound to the URL)."""
    st.session_state["learns_stage"] = stage


def backprop_section(params):
    network_steps = TINY.backward(SAMPLE, TARGET)
    last = len(network_steps) + 2  # 0 nothing, 1 forward, then one per gradient, then update
    with params.inside(st.container()):
        learning_rate = params.select_slider("eta", "Learning rate η", (0.1, 0.5, 1.0), 0.5)
        stage = params.slider("stage", "Step through backpropagation", 0, last, 0)
    next_gradient = min(max(stage, 1) + 1, last - 1)
    buttons = (("Forward", 1), ("Backward one step", next_gradient), ("Update", last), ("Reset", 0))
    for column, (label, target) in zip(st.columns(len(buttons)), buttons, strict=True):
        column.button(
            label,
            key=f"learns_go_{label.split()[0].lower()}",
            width="stretch",
            on_click=go_to_stage,
            args=(target,),
        )
    revealed = network_steps[: max(stage - 1, 0)]
    gradients = {step.name: step for step in revealed}
    graph = theory_charts.backprop_graph(TINY, SAMPLE, TARGET, stage >= 1, gradients)
    st.markdown(graph, unsafe_allow_html=True)
    values = TINY.forward(SAMPLE, TARGET)
    new_loss = TINY.updated(SAMPLE, TARGET, learning_rate).forward(SAMPLE, TARGET)["loss"]
    if stage == 0:
        st.info("Press **Forward** to send the sample x = (0.05, 0.10) with target y = 1 through.")
    elif stage == 1:
        st.markdown(
            f"**Forward:** every node's value, left to right. The prediction is "
            f"y' = {values['prediction']:.4f}, the loss L = -log y' = {values['loss']:.4f}. "
            "Press **Backward one step**."
        )
    elif stage < last:
        step = revealed[-1]
        product = r" \times ".join(f"{factor:.4f}" for factor in step.factors)
        st.markdown(f"**Backward, step {stage - 1} of {len(network_steps)}:** the chain rule")
        st.latex(
            rf"\frac{{\partial L}}{{\partial {step.name}}} = {step.rule} = {product}"
            rf" = {step.value:.6f}"
        )
    else:
        st.success(
            "**Update:** every weight and bias moved by −η × its gradient "
            f"(η = {learning_rate:g}). "
            f"The loss on this sample went from {values['loss']:.4f} to {new_loss:.4f}."
        )
    if revealed:
        table = pd.DataFrame(
            [{"gradient": f"∂L/∂{step.label}", "value": step.value} for step in revealed]
        )
        st.dataframe(
            table,
            hide_index=True,
            column_config={"value": st.column_config.NumberColumn(format="%.6f")},
        )
    return {"loss_before": float(values["loss"]), "loss_after": float(new_loss)}


def train_moons(spec, config, label):
    """The chapter's moons split trained with this setting (stored and recorded as a run)."""
    key = ("learns", spec, config)
    result = results.compute(
        key,
        results.with_progress(
            label,
            lambda progress: training.train_split(spec, config, chapter_moons(), progress),
            show_curves=False,
        ),
    )
    if results.stopped_notice(result, key):
        st.rerun()
    record_run("learns", key, {"dataset": "moons", "experiment": label}, result)
    return result


def init_section(params):
    with params.inside(st.container()):
        left, right = st.columns(2)
        with params.inside(left):
            shown = params.selectbox(
                "init", "Hidden units of", list(INITIALIZERS), "zeros", format_func=INITIALIZERS.get
            )
        with params.inside(right):
            epochs = params.select_slider("init_epochs", "Epochs", (200, 500, 1000, 2000), 1000)
    spec = replace(chapter.MOONS_NETWORK, hidden_units=(INIT_UNITS,))
    # Every start runs all its epochs: a plateau at chance (all-zero weights) is the lesson.
    settings = replace(chapter.MOONS_TRAINING, epochs=epochs, stop_at_chance=False)
    trained = {
        name: train_moons(spec, replace(settings, initializer=name), f"Start: {name}")
        for name in INITIALIZERS
    }
    curves = pd.concat([result.history.assign(start=name) for name, result in trained.items()])
    show_chart(
        chart_spec(
            theory_charts.named_curves,
            curves,
            "epoch",
            "loss",
            "start",
            "Training loss by starting weights",
            log=True,
        ),
        width="stretch",
    )
    split = chapter_moons()
    reports = {  # measured once per trained network, not on every rerun
        name: results.compute(
            ("start report", result.spec, result.config),
            lambda result=result: theory.start_report(result, split.x_train),
        )
        for name, result in trained.items()
    }
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "start": name,
                    "hidden outputs saturated at the start": report.saturated_at_start,
                    "loss in the first epoch": report.first_loss,
                    "final training loss": report.final_loss,
                    "hidden weights moved (× their start)": report.weights_moved,
                    "largest difference between units": report.unit_spread,
                }
                for name, report in reports.items()
            ]
        ),
        hide_index=True,
        column_config={
            "hidden outputs saturated at the start": st.column_config.NumberColumn(
                format="percent"
            ),
            "loss in the first epoch": st.column_config.NumberColumn(format="%.3f"),
            "final training loss": st.column_config.NumberColumn(format="%.3f"),
            "hidden weights moved (× their start)": st.column_config.NumberColumn(format="%.2f"),
            "largest difference between units": st.column_config.NumberColumn(format="%.4f"),
        },
    )
    grid = training.plane_grid(np.concatenate([split.x_train, split.x_validation]), 48)
    activations = training.predict(trained[shown], grid.points, hidden_layer=1)
    columns = st.columns(INIT_UNITS)
    for unit in range(INIT_UNITS):
        image = charts.unit_image(activations[:, unit].reshape(48, 48), "tanh")
        columns[unit].image(image, caption=f"unit {unit + 1}", width="stretch")
    st.markdown(start_sentence(shown, reports[shown]))


def start_sentence(name: str, report) -> str:
    """What the chosen start did, in words, from its measured report."""
    if report.unit_spread == 0:
        return (
            f"**{INITIALIZERS[name].capitalize()}:** every hidden unit computes the same "
            "function and gets the same gradient, so the units stay identical (largest "
            f"difference {report.unit_spread:.4f}): the layer acts as one unit. The hidden "
            f"weights moved by {report.weights_moved:.2f}, and the loss is still "
            f"{report.final_loss:.3f}. Random starting weights break this symmetry."
        )
    return (
        f"**{INITIALIZERS[name].capitalize()}:** {report.saturated_at_start:.0%} of the hidden "
        f"outputs start saturated (|tanh| > 0.99, where its slope is below 0.02 and passes "
        f"almost no gradient back); the first epoch's loss is {report.first_loss:.3f} (a 50/50 "
        f"guess scores 0.693); the hidden weights moved {report.weights_moved:.2f} times their "
        f"starting size, and the final training loss is {report.final_loss:.3f}."
    )


def batch_section(params):
    with params.inside(st.container()):
        epochs = params.select_slider("batch_epochs", "Epochs", (10, 20, 50), 20)
        learning_rate = params.select_slider(
            "batch_rate", "Learning rate (SGD)", (0.01, 0.03, 0.1, 0.3), 0.1
        )
    rows, histories = [], []
    samples = len(chapter_moons().y_train)
    for label, batch_size in BATCHES.items():
        config = replace(
            chapter.MOONS_TRAINING,
            epochs=epochs,
            learning_rate=learning_rate,
            batch_size=batch_size,
        )
        result = train_moons(
            replace(chapter.MOONS_NETWORK, hidden_units=(INIT_UNITS,)), config, label
        )
        histories.append(result.history.assign(batches=label))
        steps = -(-samples // (batch_size or samples))
        rows.append(
            {
                "batches": label,
                "steps per epoch": steps,
                "seconds per epoch": result.seconds / epochs,
                "final training loss": result.metrics["train_loss"],
                "loss jumps (mean |change| per epoch)": float(
                    result.history["loss"].diff().abs().mean()
                ),
            }
        )
    show_chart(
        chart_spec(
            theory_charts.named_curves,
            pd.concat(histories),
            "epoch",
            "loss",
            "batches",
            "Training loss per epoch",
        ),
        width="stretch",
    )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "seconds per epoch": st.column_config.NumberColumn(format="%.4f"),
            "final training loss": st.column_config.NumberColumn(format="%.4f"),
            "loss jumps (mean |change| per epoch)": st.column_config.NumberColumn(format="%.4f"),
        },
    )
    table = pd.DataFrame(rows).set_index("batches")
    noisiest = table["loss jumps (mean |change| per epoch)"].idxmax()
    slowest = table["seconds per epoch"].idxmax()
    st.caption(
        f"The same {samples} training points and learning rate. Full batch takes one exact "
        f"gradient step per epoch, mini-batches of 16 take {table['steps per epoch'].iloc[1]} "
        f"noisier ones, one sample at a time {samples}. Here the loss moved most from epoch to "
        f"epoch with **{noisiest}**, and **{slowest}** took longest per epoch "
        f"({table['seconds per epoch'].max():.4f} s, including its first compile if it was "
        "trained just now)."
    )


SECTIONS = {  # name -> (label, shown and written in the URL; the function that draws it)
    "descent": ("Gradient descent", descent_section),
    "backprop": ("Backpropagation", backprop_section),
    "init": ("Weight initialisation", init_section),
    "batch": ("Batch size", batch_section),
}
player = Player("how_it_learns")
fields = sectioned(PageParams("learns"), SECTIONS, "descent")
player.report(lambda: fields)
