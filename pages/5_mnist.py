"""The chapter's handwritten-digit classifier, trained live and inspected down to its errors."""

import streamlit as st

from ui.layout import load_engine, setup_page

# The title and purpose are drawn before TensorFlow and the engine are imported (below):
# the first visit after a restart shows them at once instead of a blank page for seconds.
setup_page(
    "MNIST: recognising handwritten digits",
    ":material/draw:",
    "The chapter's network: 784 pixels → 15 ReLU units → 10 softmax outputs, RMSprop, 10 "
    "epochs, batches of 128. Press **Train** (a few seconds), then look at what it gets wrong. "
    "Try fewer training images, more units, or dropout, and compare the test accuracy.",
)
load_engine()

from dataclasses import replace

import numpy as np
import pandas as pd

from nn_core import (
    chapter,
    charts,
    cost,
    data,
    diagnostics,
    drawing,
    lessons,
    models,
    search,
    training,
)
from ui import results
from ui.class_room import share_latest
from ui.controls import (
    LEARNING_RATES,
    RATE_CHOICES,
    architecture_controls,
    optimizer_controls,
    regularization_controls,
    search_choices,
    widget_values,
)
from ui.cost import estimate
from ui.datasets import mnist
from ui.draw_pad import draw_pad
from ui.layout import chart_spec, metric_columns, show_chart, show_error
from ui.lesson import Player
from ui.params import PageParams
from ui.runs import compare_panel
from ui.runs import record as record_run
from ui.search_panel import search_expander, search_view

UNIT_CHOICES = (5, 10, 15, 20, 32, 50, 64, 100, 128, 256, 512)
TRAIN_SIZES = (1000, 2000, 5000, 10000, 20000, 30000, 60000)
BATCHES = (16, 32, 64, 128, 256, 512, 1024)
SEARCHABLE = {  # the search's parameters (nn_core.search's names) and their values
    "units": ("Hidden units", UNIT_CHOICES, [15, 64, 128]),
    "learning_rate": ("Learning rate", LEARNING_RATES, [0.0003, 0.001, 0.003]),
    "dropout": ("Dropout rate", (0.0, 0.1, 0.2, 0.3, 0.5), [0.0, 0.5]),
    "l2": ("L2 rate", RATE_CHOICES, [0.0, 0.0001, 0.001]),
    "train_size": ("Training images", TRAIN_SIZES, [1000, 10000, 60000]),
    **search_choices(
        ((0, 1, 2, 3), [1, 2]), ((1, 2, 5, 10, 20, 30), [5, 10]), (BATCHES, [32, 128])
    ),
}


def model_controls(params):
    network, default = chapter.MNIST_NETWORK, chapter.MNIST_TRAINING
    params.header("Network")
    architecture = architecture_controls(params, (0, 3, 1), UNIT_CHOICES, network)
    params.header("Training")
    optimizer = optimizer_controls(params, default)
    epochs = params.slider("epochs", "Epochs", 1, 30, default.epochs)
    batch_size = params.select_slider("batch", "Batch size", BATCHES, default.batch_size)
    params.header("Regularization")
    regularization = regularization_controls(params)
    params.header("Data")
    train_size = params.select_slider(
        "train_size",
        "Training images",
        TRAIN_SIZES,
        60000,
        help="Fewer images: faster, and a clear view of what more data buys.",
    )
    validation_share = params.select_slider(
        "validation",
        "Held out for validation",
        (0.0, 0.05, 0.1, 0.2, 0.3),
        0.1,
        format_func=lambda share: f"{share:.0%}",
    )
    seed = params.number("seed", "Seed", 0, 9999, default.seed)
    params.link_help()
    params.sync(every_control_drawn=True)
    spec = replace(network, **architecture, **regularization)
    config = replace(default, **optimizer, epochs=epochs, batch_size=batch_size, seed=int(seed))
    return spec, config, train_size, validation_share


def training_split(dataset, train_size, validation_share, seed):
    """The first train_size training images, split into training and validation, as raw uint8
    pixels [n, 784] (the model's Rescaling layer divides by 255)."""
    images = data.flatten_images(dataset.x_train[:train_size])
    return data.split_train_validation(images, dataset.y_train[:train_size], validation_share, seed)


def search_section(dataset, spec, config, train_size, validation_share):
    """A hyperparameter search from the sidebar's setting (drawn only while open)."""
    panel = search_expander("mnist")
    if panel is None:
        return

    def size(values):
        return values.get("train_size", train_size)

    def trial_key(trial_spec, trial_config, values):
        return ("mnist", trial_spec, trial_config, size(values), validation_share)

    def keep(trial_spec, trial_config, result, values):
        key = trial_key(trial_spec, trial_config, values)
        stored = results.compute(key, lambda: result)
        settings = {"train_size": size(values), "validation_share": validation_share}
        record_run("mnist", key, settings, stored)

    def seconds_for(values):
        validation_count = data.validation_count(size(values), validation_share)
        trial_setting = search.apply(spec, config, values)
        return estimate(*trial_setting, size(values) - validation_count, validation_count)

    def show_trial(values):
        st.session_state.update(widget_values("mnist", *search.apply(spec, config, values)))
        st.session_state["mnist_train_size"] = size(values)

    with panel:
        search_view(
            "mnist",
            SEARCHABLE,
            spec,
            config,
            lambda values: training_split(dataset, size(values), validation_share, config.seed),
            keep,
            seconds_for,
            class_setting=trial_key(spec, config, {}),
            show_trial=show_trial,
        )


