"""Overfitting on real movie reviews, and three ways to fight it (the chapter's IMDB sections)."""

import streamlit as st

from ui.layout import load_engine, setup_page

# The title and purpose are drawn before TensorFlow and the engine are imported (below):
# the first visit after a restart shows them at once instead of a blank page for seconds.
setup_page(
    "IMDB: watch a network overfit, then fix it",
    ":material/movie:",
    "25,000 movie reviews, each a set of words, labelled positive or negative. The chapter's "
    "baseline (two layers of 16 ReLU units) learns the training set by heart: its validation "
    "loss is lowest after a few epochs and then climbs. Train the baseline, then the smaller, "
    "L2 and dropout networks, and compare their validation curves on one chart.",
)
load_engine()

import html
from dataclasses import replace

import numpy as np
import pandas as pd

from nn_core import chapter, charts, cost, data, diagnostics, lessons, search, training
from nn_core.models import ACTIVATIONS
from ui import results
from ui.class_room import share_latest
from ui.controls import (
    LEARNING_RATES,
    RATE_CHOICES,
    optimizer_controls,
    regularization_controls,
    search_choices,
    widget_values,
)
from ui.cost import estimate
from ui.datasets import imdb, imdb_matrices, imdb_word_index, imdb_words_by_index
from ui.layout import chart_spec, show_chart, show_error
from ui.lesson import Player
from ui.params import PageParams
from ui.runs import compare_panel
from ui.runs import record as record_run
from ui.search_panel import search_expander, search_view

VOCABULARY_SIZES = (1000, 2000, 5000, 10000, 15000, 20000)
BATCHES = (64, 128, 256, 512, 1024)
SEARCHABLE = {  # the search's parameters (nn_core.search's names) and their values
    "units": ("Units per layer", (4, 8, 16, 32, 64), [8, 16]),
    "l2": ("L2 rate", RATE_CHOICES, [0.0, 0.001]),
    "dropout": ("Dropout rate", (0.0, 0.2, 0.5), [0.0, 0.5]),
    "learning_rate": ("Learning rate", LEARNING_RATES, [0.001]),
    **search_choices(((1, 2, 3), [1, 2]), ((2, 4, 10, 20, 40), [4, 20]), (BATCHES, [128, 512])),
}
PRESETS = list(chapter.IMDB_PRESETS)  # the chapter's four networks, by name
CUSTOM = "custom (sidebar)"


def data_controls(params):
    params.header("Data")
    return params.select_slider(
        "vocabulary",
        "Vocabulary (most frequent words kept)",
        VOCABULARY_SIZES,
        chapter.IMDB_VOCABULARY,
    )


def custom_controls(params):
    baseline, default = chapter.IMDB_BASELINE, chapter.IMDB_TRAINING
    params.header("Custom model")
    layers = params.slider("layers", "Hidden layers", 1, 3, len(baseline.hidden_units))
    units = params.select_slider(
        "units", "Units per layer", (4, 8, 16, 32, 64), baseline.hidden_units[0]
    )
    activation = params.selectbox("activation", "Activation", ACTIVATIONS, baseline.activation)
    optimizer = optimizer_controls(params, default)
    epochs = params.slider("epochs", "Epochs", 1, 40, default.epochs)
    batch_size = params.select_slider("batch", "Batch size", BATCHES, default.batch_size)
    regularization = regularization_controls(params)
    seed = int(params.number("seed", "Seed (all models)", 0, 9999, default.seed))
    params.link_help()
    params.sync(every_control_drawn=True)
    spec = replace(
        baseline, hidden_units=(units,) * layers, activation=activation, **regularization
    )
    config = replace(default, **optimizer, epochs=epochs, batch_size=batch_size, seed=seed)
    return spec, config


def model_settings(vocabulary_size, custom_spec, custom_config):
    """name -> (ModelSpec, TrainConfig) for the chapter's presets and the custom model; the
    presets train as the chapter does, with the custom model's seed."""
    preset_training = replace(chapter.IMDB_TRAINING, seed=custom_config.seed)
    settings = {
        name: (chapter.imdb_preset(name, vocabulary_size), preset_training) for name in PRESETS
    }
    settings[CUSTOM] = (replace(custom_spec, input_size=vocabulary_size), custom_config)
    return settings


