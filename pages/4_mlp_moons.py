"""Under- and overfitting on 2-D data: the chapter's moons experiment, one slider at a time."""

import streamlit as st

from ui.layout import load_engine, setup_page

# The title and purpose are drawn before TensorFlow and the engine are imported (below):
# the first visit after a restart shows them at once instead of a blank page for seconds.
setup_page(
    "MLP on moons: under- and overfitting",
    ":material/bubble_chart:",
    "The chapter's network: one hidden layer of tanh units, SGD with learning rate 1.0, 5,000 "
    "full-batch epochs on 200 noisy moons. Move **Units** to 1 (underfitting: a straight "
    "boundary), then to 50 (overfitting: it chases the noise). Then tame it with **L2** or "
    "**dropout** and watch the validation accuracy. At the chapter's size every change retrains "
    "in about a second; a setting that would take longer says how long and waits for a click.",
)
load_engine()

from dataclasses import replace

import numpy as np

from nn_core import chapter, charts, cost, data, diagnostics, training
from ui import results
from ui.controls import architecture_controls, optimizer_controls, regularization_controls
from ui.cost import confirm_long, estimate
from ui.layout import metric_columns, show_chart, show_error
from ui.params import PageParams
from ui.runs import compare_panel
from ui.runs import record as record_run

DATASETS = {"moons": "Moons", "circles": "Circles", "xor": "XOR", "spiral": "Spiral"}
UNIT_CHOICES = chapter.MOONS_UNIT_CHOICES
EPOCH_CHOICES = (100, 200, 500, 1000, 2000, 5000, 10000)
BATCH_CHOICES = ("full batch", 8, 16, 32, 64, 128)
MAX_LAYERS, MAX_SAMPLES = 4, 2000
SWEEPS = {  # parameter -> (label, choices, default values: the chapter's figure for units)
    "hidden_units": ("Hidden units (one layer)", UNIT_CHOICES, list(chapter.MOONS_SWEEP_UNITS)),
    "l2_rate": ("L2 rate", (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1), [0.0, 0.001, 0.01, 0.1]),
    "l1_rate": ("L1 rate", (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03), [0.0, 0.001, 0.01]),
    "dropout_rate": ("Dropout rate", (0.0, 0.1, 0.25, 0.4, 0.5, 0.6), [0.0, 0.25, 0.5]),
    "learning_rate": ("Learning rate", (0.01, 0.03, 0.1, 0.3, 1.0, 3.0), [0.01, 0.1, 1.0]),
}
# What the verdict's advice may suggest: nothing beyond these controls' ranges.
LIMITS = diagnostics.Limits(
    max_units=max(UNIT_CHOICES),
    max_layers=MAX_LAYERS,
    max_epochs=max(EPOCH_CHOICES),
    max_samples=MAX_SAMPLES,
)
VERDICT_BOXES = {"good fit": st.success, "no validation": st.info}  # problems: st.warning


def network_widgets(spec, config) -> dict:
    """The sidebar's widget values that show this network and training setting."""
    values = {
        "moons_layers": len(spec.hidden_units),
        "moons_activation": spec.activation,
        "moons_optimizer": config.optimizer,
        "moons_learning_rate": config.learning_rate,
        "moons_epochs": config.epochs,
        "moons_batch": config.batch_size or "full batch",
        "moons_l1": spec.l1_rate,
        "moons_l2": spec.l2_rate,
        "moons_dropout": spec.dropout_rate,
    }
    values.update({f"moons_units_{index}": units for index, units in enumerate(spec.hidden_units)})
    return values


def apply_example(name):
    """Show one of the chapter's experiments: its network with the chapter's training."""
    example = chapter.MOONS_EXAMPLES[name]
    st.session_state.update(network_widgets(example.network, chapter.MOONS_TRAINING))


def example_buttons():
    st.caption("The chapter's experiments, one click each:")
    examples = chapter.MOONS_EXAMPLES
    for column, (name, example) in zip(st.columns(len(examples)), examples.items(), strict=True):
        column.button(
            example.label,
            key=f"moons_example_{name}",
            on_click=apply_example,
            args=(name,),
            width="stretch",
        )