def data_preview(dataset):
    with st.expander("The data: 70,000 digits of 28×28 grey pixels", icon=":material/dataset:"):
        st.write(
            f"Training images {dataset.x_train.shape}, labels {dataset.y_train.shape}; "
            f"test images {dataset.x_test.shape}, labels {dataset.y_test.shape}."
        )
        st.image(
            [255 - image for image in dataset.x_train[:10]],
            width=64,
            caption=[f"label {label}" for label in dataset.y_train[:10]],
        )
        left, right = st.columns(2)
        show_chart(
            chart_spec(charts.class_counts, np.bincount(dataset.y_train, minlength=10)), left
        )
        with right:
            example, label = dataset.x_train[0], int(dataset.y_train[0])
            st.markdown(
                f"**Preprocessing, on the first image (a {label}):** pixel values "
                f"0–{example.max()} become 0–{example.max() / 255:.2f} (divided by 255, "
                "inside the model), and the label becomes a one-hot vector:"
            )
            st.code(f"{label} -> {np.eye(10, dtype=int)[label].tolist()}")
            st.caption("Row 14 of that image, before and after scaling:")
            st.code(
                f"{example[14, 4:14].tolist()}\n{np.round(example[14, 4:14] / 255, 2).tolist()}"
            )


def run_training(dataset, spec, config, train_size, validation_share, progress, seconds):
    split = training_split(dataset, train_size, validation_share, config.seed)
    return training.train_split(spec, config, split, progress, seconds)


def test_predictions(result, key, dataset):
    """Probabilities [10000, 10] for the test images, computed once per trained model."""
    x_test = data.flatten_images(dataset.x_test)
    return results.derived(
        "mnist test predictions", key, result, lambda: training.predict(result, x_test)
    )


def results_view(result, probabilities, test_accuracy, dataset, key):
    predicted = probabilities.argmax(axis=1)
    columns = metric_columns(4)
    columns[0].metric("Test accuracy", f"{test_accuracy:.2%}")
    columns[1].metric("Training accuracy", f"{result.metrics['train_accuracy']:.2%}")
    validation = result.metrics["val_accuracy"]
    columns[2].metric("Validation accuracy", "n/a" if np.isnan(validation) else f"{validation:.2%}")
    columns[3].metric("Training time", f"{result.seconds:.1f} s")
    curves, confusion = st.columns(2)
    results.show_learning_curves(key, result, curves)
    matrix = lambda: diagnostics.confusion_matrix(dataset.y_test, predicted, 10)  # noqa: E731
    show_chart(
        results.chart("confusion", key, result, lambda: charts.confusion_heatmap(matrix())),
        confusion,
        width="content",
    )
    st.subheader("The first test digits, as the chapter shows them")
    st.image(
        [255 - image for image in dataset.x_test[:10]],
        width=72,
        caption=[f"It's a {digit}" for digit in predicted[:10]],
    )
    errors_view(probabilities, predicted, dataset)
    single_digit_view(probabilities, dataset)
    st.download_button(
        "Download the trained model (.keras)",
        # Written once per trained model, before the click (see the Runs page's exports).
        results.derived(
            "mnist model file", key, result, lambda: models.keras_file(result.spec, result.weights)
        ),
        file_name="mnist_classifier.keras",
        mime="application/octet-stream",
        key="mnist_download",
        icon=":material/download:",
        help="Load it with keras.models.load_model; it takes raw 0-255 pixels, flattened to 784.",
    )


def errors_view(probabilities, predicted, dataset):
    st.subheader("What it gets wrong")
    wrong = np.flatnonzero(predicted != dataset.y_test)
    choice = st.selectbox("True digit", ["all"] + list(range(10)), key="mnist_error_class")
    if choice != "all":
        wrong = wrong[dataset.y_test[wrong] == choice]
    st.caption(
        f"{len(wrong)} misclassified test images"
        + ("" if choice == "all" else f" of true class {choice}")
        + "; the first 30:"
    )
    shown = wrong[:30]
    if len(shown):
        st.image(
            [255 - dataset.x_test[index] for index in shown],
            width=72,
            caption=[
                f"{dataset.y_test[index]} → {predicted[index]} ({probabilities[index].max():.0%})"
                for index in shown
            ],
        )


def single_digit_view(probabilities, dataset):
    st.subheader("One test digit, all ten probabilities")
    index = st.number_input(
        "Test image number", 0, len(dataset.y_test) - 1, 0, key="mnist_test_index"
    )
    left, right = st.columns([1, 3])
    left.image(
        255 - dataset.x_test[index], width=140, caption=f"true label {dataset.y_test[index]}"
    )
    show_chart(chart_spec(charts.probability_bars, probabilities[index]), right, width="stretch")