def search_section(vocabulary_size, matrices, spec, config):
    """A hyperparameter search from the sidebar's custom model (drawn only while open)."""
    panel = search_expander("imdb", "Hyperparameter search (from the custom model)")
    if panel is None:
        return

    def keep(trial_spec, trial_config, result, _values):
        trial_key = run_key(vocabulary_size, trial_spec, trial_config)
        stored = results.compute(trial_key, lambda: result)
        record_run("imdb", trial_key, {"vocabulary": vocabulary_size, "model": "search"}, stored)

    def show_trial(values):
        trial_setting = search.apply(spec, config, values)
        st.session_state.update(widget_values("imdb", *trial_setting, one_width=True))
        shown = st.session_state.get("imdb_models", PRESETS)
        st.session_state["imdb_models"] = [*shown, CUSTOM] if CUSTOM not in shown else shown

    with panel:
        search_view(
            "imdb",
            SEARCHABLE,
            spec,
            config,
            lambda _values: matrices,
            keep,
            lambda values: imdb_estimate(search.apply(spec, config, values), matrices),
            class_setting=run_key(vocabulary_size, spec, config),
            show_trial=show_trial,
        )


def lesson_subject(chosen, keys, custom_key) -> str:
    """The model a lesson step on this page is about: the sidebar's (custom) model, under a
    chosen preset's name when it is that preset (one model, one curve)."""
    return next((name for name in chosen if keys[name] == custom_key), CUSTOM)


def data_preview(vocabulary_size, matrices):
    with st.expander(
        "The data: reviews as word indices and multi-hot vectors", icon=":material/dataset:"
    ):
        reviews = imdb(vocabulary_size).train
        st.write(
            f"Training {matrices.x_train.shape[0]:,} reviews, validation "
            f"{matrices.x_validation.shape[0]:,} (the first training reviews, as in the "
            f"chapter), test {matrices.x_test.shape[0]:,}."
        )
        index = st.number_input("Review number", 0, len(reviews) - 1, 0, key="imdb_review_index")
        indices = reviews.review(index)
        label = "positive" if reviews.labels[index] else "negative"
        st.markdown(
            f"**Label: {label}.** Decoded (`?` marks the start, and words outside the vocabulary):"
        )
        st.write(data.decode_review(indices, imdb_words_by_index()))
        st.markdown("**Word indices** (1 = start, 2 = unknown word, others = rank + 3):")
        st.code(str(indices[:40].tolist())[:-1] + (", ...]" if len(indices) > 40 else "]"))
        vector = data.multi_hot(reviews.subset(index, index + 1), vocabulary_size)
        st.markdown(
            f"**Multi-hot vector:** {vocabulary_size:,} entries, "
            f"{vector.nnz} of them 1 (one per distinct word); the first 20:"
        )
        st.code(str(vector[:, :20].toarray()[0].astype(int).tolist()))


def imdb_estimate(setting, matrices) -> float:
    """Seconds to train one model: only a review's own words cost arithmetic in the first
    layer (multi-hot inputs)."""
    spec, config = setting
    words = matrices.x_train.nnz / matrices.x_train.shape[0]
    return estimate(spec, config, len(matrices.y_train), len(matrices.y_validation), words)


def train_models(names, settings, vocabulary_size, matrices):
    bar = st.progress(0.0, text="Training…")
    for position, name in enumerate(names):
        spec, config = settings[name]
        seconds = imdb_estimate(settings[name], matrices)
        bar.progress(
            position / len(names), text=f"Training {name} ({position + 1} of {len(names)})"
        )
        results.compute(
            run_key(vocabulary_size, spec, config),
            results.with_progress(
                name,
                lambda progress, spec=spec, config=config, seconds=seconds: training.train_split(
                    spec, config, matrices, progress, seconds
                ),
            ),
        )
    bar.empty()


def run_key(vocabulary_size, spec, config):
    return ("imdb", vocabulary_size, spec, config)


def test_probabilities(result, key, matrices):
    return results.derived(
        "imdb test", key, result, lambda: training.predict(result, matrices.x_test)[:, 0]
    )


def test_accuracy(result, key, matrices) -> float:
    predicted = test_probabilities(result, key, matrices) > 0.5
    return float(np.mean(predicted == matrices.y_test))