def data_controls(params):
    params.header("Data")
    default = chapter.MOONS_DATA
    name = params.selectbox(
        "dataset", "Dataset", list(DATASETS), default.name, format_func=DATASETS.get
    )
    samples = params.slider("samples", "Samples", 50, MAX_SAMPLES, default.samples, 50)
    noise = params.slider("noise", "Noise", 0.0, 0.6, default.noise, 0.05)
    validation_share = params.slider(
        "validation",
        "Held out for validation",
        0.0,
        0.5,
        default.validation_share,
        0.05,
        format="%.2f",
    )
    seed = params.number("data_seed", "Data seed", 0, 9999, default.seed)
    if not params.presenting:
        st.sidebar.button(
            "New random sample",
            key="moons_regenerate",
            on_click=_regenerate,
            icon=":material/casino:",
        )
    return dict(name=name, samples=samples, noise=noise, seed=int(seed)), validation_share


def _regenerate():
    st.session_state["moons_data_seed"] = int(st.session_state.get("moons_data_seed", 0)) + 1


def model_controls(params):
    network, default = chapter.MOONS_NETWORK, chapter.MOONS_TRAINING
    params.header("Network")
    architecture = architecture_controls(
        params, (1, MAX_LAYERS, len(network.hidden_units)), UNIT_CHOICES, network
    )
    params.header("Training")
    optimizer = optimizer_controls(params, default)
    epochs = params.select_slider("epochs", "Epochs", EPOCH_CHOICES, default.epochs)
    batch = params.select_slider("batch", "Batch size", BATCH_CHOICES, "full batch")
    seed = params.number("seed", "Weights seed", 0, 9999, default.seed)
    params.header("Regularization")
    regularization = regularization_controls(params)
    spec = replace(network, **architecture, **regularization)
    batch_size = None if batch == "full batch" else batch
    config = replace(default, **optimizer, epochs=epochs, batch_size=batch_size, seed=int(seed))
    return spec, config


@st.cache_data(max_entries=64, show_spinner=False)
def split_dataset(dataset, validation_share):
    points, labels = data.make_toy_dataset(**dataset)
    return data.split_train_validation(points, labels, validation_share, seed=dataset["seed"])


def run_key(dataset, validation_share, spec, config):
    return ("moons", tuple(dataset.items()), validation_share, spec, config)


def estimate_for(dataset, validation_share, spec, config) -> float:
    split = split_dataset(dataset, validation_share)
    return estimate(spec, config, len(split.y_train), len(split.y_validation))


def train_run(dataset, validation_share, spec, config, progress_label="Training"):
    """The cached result for these settings, training (with a progress bar) on a miss; every
    run is recorded for the session's comparisons."""
    split = split_dataset(dataset, validation_share)
    key = run_key(dataset, validation_share, spec, config)
    seconds = estimate_for(dataset, validation_share, spec, config)
    result = results.compute(
        key,
        results.with_progress(
            progress_label,
            lambda progress: training.train_split(spec, config, split, progress, seconds),
            show_curves=False,
        ),
    )
    data_settings = {
        "dataset": dataset["name"],
        "samples": dataset["samples"],
        "noise": dataset["noise"],
        "data_seed": dataset["seed"],
        "validation_share": validation_share,
    }
    record_run("moons", key, data_settings, result)
    return result


def all_points(dataset, validation_share):
    """(points, labels, roles) of training and validation samples together."""
    split = split_dataset(dataset, validation_share)
    roles = ["training"] * len(split.y_train) + ["validation"] * len(split.y_validation)
    return (
        np.concatenate([split.x_train, split.x_validation]),
        np.concatenate([split.y_train, split.y_validation]),
        roles,
    )


def boundary_chart(result, dataset, validation_share, discrete, size=420, title=""):
    points, labels, roles = all_points(dataset, validation_share)

    def compute():
        grid = training.plane_grid(points, resolution=200)
        return grid, training.decision_grid(result, grid)

    key = run_key(dataset, validation_share, result.spec, result.config)
    grid, probabilities = results.derived("grid", key, result, compute)
    return results.chart(
        f"boundary {discrete} {size} {title}",
        key,
        result,
        lambda: charts.decision_boundary(
            grid, probabilities, points, labels, roles, discrete, size, title
        ),
    )


