"""Rosenblatt's perceptron, one update at a time, and where it fails (XOR)."""

import streamlit as st

from ui.layout import load_engine, setup_page

# The title and purpose are drawn before TensorFlow and the engine are imported (below):
# the first visit after a restart shows them at once instead of a blank page for seconds.
setup_page(
    "Rosenblatt's perceptron",
    ":material/linear_scale:",
    "One neuron with a step output, trained by the rule "
    "$\\theta \\leftarrow \\theta + \\eta\\,(y - y')\\,x$ one sample at a time. Step through the "
    "updates on **AND**, then switch to **XOR** and watch it never settle: that is Minsky's "
    "critique, and the reason for hidden layers.",
)
load_engine()

import altair as alt

from nn_core import chapter, charts, data, training
from nn_core.perceptron import PerceptronConfig, line_through, step_output, train_perceptron
from ui import results
from ui.layout import chart_spec, show_chart, show_error
from ui.lesson import Player
from ui.params import PageParams
from ui.runs import record as record_run

DATASETS = {
    "and": "AND gate",
    "or": "OR gate",
    "blobs": "Two blobs",
    "xor": "XOR gate",
    "moons": "Moons",
}
STEP_KEY = "perceptron_step"


def data_controls(params):
    params.header("Data")
    name = params.selectbox("dataset", "Dataset", list(DATASETS), "and", format_func=DATASETS.get)
    samples = params.slider("samples", "Samples", 2, 500, 100)
    noise = params.slider("noise", "Noise", 0.0, 0.6, 0.2, 0.05)
    seed = params.number("data_seed", "Data seed", 0, 9999, 0)
    return name, samples, noise, int(seed)


def model_controls(params):
    params.header("Perceptron")
    learning_rate = params.select_slider(
        "learning_rate", "Learning rate η", (0.0, 0.001, 0.01, 0.1, 0.5, 1.0), 0.1
    )
    max_epochs = params.slider("max_epochs", "Max epochs", 1, 1000, 50)
    order = params.radio("order", "Sample order", ("fixed", "shuffled"), "fixed", horizontal=True)
    start = params.radio(
        "init", "Initial weights", ("small random", "zero"), "small random", horizontal=True
    )
    seed = params.number("seed", "Weights seed", 0, 9999, 0)
    return dict(
        learning_rate=learning_rate,
        max_epochs=max_epochs,
        shuffle=order == "shuffled",
        zero_init=start == "zero",
        seed=int(seed),
    )


# A resource cache hands out the same read-only object: no copy of a 200,000-step history
# on every step click, as st.cache_data would make.
@st.cache_resource(max_entries=32, show_spinner=False)
def perceptron_run(dataset, samples, noise, data_seed, settings):
    """The whole history for one setting, computed once; stepping only indexes into it."""
    points, labels = data.make_toy_dataset(dataset, samples, noise, data_seed)
    return points, labels, train_perceptron(points, labels, PerceptronConfig(**settings))


def network_boundary(dataset_settings, spec, config, label):
    """A network trained by gradient descent on the perceptron's points (kept in the server's
    result store and recorded as one of the session's runs), and its boundary."""
    points, labels = data.make_toy_dataset(*dataset_settings)
    key = ("perceptron", dataset_settings, spec, config)

    def make():
        result = training.train(spec, config, points, labels)
        grid = training.plane_grid(points, resolution=120)
        return result, grid, training.decision_grid(result, grid)

    result, grid, probabilities = results.compute(key, make)
    name, samples, noise, data_seed = dataset_settings
    data_settings = {"dataset": name, "samples": samples, "noise": noise, "data_seed": data_seed}
    record_run("perceptron", key, {**data_settings, "model": label}, result)
    return points, labels, result, grid, probabilities


def move_step(to):
    """Button callback: set the scrubber's value before the page reruns."""
    st.session_state[STEP_KEY] = to


def step_controls(history):
    """Buttons to step a sample, an epoch or to the end, and a slider to scrub the history."""
    last = history.steps
    st.session_state[STEP_KEY] = min(st.session_state.get(STEP_KEY, 0), last)
    current = st.session_state[STEP_KEY]
    next_epoch_end = last
    if current < last:
        epoch_now = history.epoch[current]
        later = (history.epoch > epoch_now).nonzero()[0]
        next_epoch_end = int(later[0]) if len(later) else last
    buttons = (  # key suffix, label, icon, the step it moves to
        ("restart", "Restart", "first_page", 0),
        ("back", "Back one", "chevron_left", max(0, current - 1)),
        ("step_one", "One sample", "chevron_right", min(current + 1, last)),
        ("step_epoch", "One epoch", "fast_forward", next_epoch_end),
        ("run", "Run to end", "last_page", last),
    )
    # One row at every width: on a phone the labels give way to the icons (ui/assets/base.css),
    # so a step never needs a scroll back up to the chart.
    bar = st.container(horizontal=True, key="compact-steps")
    for name, label, icon, target in buttons:
        bar.button(
            label,
            key=f"perceptron_{name}",
            on_click=move_step,
            kwargs={"to": target},
            icon=f":material/{icon}:",
            width="stretch",
            type="primary" if name == "run" else "secondary",
        )
    if last > 0:
        st.slider("Scrub through the updates (step)", 0, last, key=STEP_KEY)
    return st.session_state[STEP_KEY]


@st.fragment
def stepper(points, labels, history):
    """Step buttons, the scrubber and what they show. A fragment: a step click reruns only
    this part, not the XOR and single-neuron tabs, so stepping redraws at once."""
    step = step_controls(history)
    chart_column, info_column = st.columns([3, 2])
    show_chart(perceptron_chart(points, labels, history, step), chart_column, width="content")
    info_column.markdown(rule_text(history, points, step))


