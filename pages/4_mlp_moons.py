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
    "in about a second; a setting that would take longer says how long and waits for a click. "
    "Everything TensorFlow Playground does is here too: input features, the network diagram, "
    "a replay of the training, more classes, regression and your own data.",
)
load_engine()

from dataclasses import replace

import altair as alt
import numpy as np

from nn_core import (
    chapter,
    charts,
    code,
    cost,
    data,
    diagnostics,
    diagram,
    features,
    lessons,
    search,
    training,
)
from nn_core import own_data as own_data_file
from ui import own_data, results, server_set
from ui.class_room import share_latest
from ui.controls import (
    architecture_controls,
    optimizer_controls,
    regularization_controls,
    search_choices,
    widget_values,
)
from ui.cost import confirm_long, estimate
from ui.layout import chart_spec, metric_columns, picked, show_chart, show_error, with_datasets
from ui.lesson import Player
from ui.params import PageParams
from ui.runs import compare_panel
from ui.runs import record as record_run
from ui.search_panel import search_view
from ui.warmup import compile_near, warm_up_in_background

DATASETS = {
    "moons": "Moons",
    "circles": "Circles",
    "xor": "XOR",
    "spiral": "Spiral",
    "blobs": "Gaussian blobs",
    "plane": "Plane (regression)",
    "gaussian": "Gaussian bumps (regression)",
    "own": "Your own data (draw or CSV)",
}
PATIENCE_CHOICES = (10, 25, 50, 100, 200, 500, 1000)
MAX_REPLAY_PARAMETERS = chapter.MOONS_MAX_REPLAY_PARAMETERS  # networks up to this size replay
PLAY_SECONDS = 0.2  # a replay frame every 0.2 s: up to 5 frames a second
UNIT_CHOICES = chapter.MOONS_UNIT_CHOICES
EPOCH_CHOICES = (100, 200, 500, 1000, 2000, 5000, 10000)
BATCH_CHOICES = ("full batch", *chapter.MOONS_BATCH_SIZES)
MAX_LAYERS, MAX_SAMPLES = chapter.MOONS_MAX_LAYERS, 2000
SWEEPS = {  # parameter -> (label, choices, default values: the chapter's figure for units)
    "hidden_units": ("Hidden units (one layer)", UNIT_CHOICES, list(chapter.MOONS_SWEEP_UNITS)),
    "l2_rate": ("L2 rate", (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1), [0.0, 0.001, 0.01, 0.1]),
    "l1_rate": ("L1 rate", (0.0, 0.0001, 0.001, 0.003, 0.01, 0.03), [0.0, 0.001, 0.01]),
    "dropout_rate": ("Dropout rate", (0.0, 0.1, 0.25, 0.4, 0.5, 0.6), [0.0, 0.25, 0.5]),
    "learning_rate": ("Learning rate", (0.01, 0.03, 0.1, 0.3, 1.0, 3.0), [0.01, 0.1, 1.0]),
}
# The search tab's parameters (nn_core.search's names), with the sweep's values.
SEARCHABLE = {
    "units": SWEEPS["hidden_units"],
    "l2": SWEEPS["l2_rate"],
    "dropout": SWEEPS["dropout_rate"],
    "learning_rate": SWEEPS["learning_rate"],
    **search_choices(
        (tuple(range(MAX_LAYERS + 1)), [1, 2]),
        (EPOCH_CHOICES, [500, 5000]),
        (BATCH_CHOICES, ["full batch", 32]),
    ),
    "l1": SWEEPS["l1_rate"],
}
# What the verdict's advice may suggest: nothing beyond these controls' ranges.
LIMITS = diagnostics.Limits(
    max_units=max(UNIT_CHOICES),
    max_layers=MAX_LAYERS,
    max_epochs=max(EPOCH_CHOICES),
    max_samples=MAX_SAMPLES,
)
VERDICT_BOXES = {"good fit": st.success, "no validation": st.info}  # problems: st.warning