@st.cache_data(max_entries=64, show_spinner=False)
def true_pattern(dataset, validation_share):
    """How the best possible classifier does on these very samples (see nn_core.diagnostics)."""
    split = split_dataset(dataset, validation_share)
    return diagnostics.pattern_scores(dataset["name"], dataset["noise"], split)


def verdict_box(result, dataset, validation_share):
    pattern = true_pattern(dataset, validation_share)
    verdict = diagnostics.fit_verdict(result, pattern, dataset["samples"], LIMITS)
    VERDICT_BOXES.get(verdict.kind, st.warning)(verdict.message)


def metrics_row(result, estimated_seconds):
    metrics = result.metrics
    columns = metric_columns(5)
    columns[0].metric("Training accuracy", f"{metrics['train_accuracy']:.1%}")
    has_validation = not np.isnan(metrics["val_accuracy"])
    columns[1].metric(
        "Validation accuracy", f"{metrics['val_accuracy']:.1%}" if has_validation else "n/a"
    )
    gap = metrics["train_accuracy"] - metrics["val_accuracy"]
    columns[2].metric("Gap (train − validation)", f"{gap:+.1%}" if has_validation else "n/a")
    columns[3].metric("Parameters", f"{result.parameter_count:,}")
    columns[4].metric(
        "Training time",
        f"{result.seconds:.2f} s",
        help=f"Estimated before training: {cost.describe(estimated_seconds)}.",
    )


def weights_view(result, key):
    values = np.concatenate([kernel.ravel() for kernel in result.hidden_kernels])
    share = diagnostics.near_zero_share(values)
    left, right = st.columns([3, 2])
    histogram = results.chart("weights", key, result, lambda: charts.weight_histogram(values))
    show_chart(histogram, left, width="stretch")
    right.metric("Hidden weights within ±0.01 of zero", f"{share:.0%}")
    right.metric("Mean |weight|", f"{np.abs(values).mean():.3f}")
    right.caption(
        "L1 pushes weights to exactly zero (a spike at 0); L2 shrinks all of them "
        "(a narrower bell). Compare the histogram with the rates at 0."
    )


def hidden_units_view(result, dataset, validation_share):
    grid = training.plane_grid(all_points(dataset, validation_share)[0], 48)
    activations = training.predict(result, grid.points, hidden_layer=1)
    shown = min(16, activations.shape[1])
    st.caption(
        f"What each of the first {shown} units of hidden layer 1 computes over the plane "
        "(blue high, orange low): the boundary is built from these pieces."
    )
    columns = st.columns(8)
    for unit in range(shown):
        image = charts.unit_image(activations[:, unit].reshape(48, 48), result.spec.activation)
        columns[unit % 8].image(image, caption=f"unit {unit + 1}", width=84)


def sweep_view(dataset, validation_share, spec, config, discrete):
    left, right = st.columns([1, 2])
    parameter = left.selectbox(
        "Vary", list(SWEEPS), format_func=lambda name: SWEEPS[name][0], key="moons_sweep_parameter"
    )
    label, choices, defaults = SWEEPS[parameter]
    values = right.multiselect("Values", choices, defaults, key=f"moons_sweep_values_{parameter}")
    if not st.button(
        "Run sweep", key="moons_sweep_run", type="primary", icon=":material/grid_view:"
    ):
        st.caption(
            "Trains one network per value with every other setting as in the sidebar; "
            "the default is the chapter's figure (1, 3, 5, 20 and 50 hidden units)."
        )
        return
    if not values:
        st.info("Choose at least one value to sweep.")
        return
    bar = st.progress(0.0, text="Sweep…")
    columns = st.columns(3)
    for index, value in enumerate(sorted(values)):
        run_spec, run_config = training.with_setting(spec, config, parameter, value)
        bar.progress(index / len(values), text=f"Training {label.lower()} = {value}…")
        result = train_run(dataset, validation_share, run_spec, run_config, f"{label} = {value}")
        title = [f"{label} = {value}", accuracy_line(result)]
        show_chart(
            boundary_chart(result, dataset, validation_share, discrete, 260, title),
            columns[index % 3],
            width="content",
        )
    bar.empty()