def rule_text(history, points, step):
    """The update rule with this step's numbers plugged in."""
    if step == 0:
        bias, w1, w2 = history.weights[0]
        return (
            f"Initial weights: bias = {bias:.3f}, w1 = {w1:.3f}, w2 = {w2:.3f}. "
            "Press **One sample** to apply the rule to the first sample."
        )
    index = step - 1
    sample = history.sample_index[index]
    x1, x2 = points[sample]
    target, output = history.target[index], history.output[index]
    before, after = history.weights[index], history.weights[step]
    verdict = "misclassified, so the weights move" if target != output else "correct, no change"
    return (
        f"Step {step} (epoch {history.epoch[index]}): sample #{sample} at ({x1:.2f}, {x2:.2f}), "
        f"target y = {target}, output y' = {output}: **{verdict}**.\n\n"
        f"$\\theta \\leftarrow \\theta + \\eta\\,(y-y')\\,x = "
        f"({before[0]:.3f}, {before[1]:.3f}, {before[2]:.3f}) + {history.learning_rate:g}"
        f"\\times({target}-{output})\\times(1, {x1:.2f}, {x2:.2f}) = "
        f"({after[0]:.3f}, {after[1]:.3f}, {after[2]:.3f})$"
    )


def perceptron_chart(points, labels, history, step):
    domain = data.plane_bounds(points)
    layers = [charts.points_layer(points, labels, domain=domain)]
    line = line_through(history.weights[step], domain[0])
    if line is not None:
        layers.append(charts.line_layer(line, domain))
    if step > 0:
        layers.append(charts.highlight_layer(points[history.sample_index[step - 1]], domain))
    return alt.layer(*layers).properties(
        width=440, height=440, **charts.titled("Data and the current decision line")
    )


def verdict(history):
    if history.converged:
        st.success(
            f"Converged after {history.epochs_run} epoch(s): every sample is on the right "
            "side of the line.",
            icon=":material/check_circle:",
        )
    else:
        st.warning(
            f"Did not converge in {history.epochs_run} epochs: the classes are not "
            "linearly separable, so some sample is always on the wrong side of any line "
            "and the rule keeps moving it.",
            icon=":material/warning:",
        )


def network_section(dataset_settings, spec, config, title):
    with st.spinner("Training a small network…"):
        points, labels, result, grid, probabilities = network_boundary(
            dataset_settings, spec, config, title
        )
    left, right = st.columns([3, 2])
    show_chart(
        chart_spec(
            charts.decision_boundary, grid, probabilities, points, labels, size=380, title=title
        ),
        left,
        width="content",
    )
    right.metric("Training accuracy", f"{result.metrics['train_accuracy']:.0%}")
    show_chart(
        chart_spec(charts.learning_curves, result.history, "loss", height=250),
        right,
        width="stretch",
    )


def lesson_fields(points, labels, history) -> dict:
    """The numbers a lesson's reveal and claims use (nn_core.lessons.FIELDS)."""
    correct = step_output(history.weights[-1], points) == labels
    return {
        "converged": float(history.converged),
        "epochs_done": history.epochs_run,
        "errors_last_epoch": int(history.errors_per_epoch[-1]),
        "train_accuracy": float(correct.mean()),
    }


player = Player("perceptron")
params = PageParams("perceptron")
dataset_settings = data_controls(params)
settings = model_controls(params)
params.link_help()
params.sync(every_control_drawn=True)
if settings["learning_rate"] == 0:
    st.warning(
        "With a learning rate of 0 the rule never changes the weights: choose η > 0.",
        icon=":material/warning:",
    )
    st.stop()
try:
    points, labels, history = perceptron_run(*dataset_settings, settings)
except ValueError as error:
    show_error(error)
player.report(lambda: lesson_fields(points, labels, history))

rule_tab, xor_tab, neuron_tab = st.tabs(
    ["The perceptron rule", "XOR and the fix: a hidden layer", "One sigmoid neuron"]
)
with rule_tab:
    verdict(history)
    stepper(points, labels, history)
    # Outside the fragment: it does not change with the step, so stepping does not redraw it.
    show_chart(chart_spec(charts.errors_per_epoch, history.errors_per_epoch), width="stretch")

with xor_tab:
    st.markdown(
        "A perceptron draws **one straight line**. XOR puts (0,0) and (1,1) in one class and "
        "(0,1), (1,0) in the other: no line separates them, so the rule can never stop "
        "(Minsky and Papert, 1969). A hidden layer bends the plane first: two tanh units "
        "carve two lines, and the output neuron combines them. Backpropagation trains it."
    )
    if st.toggle(
        "Train a one-hidden-layer MLP (4 tanh units) on this data",
        key=f"perceptron_show_mlp_{dataset_settings[0]}",
        value=dataset_settings[0] == "xor",
    ):
        network_section(
            dataset_settings,
            chapter.XOR_NETWORK,
            chapter.XOR_TRAINING,
            "MLP with one hidden layer of 4 units",
        )

with neuron_tab:
    st.markdown(
        "Replace the step by a sigmoid and the rule by gradient descent on the cross-entropy "
        "loss $\\mathcal{L} = -\\frac{1}{m}\\sum y\\log y' + (1-y)\\log(1-y')$: that is logistic "
        "regression, the chapter's *single neuron classifier*. It still draws one line, but it "
        "settles on the best line even when none is perfect, and says how sure it is."
    )
    if st.toggle("Fit one sigmoid neuron to this data", key="perceptron_show_neuron"):
        network_section(
            dataset_settings,
            chapter.LOGISTIC_NEURON,
            chapter.LOGISTIC_TRAINING,
            "One sigmoid neuron (logistic regression)",
        )