def apply_example(name):
    """Show one of the chapter's experiments: its network with the chapter's training."""
    example = chapter.MOONS_EXAMPLES[name]
    st.session_state.update(widget_values("moons", example.network, chapter.MOONS_TRAINING))


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
    """The data settings: {name, samples, noise, seed, classes} of a generated set, or
    {name: "own", points} for drawn data; and the validation share."""
    params.header("Data")
    default = chapter.MOONS_DATA
    name = params.selectbox(
        "dataset", "Dataset", list(DATASETS), default.name, format_func=DATASETS.get
    )
    validation_share = params.slider(
        "validation",
        "Held out for validation",
        0.0,
        0.5,
        default.validation_share,
        0.05,
        format="%.2f",
    )
    if name == "own":
        own_data.load_from_link(params)
        return {"name": "own", "points": own_data.frozen()}, validation_share
    classes = 2
    if name in data.MULTI_CLASS_DATASETS:
        classes = params.slider("classes", "Classes", 2, data.MAX_CLASSES, 2)
    samples = params.slider("samples", "Samples", 50, MAX_SAMPLES, default.samples, 50)
    noise = params.slider("noise", "Noise", 0.0, 0.6, default.noise, 0.05)
    seed = params.number("data_seed", "Data seed", 0, 9999, default.seed)
    if not params.presenting:
        st.sidebar.button(
            "New random sample",
            key="moons_regenerate",
            on_click=_regenerate,
            icon=":material/casino:",
        )
    dataset = dict(name=name, samples=samples, noise=noise, seed=int(seed))
    if classes != 2:  # (two-class settings keep the keys they always had)
        dataset["classes"] = classes
    return dataset, validation_share


def feature_controls(params) -> tuple[str, ...]:
    """The input features switched on, as TensorFlow Playground offers them."""
    params.header("Inputs")
    chosen = tuple(
        name
        for name in features.FEATURES
        if params.checkbox(f"feature_{name}", features.label(name), name in features.RAW)
    )
    if not chosen:
        st.warning("No input feature is on: the network sees x₁ and x₂.", icon=":material/input:")
        return features.RAW
    return chosen


def _regenerate():
    st.session_state["moons_data_seed"] = int(st.session_state.get("moons_data_seed", 0)) + 1


def model_controls(params, inputs: tuple[str, ...], task: dict):
    """The network and its training, for these input features and this task
    ({classes, regression})."""
    network, default = chapter.MOONS_NETWORK, chapter.MOONS_TRAINING
    params.header("Network")
    architecture = architecture_controls(
        params, (0, MAX_LAYERS, len(network.hidden_units)), UNIT_CHOICES, network
    )
    params.header("Training")
    optimizer = optimizer_controls(params, default)
    epochs = params.select_slider("epochs", "Epochs", EPOCH_CHOICES, default.epochs)
    batch = params.select_slider("batch", "Batch size", BATCH_CHOICES, "full batch")
    seed = params.number("seed", "Weights seed", 0, 9999, default.seed)
    early = params.checkbox(
        "early_stopping",
        "Early stopping",
        False,
        help="Stop once the validation loss (the training loss without validation samples) "
        "has not improved for the chosen number of epochs, as Keras' EarlyStopping does.",
    )
    patience = restore = None
    if early:
        patience = params.select_slider("patience", "Patience (epochs)", PATIENCE_CHOICES, 100)
        restore = params.checkbox("restore_best", "Restore the best weights", True)
    params.header("Regularization")
    regularization = regularization_controls(params)
    if not architecture["hidden_units"]:
        regularization["dropout_rate"] = 0.0  # dropout acts on hidden layers only
    spec = replace(
        network,
        **architecture,
        **regularization,
        input_size=len(inputs),
        # The chapter's plain (x1, x2) stays the chapter's network (and its cached runs).
        input_features=() if inputs == features.RAW else inputs,
        output_units=task["classes"] if task["classes"] > 2 else 1,
        regression=task["regression"],
    )
    batch_size = None if batch == "full batch" else batch
    config = replace(
        default,
        **optimizer,
        epochs=epochs,
        batch_size=batch_size,
        seed=int(seed),
        # A replay for networks of Playground's size: larger ones train in the plain loop,
        # which compiles smaller (a class's 4 x 100 networks held a gigabyte more).
        replay_frames=chapter.moons_training_for(spec).replay_frames,
        patience=patience or 0,
        restore_best_weights=True if restore is None else restore,
    )
    return spec, config


def task_of(dataset) -> dict:
    """{classes, regression} of a dataset setting."""
    if dataset["name"] in data.REGRESSION_DATASETS:
        return {"classes": 1, "regression": True}
    if dataset["name"] == "own":
        labels = [row[2] for row in dataset["points"]]
        return {"classes": max(2, int(max(labels, default=1)) + 1), "regression": False}
    return {"classes": dataset.get("classes", 2), "regression": False}


@st.cache_data(max_entries=64, show_spinner=False)
def split_dataset(dataset, validation_share):
    if dataset["name"] == "own":
        table = np.asarray(dataset["points"], np.float64).reshape(-1, 3)
        points, labels = table[:, :2].astype(np.float32), table[:, 2].astype(np.int32)
        return data.split_train_validation(points, labels, validation_share, seed=0)
    points, labels = data.make_toy_dataset(**dataset)
    return data.split_train_validation(points, labels, validation_share, seed=dataset["seed"])