def seeds_view(dataset, validation_share, spec, config):
    st.caption(
        "Train the same setting with several weight seeds (the data stays the same): the "
        "band shows what is noise, the mean what is effect."
    )
    count = st.slider("Seeds", 2, 10, 5, key="moons_seed_count")
    if not st.button("Run with these seeds", key="moons_seeds_run", icon=":material/stacks:"):
        return
    bar = st.progress(0.0, text="Training…")
    runs = []
    for seed in range(count):
        bar.progress(seed / count, text=f"Seed {seed + 1} of {count}…")
        seeded = replace(config, seed=seed)
        runs.append(train_run(dataset, validation_share, spec, seeded, f"Seed {seed}"))
    bar.empty()
    measured = "val_accuracy" if validation_share > 0 else "train_accuracy"
    accuracies = [run.metrics[measured] for run in runs]
    st.metric(
        f"{'Validation' if validation_share > 0 else 'Training'} accuracy over seeds",
        f"{np.mean(accuracies):.1%} ± {np.std(accuracies):.1%}",
    )
    left, right = st.columns(2)
    histories = [run.history for run in runs]
    show_chart(charts.seed_band(histories, "loss"), left, width="stretch")
    show_chart(charts.seed_band(histories, "accuracy"), right, width="stretch")


def accuracy_line(result) -> str:
    """'train 84%, validation 80%' (or only the training accuracy without validation data)."""
    line = f"train {result.metrics['train_accuracy']:.0%}"
    if not np.isnan(result.metrics["val_accuracy"]):
        line += f", validation {result.metrics['val_accuracy']:.0%}"
    return line


params = PageParams("moons")
# A projected link with `show=` keeps only the controls under discussion (and the
# chapter's examples if it names them); without `show=` it keeps the examples.
if not params.presenting or not params.shown or "examples" in params.shown:
    example_buttons()
dataset, validation_share = data_controls(params)
try:
    spec, config = model_controls(params)
    params.link_help()
    params.sync()
    split_dataset(dataset, validation_share)
    seconds = estimate_for(dataset, validation_share, spec, config)
    stored = results.lookup(run_key(dataset, validation_share, spec, config))
    if stored is None and not confirm_long(seconds, spec, config, "moons_confirm_long"):
        st.stop()
    result = train_run(dataset, validation_share, spec, config)
except ValueError as error:
    show_error(error)

key = run_key(dataset, validation_share, spec, config)
metrics_row(result, seconds)
if results.stopped_notice(result, key):
    st.rerun()  # trains in full: the page trains whatever is not stored
if not params.presenting and result.stopped in (None, "stopped"):
    verdict_box(result, dataset, validation_share)
chart_column, curve_column = st.columns([1, 1])
with chart_column:
    boundary = st.container()
    discrete = st.toggle(
        "Show only the predicted class (no probability shading)", key="moons_discrete"
    )
    show_chart(
        boundary_chart(result, dataset, validation_share, discrete, title="Decision boundary"),
        boundary,
        width="content",  # square: drawn at its declared size
    )
    st.caption(
        "Circles: class 0 (orange); squares: class 1 (blue). Filled: training samples; "
        "hollow: validation samples. Shading: the network's probability of class 1 (blue)."
    )
with curve_column:
    if params.presenting and result.stopped in (None, "stopped"):  # beside the boundary: the
        verdict_box(result, dataset, validation_share)  # whole plot fits a projector's screen
    results.show_learning_curves(key, result)

compare_panel("moons")
# Lazy tabs: only the open tab's content runs and is sent to the browser.
tabs = st.tabs(
    ["Weights", "Hidden units", "Sweep", "Repeat with seeds"], key="moons_tab", on_change="rerun"
)
views = (
    lambda: weights_view(result, key),
    lambda: hidden_units_view(result, dataset, validation_share),
    lambda: sweep_view(dataset, validation_share, spec, config, discrete),
    lambda: seeds_view(dataset, validation_share, spec, config),
)
for tab, view in zip(tabs, views, strict=True):
    if tab.open:
        with tab:
            view()