def comparison_table(trained, keys, matrices):
    rows = []
    for name, result in trained.items():
        history = result.history
        best = diagnostics.best_epoch(history["val_loss"])
        rows.append(
            {
                "model": name,
                "parameters": result.parameter_count,
                "best epoch": best,
                "best validation loss": history["val_loss"].iloc[best - 1],
                "final validation loss": history["val_loss"].iloc[-1],
                # In percent with two decimals each ("percent" wrote 86% beside 86.16%).
                "final validation accuracy": 100 * history["val_accuracy"].iloc[-1],
                "test accuracy": 100 * test_accuracy(result, keys[name], matrices),
                "seconds": result.seconds,
            }
        )
    percent = st.column_config.NumberColumn(format="%.2f%%")
    loss = st.column_config.NumberColumn(format="%.4f")
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "model": st.column_config.TextColumn(pinned=True),  # stays in view on a phone
            "parameters": st.column_config.NumberColumn(format="localized"),  # 160,305
            "best validation loss": loss,
            "final validation loss": loss,
            "final validation accuracy": percent,
            "test accuracy": percent,
            "seconds": st.column_config.NumberColumn(format="%.1f"),
        },
    )


def insight_view(trained, keys, vocabulary_size, matrices):
    name = st.selectbox("Model to inspect", list(trained), key="imdb_inspect")
    result = trained[name]
    influence = results.derived(
        "imdb influence",
        keys[name],
        result,
        lambda: diagnostics.word_influence(result, vocabulary_size),
    )
    words = imdb_words_by_index()
    top = pd.DataFrame(diagnostics.top_words(influence, words), columns=["word", "influence"])
    st.caption(
        "Influence of a word: the predicted probability of *positive* for a review made "
        "of that word alone, minus the one for an empty review (the real network, ReLUs "
        "included)."
    )
    show_chart(chart_spec(charts.word_influence_bars, top), width="stretch")
    probabilities = test_probabilities(result, keys[name], matrices)
    wrong = np.flatnonzero((probabilities > 0.5) != matrices.y_test)
    st.markdown(f"**{len(wrong):,} test reviews misclassified.** The first three:")
    reviews = imdb(vocabulary_size).test
    for index in wrong[:3]:
        with st.container(border=True):
            st.markdown(misclassified_caption(matrices.y_test[index], probabilities[index]))
            text = data.decode_review(reviews.review(index), words)
            st.write(text[:1200] + ("…" if len(text) > 1200 else ""))


def misclassified_caption(label: int, probability_positive: float) -> str:
    """'True label positive, predicted negative: P(positive) = 0.46'."""
    names = ("negative", "positive")
    predicted = names[int(probability_positive > 0.5)]
    return (
        f"True label **{names[int(label)]}**, predicted **{predicted}**: "
        f"P(positive) = {decided_digits(probability_positive)}"
    )


def decided_digits(probability: float) -> str:
    """Two decimals, or as many more as it takes to show which side of 0.5 it is on."""
    for digits in range(2, 7):
        shown = f"{probability:.{digits}f}"
        if float(shown) != 0.5:
            return shown
    return shown


MAX_REVIEW_WORDS = 1000  # longer texts are cut: more words add little and slow the answer


@st.fragment
def review_section(trained, vocabulary_size):
    """A student's own review through every trained model, each word coloured by how much it
    moved that model's answer. A fragment: typing reruns only this section."""
    st.subheader("Try it yourself: write a review")
    text = st.text_area(
        "Your review, in English",
        key="imdb_review_text",
        max_chars=20_000,
        placeholder="The acting was wonderful but the plot was a boring mess.",
    )
    words = data.tokenize(text)
    if not words:
        st.info(
            "Write a few sentences and press Ctrl+Enter: every trained model gives its "
            "verdict, word by word.",
            icon=":material/edit_note:",
        )
        return
    if len(words) > MAX_REVIEW_WORDS:
        st.caption(f"Only the first {MAX_REVIEW_WORDS:,} of {len(words):,} words are used.")
        words = words[:MAX_REVIEW_WORDS]
    encoded = data.encode_words(words, imdb_word_index(), vocabulary_size)
    if all(index <= data.IMDB_UNKNOWN for index in encoded):
        st.warning(
            "None of these words is in the models' vocabulary (the most frequent words "
            "of English movie reviews), so they cannot judge it.",
            icon=":material/translate:",
        )
        return
    columns = st.columns(min(len(trained), 2))
    for position, (name, result) in enumerate(trained.items()):
        probability, contributions = diagnostics.review_contributions(
            result, encoded, vocabulary_size
        )
        with columns[position % len(columns)].container(border=True):
            verdict = "positive" if probability > 0.5 else "negative"
            st.metric(name, f"{verdict} ({probability:.0%} positive)")
            st.html(highlighted(words, encoded[1:], contributions))
    st.caption(
        "Blue words pushed towards positive, orange towards negative (how much the answer "
        "changes without that word); grey words are outside the vocabulary."
    )