def run_key(dataset, validation_share, spec, config):
    return ("moons", tuple(dataset.items()), validation_share, spec, config)


def replay_key(key) -> str:
    """The replay slider's widget key for a run's key: one per run, so a new run starts at
    its last frame."""
    return f"moons_replay_{abs(hash(key))}"


def estimate_for(dataset, validation_share, spec, config) -> float:
    split = split_dataset(dataset, validation_share)
    return estimate(spec, config, len(split.y_train), len(split.y_validation))


def trial_seconds(dataset, validation_share, spec, config):
    """A search trial's estimate from its values: the split is counted once here, not once
    for each of the up to 128 settings a search's cost is priced on."""
    split = split_dataset(dataset, validation_share)
    counts = len(split.y_train), len(split.y_validation)
    return lambda values: estimate(*search.apply(spec, config, values), *counts)


def train_run(dataset, validation_share, spec, config, progress_label="Training"):
    """The cached result for these settings, training (with a progress bar) on a miss; every
    run is recorded for the session's comparisons."""
    split = split_dataset(dataset, validation_share)
    key = run_key(dataset, validation_share, spec, config)
    seconds = estimate_for(dataset, validation_share, spec, config)

    def trained(progress):
        result = training.train_split(spec, config, split, progress, seconds)
        compile_near(spec, config, split)  # (the student's next change, while they look)
        return result

    result = results.compute(key, results.with_progress(progress_label, trained, show_curves=False))
    record_moons(dataset, validation_share, key, result)
    return result


def keep_trial(dataset, validation_share, spec, config, result):
    """A search's trial, stored as if trained from the sidebar (choosing its setting shows it
    at once) and recorded as a run."""
    key = run_key(dataset, validation_share, spec, config)
    record_moons(dataset, validation_share, key, results.compute(key, lambda: result))


def record_moons(dataset, validation_share, key, result):
    """Record a run with its data settings (drawn data included: it is part of the record, and
    of its export)."""
    spec = result.spec
    data_settings = {
        "dataset": dataset["name"],
        "samples": dataset.get("samples", len(dataset.get("points", ()))),
        "noise": dataset.get("noise"),
        "data_seed": dataset.get("seed"),
        "validation_share": validation_share,
        "features": ",".join(spec.input_features or features.RAW),
    }
    if "classes" in dataset:
        data_settings["classes"] = dataset["classes"]
    if dataset["name"] == "own":  # as the CSV the page reads
        table = np.asarray(dataset["points"]).reshape(-1, 3)
        data_settings["points"] = own_data_file.to_csv(table[:, :2], table[:, 2]).decode()
    record_run("moons", key, data_settings, result)


def all_points(dataset, validation_share):
    """(points, labels, roles) of training and validation samples together."""
    split = split_dataset(dataset, validation_share)
    roles = ["training"] * len(split.y_train) + ["validation"] * len(split.y_validation)
    return (
        np.concatenate([split.x_train, split.x_validation]),
        np.concatenate([split.y_train, split.y_validation]),
        roles,
    )


def plane_outputs(result, grid, weights=None) -> np.ndarray:
    """The network's output over the grid: [rows, columns] (class 1's probability, or the
    predicted value), or [rows, columns, classes]."""
    outputs = diagram.network_outputs(result, grid.points, weights)
    shape = (len(grid.y_values), len(grid.x_values))
    return outputs[:, 0].reshape(shape) if outputs.shape[1] == 1 else outputs.reshape(*shape, -1)


def plane_map(result, dataset, validation_share, frame=None):
    """(grid, outputs over it) of the final weights or of a replay frame, computed once."""
    points = all_points(dataset, validation_share)[0]
    weights = None if frame is None else result.snapshots[frame]

    def compute():
        # A replay frame at half the resolution: a quarter of the work, four frames a second.
        grid = training.plane_grid(points, resolution=200 if frame is None else 100)
        return grid, plane_outputs(result, grid, weights)

    key = run_key(dataset, validation_share, result.spec, result.config)
    return results.derived(f"grid {frame}", key, result, compute)