@st.fragment
def draw_section(result):
    """A student's own digit through the trained network. A fragment: a new stroke reruns only
    this section, so the prediction follows the pen."""
    st.subheader("Try it yourself: draw a digit")
    source = st.segmented_control(
        "Input", ["Draw", "Upload a photo"], default="Draw", key="mnist_draw_source"
    )
    # Pad, what the network sees, its answer; on a phone the answer comes first, so it is in
    # view while drawing (ui/assets/base.css).
    left, middle, right = st.container(key="digit-pad").columns([3, 2, 4])
    with left:
        if source == "Upload a photo":
            photo = st.file_uploader(
                "A photo of one handwritten digit (PNG or JPEG)",
                type=["png", "jpg", "jpeg"],
                key="mnist_photo",
            )
            raw = photo.getvalue() if photo else None
            read = drawing.gray_from_photo
        else:
            raw, read = draw_pad("mnist_draw_pad"), drawing.gray_from_data_url
    if raw is None:
        right.info(
            "Draw a digit on the black pad (or upload a photo): the network's answer "
            "appears here at the end of each stroke.",
            icon=":material/draw:",
        )
        return
    try:
        digit = drawing.preprocess_digit(read(raw))
    except ValueError as error:
        right.warning(str(error), icon=":material/warning:")
        return
    probabilities = training.predict(result, drawing.as_model_input(digit))[0]
    middle.image(
        1 - digit, width=168, clamp=True, caption="What the network sees: 28×28, centred like MNIST"
    )
    right.metric("Prediction", f"It's a {int(probabilities.argmax())}")
    right.caption(f"{probabilities.max():.0%} sure. All ten probabilities:")
    show_chart(chart_spec(charts.probability_bars, probabilities), right, width="stretch")


def hidden_units_view(result):
    layer = "hidden unit" if result.spec.hidden_units else "output unit (digit)"
    st.subheader("What the hidden units see")
    st.caption(
        f"Each {layer}'s 784 input weights drawn as a 28×28 picture: blue pixels push the "
        "unit up, orange ones down, on one colour scale for all. Train with L1, L2 or "
        "dropout and compare the pictures."
    )
    # [784, units]: the first hidden layer's kernel, or the output layer's without one.
    kernel = result.hidden_kernels[0] if result.spec.hidden_units else result.weights[0]
    shown = min(64, kernel.shape[1])
    captions = [
        f"unit {unit + 1}" if result.spec.hidden_units else f"digit {unit}" for unit in range(shown)
    ]
    st.image(charts.weight_images(kernel, shown), width=84, caption=captions)


player = Player("mnist")
try:
    dataset = mnist()
except data.DatasetError as error:
    show_error(error)
data_preview(dataset)
try:
    spec, config, train_size, validation_share = model_controls(PageParams("mnist"))
    data.validation_count(train_size, validation_share)  # a readable error, before training
except ValueError as error:
    show_error(error)

with st.expander("Model summary (as model.summary() prints it)", icon=":material/table:"):
    st.dataframe(pd.DataFrame(models.summary_table(spec)), hide_index=True)
    st.caption(f"Total parameters: {models.parameter_count(spec):,}")

key = ("mnist", spec, config, train_size, validation_share)
result = results.lookup(key)
validation_count = data.validation_count(train_size, validation_share)
seconds = estimate(spec, config, train_size - validation_count, validation_count)
if seconds > cost.LONG_SECONDS and result is None:
    st.caption(
        f"This setting trains for {cost.describe(seconds)}; you can stop it at any time and "
        "keep what it has learned."
    )
train_now = st.button(
    f"Train ({cost.describe(seconds)})",
    key="mnist_train",
    type="primary",
    icon=":material/play_arrow:",
)
if result is not None and not train_now:
    train_now = results.stopped_notice(result, key)
train_now = train_now or (player.train_now and result is None)  # a lesson's Reveal
if train_now:
    result = results.compute(
        key,
        results.with_progress(
            "Training on MNIST",
            lambda progress: run_training(
                dataset, spec, config, train_size, validation_share, progress, seconds
            ),
        ),
    )
search_section(dataset, spec, config, train_size, validation_share)
if result is None:
    st.info(
        "Press **Train** to train this network (a few seconds with the chapter's settings). "
        "Results are kept: coming back to the same settings shows them at once. Once a model "
        "is trained you can draw your own digit for it, and see what its hidden units learned.",
        icon=":material/info:",
    )
    st.stop()
probabilities = test_predictions(result, key, dataset)
test_accuracy = float(np.mean(probabilities.argmax(axis=1) == dataset.y_test))
record_run(
    "mnist",
    key,
    {"train_size": train_size, "validation_share": validation_share},
    result,
    {"test_accuracy": test_accuracy},
)
player.report(lambda: {**lessons.training_fields(result), "test_accuracy": test_accuracy})
share_latest("mnist")
compare_panel("mnist")
results_view(result, probabilities, test_accuracy, dataset, key)
draw_section(result)
hidden_units_view(result)