def highlighted(words, indices, contributions) -> str:
    """The review as HTML, each word's background showing its contribution."""
    strongest = max((abs(value) for value in contributions.values()), default=0) or 1.0
    spans = []
    for word, index in zip(words, indices, strict=True):
        if index <= data.IMDB_UNKNOWN:
            style = "color:#888"
        else:
            value = contributions[index] / strongest
            colour = "8,119,189" if value > 0 else "245,147,34"  # blue, orange (charts' scale)
            style = f"background:rgba({colour},{abs(value) * 0.6:.2f});border-radius:3px"
        spans.append(f'<span style="{style}">{html.escape(word)}</span>')
    return f'<p style="line-height:1.8">{" ".join(spans)}</p>'


player = Player("imdb")
try:
    params = PageParams("imdb")
    vocabulary_size = data_controls(params)
    custom_spec, custom_config = custom_controls(params)
    matrices = imdb_matrices(vocabulary_size)
    settings = model_settings(vocabulary_size, custom_spec, custom_config)
except (data.DatasetError, ValueError) as error:
    show_error(error)

data_preview(vocabulary_size, matrices)
chosen = st.multiselect("Models", list(settings), PRESETS, key="imdb_models")
keys = {name: run_key(vocabulary_size, *settings[name]) for name in settings}
subject = None
if player.on_page:  # a lesson's step: the sidebar's model, trained on Reveal
    subject = lesson_subject(chosen, keys, keys[CUSTOM])
    chosen = chosen if subject in chosen else [*chosen, subject]
    if player.train_now:  # with the chapter's baseline, if chosen, to compare it with
        reference = [name for name in chosen if name in (subject, PRESETS[0])]
        untrained = [name for name in reference if results.lookup(keys[name]) is None]
        if untrained:
            train_models(untrained, settings, vocabulary_size, matrices)
missing = [name for name in chosen if results.lookup(keys[name]) is None]
seconds = {name: imdb_estimate(settings[name], matrices) for name in missing}
if st.button(
    f"Train {len(missing)} model(s) ({cost.describe(sum(seconds.values()))})"
    if missing
    else "All chosen models are trained",
    key="imdb_train",
    type="primary",
    icon=":material/play_arrow:",
    disabled=not missing,
):
    train_models(missing, settings, vocabulary_size, matrices)
    st.rerun()  # the button's label counted the models still to train: redraw it
search_section(vocabulary_size, matrices, *settings[CUSTOM])
trained = {name: results.lookup(keys[name]) for name in chosen if results.lookup(keys[name])}
for name, result in trained.items():
    if results.stopped_notice(result, keys[name]):
        st.rerun()  # that model is to train again: the Train button counts it
if not trained:
    st.info(
        "Choose models and press **Train** (about 5 s each with the chapter's settings). Once "
        "a model is trained you can write your own review and see every word's effect.",
        icon=":material/info:",
    )
    st.stop()

metric = st.radio("Curve", ["loss", "accuracy"], horizontal=True, key="imdb_metric")
shaded = st.selectbox("Shade the training/validation gap of", list(trained), key="imdb_shaded")
show_chart(
    chart_spec(charts.compare_curves, {n: r.history for n, r in trained.items()}, metric, shaded),
    width="stretch",
)
st.caption(
    "Losses are the data loss (binary cross-entropy), without the L2 penalty, so models "
    "with and without regularization compare fairly."
)
for name, result in trained.items():
    record_run(
        "imdb",
        keys[name],
        {"vocabulary": vocabulary_size, "model": name},
        result,
        {"test_accuracy": test_accuracy(result, keys[name], matrices)},
    )
if subject in trained:
    player.report(
        lambda: {
            **lessons.training_fields(trained[subject]),
            "test_accuracy": test_accuracy(trained[subject], keys[subject], matrices),
        }
    )
comparison_table(trained, keys, matrices)
share_latest("imdb")
compare_panel("imdb")
review_section(trained, vocabulary_size)
st.subheader("What the network learned")
insight_view(trained, keys, vocabulary_size, matrices)