def boundary_chart(result, dataset, validation_share, discrete, size=420, title="", frame=None):
    """The output over the plane with the samples; frame: a replay snapshot's index (None:
    the final weights). Built once per result (results.frame_chart)."""
    points, labels, roles = all_points(dataset, validation_share)
    key = run_key(dataset, validation_share, result.spec, result.config)
    regression = result.spec.regression

    def picture(frame):
        def make():
            outputs = plane_map(result, dataset, validation_share, frame)[1]
            return charts.plane_image(outputs, discrete, regression)

        return results.derived(f"shading {frame} {discrete}", key, result, make)

    def shading(frame):
        grid = plane_map(result, dataset, validation_share, frame)[0]
        return charts.replay_image_data(picture, frame, *charts.grid_ranges(grid))

    def build():
        # The chart of these samples is the same for every network trained on them (built
        # once: 40 ms of every new setting); this network's shading goes in as its data.
        grid = plane_map(result, dataset, validation_share)[0]
        classes = task_classes(result)
        blank = np.zeros((1, 1, classes) if classes > 2 else (1, 1))
        samples = chart_spec(
            charts.decision_boundary,
            grid,
            blank,
            points,
            labels,
            roles,
            discrete,
            size,
            title,
            regression=regression,
        )
        return with_datasets(samples, shading(None))

    name = f"boundary {discrete} {size} {title}"
    return results.frame_chart(name, key, result, build, frame, lambda: shading(frame))


def node_chart(result, dataset, validation_share, node, frame=None, size=420):
    """One node of the diagram drawn large: its output over the plane, with the samples."""
    points, labels, roles = all_points(dataset, validation_share)
    key = run_key(dataset, validation_share, result.spec, result.config)
    grid = training.plane_grid(points, resolution=100)
    domain = charts.grid_ranges(grid)

    def picture(frame):
        def make():
            weights = None if frame is None else result.snapshots[frame]
            values = diagram.node_values(result, grid.points, weights)[node]
            return charts.png_data_url(diagram.node_colours(node, values, result.spec)[::-1])

        return results.derived(f"node {node} picture {frame}", key, result, make)

    def build():
        dots = (
            charts.target_points_layer(points, labels, roles, domain)
            if result.spec.regression
            else charts.points_layer(points, labels, roles, domain, classes=task_classes(result))
        )
        title = f"{diagram.node_label(node)}: its output (blue high, orange low)"
        layers = alt.layer(charts.image_layer(None, *domain), dots)
        return charts.with_plane_image(layers, picture(None), *domain).properties(
            width=size, height=size, **charts.titled(title)
        )

    def frame_data():
        return charts.replay_image_data(picture, frame, *domain)

    return results.frame_chart(f"node {node} {size}", key, result, build, frame, frame_data)


def task_classes(result) -> int:
    return max(2, result.spec.output_units)


@st.cache_data(max_entries=64, show_spinner=False)
def true_pattern(dataset, validation_share):
    """How the best possible classifier does on these very samples (see nn_core.diagnostics)."""
    split = split_dataset(dataset, validation_share)
    return diagnostics.pattern_scores(dataset["name"], dataset["noise"], split)


def has_verdict(result, dataset) -> bool:
    """The fit verdict compares with the best possible classifier, known for the generated
    two-class sets only (nn_core.diagnostics)."""
    generated = dataset["name"] not in (*data.REGRESSION_DATASETS, "own")
    return generated and result.spec.binary and result.stopped in (None, "stopped")


def verdict_box(result, dataset, validation_share):
    pattern = true_pattern(dataset, validation_share)
    verdict = diagnostics.fit_verdict(result, pattern, dataset["samples"], LIMITS)
    VERDICT_BOXES.get(verdict.kind, st.warning)(verdict.message)


def metrics_row(result, estimated_seconds):
    metrics = result.metrics
    # A regression's "accuracy" is R² (nn_core.training): 1 is perfect, 0 the mean's.
    name, shown = ("R²", "{:.3f}") if result.spec.regression else ("accuracy", "{:.1%}")
    gap_shown = "{:+.3f}" if result.spec.regression else "{:+.1%}"
    columns = metric_columns(5)
    columns[0].metric(f"Training {name}", shown.format(metrics["train_accuracy"]))
    has_validation = not np.isnan(metrics["val_accuracy"])
    validation = shown.format(metrics["val_accuracy"]) if has_validation else "n/a"
    columns[1].metric(f"Validation {name}", validation)
    gap = metrics["train_accuracy"] - metrics["val_accuracy"]
    columns[2].metric(
        "Gap (train − validation)", gap_shown.format(gap) if has_validation else "n/a"
    )
    columns[3].metric("Parameters", f"{result.parameter_count:,}")
    columns[4].metric(
        "Training time",
        f"{result.seconds:.2f} s",
        help=f"Estimated before training: {cost.describe(estimated_seconds)}.",
    )


def weights_view(result, key):
    kernels = result.hidden_kernels or [result.weights[0]]  # no hidden layer: the output's
    values = np.concatenate([kernel.ravel() for kernel in kernels])
    share = diagnostics.near_zero_share(values)
    left, right = st.columns([3, 2])
    which = "Hidden weights" if result.hidden_kernels else "Weights (no hidden layer)"
    title = "Hidden-layer weights" if result.hidden_kernels else which
    histogram = results.chart(
        "weights", key, result, lambda: charts.weight_histogram(values, title=title)
    )
    show_chart(histogram, left, width="stretch")
    right.metric(f"{which} within ±0.01 of zero", f"{share:.0%}")
    right.metric("Mean |weight|", f"{np.abs(values).mean():.3f}")
    right.caption(
        "L1 pushes weights to exactly zero (a spike at 0); L2 shrinks all of them "
        "(a narrower bell). Compare the histogram with the rates at 0."
    )


def code_view(result, dataset, validation_share):
    """The Keras code of this setting, as the chapter writes it (st.code has a copy button)."""
    split = split_dataset(dataset, validation_share)
    source = code.keras_code(
        result.spec,
        result.config,
        None if dataset["name"] == "own" else dataset,
        validation_share,
        split,
    )
    st.caption(
        "This setting as Keras code in the chapter's style (Sequential, compile, fit), with the "
        "data on screen. Copy it with the button at its top right. Keras starts from its own "
        "random weights, so its curves differ in detail from the page's, not in kind."
    )
    st.code(source, language="python", height=420)


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


def frame_marks(result, epoch: int | None) -> dict:
    """Rules on the curves: the replay's epoch and where early stopping ended (and the best
    epoch whose weights it kept)."""
    marks = {}
    if result.early_stop_epoch is not None:
        marks["early stop"] = result.early_stop_epoch
        if result.config.restore_best_weights:
            marks["best"] = result.best_epoch
    if epoch is not None:
        marks["replay"] = epoch
    return marks


PLAYING = "moons_playing"  # the replay slider key being played, if any
PLAY_FRAME = "moons_play_frame"  # the frame shown while playing
BOUNDARY = "boundary"  # the big plot's default: the network's output, not one node
LINKED_EPOCH = "moons_linked_epoch"  # a link's replay epoch, until the replay is drawn
NODE_LINK, FRAME_LINK = "moons_node", "moons_replay"  # their URL names
BIG_PLOT = "moons_big_plot"  # the node chosen for the big plot (ui.server_set)
POINTED_AT = "moons_pointed_at"  # the diagram's node under the pointer, shown while there


def replay_controls(result, slider_key: str) -> int:
    """Play / Pause and the scrub slider over the snapshot epochs; returns the chosen frame's
    index (the last frame: the result's final weights). While playing, a progress bar stands
    in for the slider: a slider moved by the server four times a second raced the browser's
    own copy of its value. The chosen epoch is kept under `slider_key` (ui.server_set: the
    end of a replay and a link set it too)."""
    frames = result.snapshot_epochs
    linked = st.session_state.pop(LINKED_EPOCH, None)
    if linked is not None:  # a link's frame: the snapshot nearest to its epoch
        server_set.set_value(slider_key, min(frames, key=lambda epoch: abs(epoch - linked)))
    if server_set.value(slider_key) not in frames:
        server_set.set_value(slider_key, frames[-1])
    playing = st.session_state.get(PLAYING) == slider_key
    button, slider = st.columns([1, 5], vertical_alignment="bottom")
    if playing:  # a play tick: the next frame, or the end of the replay
        frame = min(st.session_state.get(PLAY_FRAME, 0) + 1, len(frames) - 1)
        st.session_state[PLAY_FRAME] = frame
        if frame == len(frames) - 1:
            _pause(slider_key, frames)
        slider.progress(frame / (len(frames) - 1), text=f"Replay: epoch {frames[frame]:,}")
    else:
        slider.select_slider(
            "Replay the training: the boundary, the diagram and the curves at epoch",
            frames,
            value=server_set.value(slider_key),
            **server_set.widget(slider_key),
            format_func=lambda epoch: "start" if epoch == 0 else f"{epoch:,}",
        )
        frame = frames.index(server_set.value(slider_key))
    button.button(
        "Pause" if playing else "Play",
        key="moons_play",
        on_click=_pause if playing else _play,
        args=(slider_key, frames),
        icon=":material/pause:" if playing else ":material/play_arrow:",
        width="stretch",
    )
    return frame


def _play(slider_key: str, frames) -> None:
    at = frames.index(server_set.value(slider_key))
    st.session_state[PLAY_FRAME] = -1 if at == len(frames) - 1 else at  # the end: from the start
    st.session_state[PLAYING] = slider_key


def _pause(slider_key: str, frames) -> None:
    """Stop playing; the slider then stands where the replay was."""
    st.session_state[PLAYING] = None
    frame = max(st.session_state.get(PLAY_FRAME, 0), 0)
    server_set.set_value(slider_key, frames[frame])


def shown_nodes(spec) -> list[str]:
    """The diagram's drawn nodes, inputs first."""
    layers = diagram.node_names(spec)
    return [name for layer in layers for name in layer[: diagram.MAX_SHOWN_UNITS]]


def big_plot_choice(result) -> None:
    """Which node the big plot shows: "output" (the boundary) or a diagram node."""
    choices = [BOUNDARY, *(name for name in shown_nodes(result.spec) if name != diagram.OUTPUT)]
    if server_set.value(BIG_PLOT) not in choices:
        server_set.set_value(BIG_PLOT, BOUNDARY)
    st.selectbox(
        "The big plot shows",
        choices,
        index=choices.index(server_set.value(BIG_PLOT)),
        **server_set.widget(BIG_PLOT),
        format_func=lambda name: (
            "the network's output" if name == BOUNDARY else diagram.node_label(name)
        ),
    )


def _picked_node(chart_key: str) -> None:
    """A click on a node keeps it on the big plot; pointing at one shows it there until the
    pointer leaves (the diagram's selections "node" and "hover"). A diagram drawn for
    another chosen node (replaced, but its pointer-leaves report still on its way) is
    ignored."""
    if chart_key != diagram_key(server_set.value(BIG_PLOT, BOUNDARY)):
        return
    selection = getattr(st.session_state.get(chart_key), "selection", None)
    node = picked(selection, "node", "node")
    if node is not None:
        server_set.set_value(BIG_PLOT, BOUNDARY if node == diagram.OUTPUT else node)
    st.session_state[POINTED_AT] = picked(selection, "hover", "node")


def diagram_key(chosen: str) -> str:
    """One diagram chart per chosen node, not per frame or result: the diagram then stays one
    chart whose data the browser swaps (a replay tick, a lesson's next result) instead of one
    built anew; a click on a node starts a chart with a fresh selection. (Not per node
    pointed at: the diagram under the pointer stays the same chart.)"""
    return f"moons_diagram_{chosen}"


def big_plot_node(spec, chosen: str) -> str:
    """What the big plot shows: the node pointed at, else the chosen one (BOUNDARY: the
    network's output)."""
    pointed_at = st.session_state.get(POINTED_AT)
    if pointed_at == diagram.OUTPUT:
        return BOUNDARY
    if pointed_at in shown_nodes(spec):
        return pointed_at
    return chosen


def plots(result, key, dataset, validation_share, discrete, params, auto):
    """The boundary, the curves and the diagram at the replay's chosen frame. A fragment
    (st.fragment below): a scrub or a play tick redraws only this; `auto`: it was made to
    tick (playing)."""
    slider_key = replay_key(key)
    plots_row, controls_row = st.container(), st.container()
    with controls_row:  # below the plots: on a projector the boundary stays on the first screen
        if result.snapshot_epochs:
            frame = replay_controls(result, slider_key)
        else:
            frame = 0
            st.caption(
                f"The replay is recorded for networks of up to {MAX_REPLAY_PARAMETERS:,} "
                f"parameters; this one has {result.parameter_count:,}."
            )
    if (st.session_state.get(PLAYING) == slider_key) != auto:
        st.rerun()  # start or stop ticking: the fragment is made again, with or without
    last = frame >= len(result.snapshot_epochs) - 1
    shown = None if last else frame  # the last frame is the result's own weights
    epoch = result.snapshot_epochs[frame] if result.snapshot_epochs else None
    chosen = server_set.value(BIG_PLOT, BOUNDARY)
    node = big_plot_node(result.spec, chosen)
    if not auto:  # the view in the URL (not rewritten five times a second while playing)
        params.keep_in_link(FRAME_LINK, None if last else str(epoch))
        params.keep_in_link(NODE_LINK, None if chosen == BOUNDARY else chosen)
    presenting = params.presenting
    chart_column, curve_column = plots_row.columns([1, 1])
    with chart_column:
        if node != BOUNDARY and node in shown_nodes(result.spec):
            chart = node_chart(result, dataset, validation_share, node, shown)
            caption = (
                f"Shading: what {diagram.node_label(node)} outputs at each place of the plane "
                "(blue high, orange low); the samples as on the boundary plot."
            )
        else:
            title = "Predicted value" if result.spec.regression else "Decision boundary"
            chart = boundary_chart(
                result, dataset, validation_share, discrete, title=title, frame=shown
            )
            caption = plane_caption(result)
        show_chart(chart, width="content")  # square: drawn at its declared size
        st.caption(caption)
    with curve_column:
        if presenting and has_verdict(result, dataset):  # beside the boundary: the whole
            verdict_box(result, dataset, validation_share)  # plot fits a projector's screen
        marks = frame_marks(result, None if last else epoch)
        results.show_learning_curves(key, result, marks=marks)
    diagram_column, about_column = st.columns([3, 2])
    grid = training.plane_grid(all_points(dataset, validation_share)[0], diagram.THUMBNAIL_GRID)

    def pictures(frame):
        weights = None if frame is None else result.snapshots[frame]
        return results.derived(
            f"diagram pictures {frame}",
            key,
            result,
            lambda: diagram.node_pictures(result, grid, weights, frame),
        )

    drawn = results.frame_chart(
        f"diagram {chosen}",
        key,
        result,
        lambda: with_datasets(
            chart_spec(diagram.diagram_chart, diagram.drawn_nodes(result.spec), chosen),
            diagram.frame_data(result, grid, pictures=pictures(None)),
        ),
        shown,
        lambda: diagram.frame_data(
            result, grid, result.snapshots[frame], diagram.replay_pictures(pictures, frame)
        ),
    )
    chart_key = diagram_key(chosen)
    show_chart(
        drawn,
        diagram_column,
        width="content",
        on_select=lambda: _picked_node(chart_key),
        key=chart_key,
    )
    with about_column:
        big_plot_choice(result)
        st.caption(diagram_caption(result))


def plane_caption(result) -> str:
    if result.spec.regression:
        return (
            "Shading: the predicted value, orange −1 to blue +1. Points are filled with their "
            "target; circles: training samples, hollow squares: validation samples."
        )
    if result.spec.output_units > 1:
        shapes = ", ".join(
            f"{charts.SHAPES[label].split('-')[0]}s class {label}"
            for label in range(result.spec.output_units)
        )
        return (
            f"Classes by colour and shape ({shapes}). Filled: training samples; hollow: "
            "validation samples. Shading: the likeliest class, paler where the network is unsure."
        )
    return (
        "Circles: class 0 (orange); squares: class 1 (blue). Filled: training samples; "
        "hollow: validation samples. Shading: the network's probability of class 1 (blue)."
    )


def diagram_caption(result) -> str:
    hidden = ", ".join(str(units) for units in result.spec.hidden_units) or "none"
    return (
        f"Inputs on the left, hidden layers ({hidden}) in the middle, the output on the right. "
        "Each node shows its own output over the plane (blue high, orange low). Links: blue "
        "and solid for a positive weight, orange and dashed for a negative one, thicker for a "
        f"larger one. Layers over {diagram.MAX_SHOWN_UNITS} units show their first "
        f"{diagram.MAX_SHOWN_UNITS}. Point at a node to see its output large; click it "
        "(or choose it here) to keep it there."
    )


def early_stop_notice(result, validation_share) -> None:
    if result.early_stop_epoch is None:
        return
    kept = (
        f"the weights are those of its best epoch, {result.best_epoch:,}"
        if result.config.restore_best_weights
        else "the weights are those of its last epoch"
    )
    watched = "validation" if validation_share else "training"
    st.info(
        f"Early stopping ended the training at epoch {result.early_stop_epoch:,} of "
        f"{result.config.epochs:,}: the {watched} loss had not improved for "
        f"{result.config.patience:,} epochs; {kept} (marked on the curves).",
        icon=":material/front_hand:",
    )


def view_in_link(params, spec, config, slider_key) -> None:
    """The big plot's node and the replay's epoch: read from a link on a session's first
    run, and kept in the URL (the fragment `plots` rewrites them as they change)."""
    nodes = [name for name in shown_nodes(spec) if name != diagram.OUTPUT]
    linked_node = params.from_link_once(NODE_LINK, _one_of(nodes, "a node of the diagram"))
    if linked_node is not None:
        server_set.set_value(BIG_PLOT, linked_node)
    linked_epoch = params.from_link_once(FRAME_LINK, _epoch_checker(config.epochs))
    if linked_epoch is not None:
        st.session_state[LINKED_EPOCH] = linked_epoch
    node = server_set.value(BIG_PLOT, BOUNDARY)
    params.keep_in_link(NODE_LINK, node if node in nodes else None)
    epoch = st.session_state.get(LINKED_EPOCH, server_set.value(slider_key))
    params.keep_in_link(FRAME_LINK, None if epoch in (None, config.epochs) else str(epoch))


def _one_of(choices, what: str):
    def check(text):
        if text not in choices:
            raise ValueError(f"must be {what}, e.g. {choices[-1]}")
        return text

    return check


def _epoch_checker(epochs: int):
    def check(text):
        if not text.isdigit() or int(text) > epochs:
            raise ValueError(f"must be an epoch from 0 to {epochs:,}")
        return int(text)

    return check


def lesson_fields(result, dataset, validation_share) -> dict:
    """The result's numbers a lesson's reveal and claims use (nn_core.lessons.FIELDS)."""
    fields = lessons.training_fields(result)
    if result.hidden_kernels:
        hidden = np.concatenate([kernel.ravel() for kernel in result.hidden_kernels])
        fields["near_zero_weights"] = diagnostics.near_zero_share(hidden)
    if result.spec.binary:
        grid, outputs = plane_map(result, dataset, validation_share)
        key = run_key(dataset, validation_share, result.spec, result.config)
        linear = results.derived(  # a fit of its own (~0.1 s): once per result, server-wide
            "boundary linear",
            key,
            result,
            lambda: diagnostics.boundary_is_linear(grid.points, outputs.ravel() > 0.5),
        )
        fields["boundary_linear"] = float(linear)
    return fields


player = Player("mlp_moons")
params = PageParams("moons")
# A projected link with `show=` keeps only the controls under discussion (and the
# chapter's examples if it names them); without `show=` it keeps the examples.
if not params.presenting or not params.shown or "examples" in params.shown:
    example_buttons()
dataset, validation_share = data_controls(params)
inputs = feature_controls(params)
if dataset["name"] == "own":
    st.subheader("Your data")
    own_data.editor()
    dataset = {"name": "own", "points": own_data.frozen()}  # with this run's edits
own_data.keep_in_link(params, drawn=dataset["name"] == "own")
if dataset["name"] == "own":
    if len({row[2] for row in dataset["points"]}) < 2 or len(dataset["points"]) < 4:
        params.sync()  # a link's points that could not be read say so
        st.info(
            "Add at least four points of at least two classes (or load a CSV) to train.",
            icon=":material/touch_app:",
        )
        st.stop()
try:
    spec, config = model_controls(params, inputs, task_of(dataset))
    key = run_key(dataset, validation_share, spec, config)
    view_in_link(params, spec, config, replay_key(key))
    params.link_help()
    params.sync(every_control_drawn=True)
    split_dataset(dataset, validation_share)
    seconds = estimate_for(dataset, validation_share, spec, config)
    stored = results.lookup(key)
    if stored is None and not confirm_long(seconds, spec, config, "moons_confirm_long"):
        st.stop()
    result = train_run(dataset, validation_share, spec, config)
except ValueError as error:
    show_error(error)

metrics_row(result, seconds)
if results.stopped_notice(result, key):
    st.rerun()  # trains in full: the page trains whatever is not stored
early_stop_notice(result, validation_share)
if not params.presenting and has_verdict(result, dataset):
    verdict_box(result, dataset, validation_share)
discrete = not result.spec.regression and st.toggle(
    "Show only the predicted class (no probability shading)", key="moons_discrete"
)
playing = st.session_state.get(PLAYING) == replay_key(key)
st.fragment(plots, run_every=PLAY_SECONDS if playing else None)(
    result, key, dataset, validation_share, discrete, params, playing
)
player.report(lambda: lesson_fields(result, dataset, validation_share))

share_latest("moons")
compare_panel("moons")
# Lazy tabs: only the open tab's content runs and is sent to the browser.
tabs = st.tabs(
    ["Weights", "Keras code", "Sweep", "Search", "Repeat with seeds"],
    key="moons_tab",
    on_change="rerun",
)
views = (
    lambda: weights_view(result, key),
    lambda: code_view(result, dataset, validation_share),
    lambda: sweep_view(dataset, validation_share, spec, config, discrete),
    lambda: search_view(
        "moons",
        SEARCHABLE,
        spec,
        config,
        lambda _values: split_dataset(dataset, validation_share),
        lambda trial_spec, trial_config, trial_result, _values: keep_trial(
            dataset, validation_share, trial_spec, trial_config, trial_result
        ),
        seconds_for=trial_seconds(dataset, validation_share, spec, config),
        class_setting=run_key(dataset, validation_share, spec, config),
        show_trial=lambda values: st.session_state.update(
            widget_values("moons", *search.apply(spec, config, values))
        ),
    ),
    lambda: seeds_view(dataset, validation_share, spec, config),
)
for tab, view in zip(tabs, views, strict=True):
    if tab.open:
        with tab:
            view()

# Drawn: compile the page's other networks in the background, as the home page does (a link
# straight to this page skips the home page; without this its every first setting compiled).
warm_up_in_background()
