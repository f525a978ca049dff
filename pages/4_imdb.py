"""Overfitting on real movie reviews, and three ways to fight it (the chapter's IMDB sections)."""

import html

import numpy as np
import pandas as pd
import streamlit as st

from nn_core import charts, data, experiments, models, training
from ui.cache import (
    cached,
    imdb,
    imdb_matrices,
    imdb_word_index,
    imdb_words_by_index,
    stored_result,
    train_cached,
)
from ui.controls import optimizer_controls, regularization_controls
from ui.layout import setup_page, show_error
from ui.params import PageParams
from ui.runs import compare_panel
from ui.runs import record as record_run

VOCABULARY_SIZES = (1000, 2000, 5000, 10000, 15000, 20000)
CHAPTER_TRAINING = dict(optimizer="rmsprop", learning_rate=0.001, epochs=20, batch_size=512)
PRESETS = {  # the chapter's four networks
    "baseline 16-16": dict(hidden_units=(16, 16)),
    "smaller 8-8": dict(hidden_units=(8, 8)),
    "8-8 + L2 0.001": dict(hidden_units=(8, 8), l2_rate=0.001),
    "8-8 + L2 + dropout 0.5": dict(hidden_units=(8, 8), l2_rate=0.001, dropout_rate=0.5),
}
CUSTOM = "custom (sidebar)"

setup_page(
    "IMDB: watch a network overfit, then fix it",
    ":material/movie:",
    "25,000 movie reviews, each a set of words, labelled positive or negative. The chapter's "
    "baseline (two layers of 16 ReLU units) learns the training set by heart: its validation "
    "loss is lowest after a few epochs and then climbs. Train the baseline, then the smaller, "
    "L2 and dropout networks, and compare their validation curves on one chart.",
)


def data_controls(params):
    params.header("Data")
    return params.select_slider(
        "vocabulary", "Vocabulary (most frequent words kept)", VOCABULARY_SIZES, 10000
    )


def custom_controls(params):
    params.header("Custom model")
    layers = params.slider("layers", "Hidden layers", 1, 3, 2)
    units = params.select_slider("units", "Units per layer", (4, 8, 16, 32, 64), 16)
    optimizer, learning_rate = optimizer_controls(params, "rmsprop", 0.001)
    epochs = params.slider("epochs", "Epochs", 1, 40, 20)
    batch_size = params.select_slider("batch", "Batch size", (64, 128, 256, 512, 1024), 512)
    l1_rate, l2_rate, dropout_rate = regularization_controls(params)
    seed = int(params.number("seed", "Seed (all models)", 0, 9999, 0))
    params.link_help()
    params.sync()
    architecture = dict(
        hidden_units=(units,) * layers, l1_rate=l1_rate, l2_rate=l2_rate, dropout_rate=dropout_rate
    )
    config = training.TrainConfig(optimizer, learning_rate, epochs, batch_size, seed)
    return architecture, config


def model_settings(vocabulary_size, custom_architecture, custom_config):
    """name -> (ModelSpec, TrainConfig) for the presets and the custom model."""
    settings = {}
    chapter = training.TrainConfig(**CHAPTER_TRAINING, seed=custom_config.seed)
    for name, architecture in {**PRESETS, CUSTOM: custom_architecture}.items():
        spec = models.ModelSpec(vocabulary_size, activation="relu", **architecture)
        settings[name] = (spec, custom_config if name == CUSTOM else chapter)
    return settings


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


def train_models(names, settings, vocabulary_size, matrices):
    bar = st.progress(0.0, text="Training…")
    for position, name in enumerate(names):
        spec, config = settings[name]
        bar.progress(
            position / len(names), text=f"Training {name} ({position + 1} of {len(names)})"
        )
        train_cached(
            run_key(vocabulary_size, spec, config),
            lambda progress, spec=spec, config=config: training.train_split(
                spec, config, matrices, progress
            ),
            name,
        )
    bar.empty()


def run_key(vocabulary_size, spec, config):
    return ("imdb", vocabulary_size, spec, config)


def test_probabilities(result, key, matrices):
    return cached(("imdb test", key), lambda: training.predict(result, matrices.x_test)[:, 0])


def test_accuracy(result, key, matrices) -> float:
    predicted = test_probabilities(result, key, matrices) > 0.5
    return float(np.mean(predicted == matrices.y_test))


def summary_table(results, keys, matrices):
    rows = []
    for name, result in results.items():
        history = result.history
        best = experiments.best_epoch(history["val_loss"])
        rows.append(
            {
                "model": name,
                "parameters": result.parameter_count,
                "best epoch": best,
                "best validation loss": history["val_loss"].iloc[best - 1],
                "final validation loss": history["val_loss"].iloc[-1],
                "final validation accuracy": history["val_accuracy"].iloc[-1],
                "test accuracy": test_accuracy(result, keys[name], matrices),
                "seconds": result.seconds,
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "best validation loss": st.column_config.NumberColumn(format="%.4f"),
            "final validation loss": st.column_config.NumberColumn(format="%.4f"),
            "final validation accuracy": st.column_config.NumberColumn(format="percent"),
            "test accuracy": st.column_config.NumberColumn(format="percent"),
            "seconds": st.column_config.NumberColumn(format="%.1f"),
        },
    )


def insight_view(results, keys, vocabulary_size, matrices):
    name = st.selectbox("Model to inspect", list(results), key="imdb_inspect")
    result = results[name]
    influence = cached(
        ("imdb influence", keys[name]), lambda: experiments.word_influence(result, vocabulary_size)
    )
    words = imdb_words_by_index()
    # Indices 0-2 are markers and 3 is never used: rank only real words (the unused index's
    # untrained weights once topped the chart as "?").
    first_word = data.IMDB_INDEX_FROM + 1
    order = first_word + np.argsort(influence[first_word:])
    top = pd.DataFrame(
        [
            {"word": words.get(int(i), "?"), "influence": float(influence[i])}
            for i in order[-15:][::-1]
        ]
        + [{"word": words.get(int(i), "?"), "influence": float(influence[i])} for i in order[:15]]
    )
    st.caption(
        "Influence of a word: the predicted probability of *positive* for a review made "
        "of that word alone, minus the one for an empty review (the real network, ReLUs "
        "included)."
    )
    st.altair_chart(charts.word_influence(top), width="stretch")
    probabilities = test_probabilities(result, keys[name], matrices)
    wrong = np.flatnonzero((probabilities > 0.5) != matrices.y_test)
    st.markdown(f"**{len(wrong):,} test reviews misclassified.** The first three:")
    reviews = imdb(vocabulary_size).test
    for index in wrong[:3]:
        label = "positive" if matrices.y_test[index] else "negative"
        with st.container(border=True):
            st.markdown(
                f"True label **{label}**, predicted positive with probability "
                f"**{probabilities[index]:.2f}**"
            )
            text = data.decode_review(reviews.review(index), words)
            st.write(text[:1200] + ("…" if len(text) > 1200 else ""))


MAX_REVIEW_WORDS = 1000  # longer texts are cut: more words add little and slow the answer


@st.fragment
def review_section(results, vocabulary_size):
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
    columns = st.columns(min(len(results), 2))
    for position, (name, result) in enumerate(results.items()):
        probability, contributions = experiments.review_contributions(
            result, encoded, vocabulary_size
        )
        with columns[position % len(columns)].container(border=True):
            verdict = "positive" if probability > 0.5 else "negative"
            st.metric(name, f"{verdict} ({probability:.0%} positive)")
            st.html(highlighted(words, encoded[1:], contributions))
    st.caption(
        "Green words pushed towards positive, red towards negative (how much the answer "
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
            colour = "44,160,44" if value > 0 else "214,39,40"
            style = f"background:rgba({colour},{abs(value) * 0.6:.2f});border-radius:3px"
        spans.append(f'<span style="{style}">{html.escape(word)}</span>')
    return f'<p style="line-height:1.8">{" ".join(spans)}</p>'


try:
    params = PageParams("imdb")
    vocabulary_size = data_controls(params)
    custom_architecture, custom_config = custom_controls(params)
    matrices = imdb_matrices(vocabulary_size)
    settings = model_settings(vocabulary_size, custom_architecture, custom_config)
except (data.DatasetError, ValueError) as error:
    show_error(error)

data_preview(vocabulary_size, matrices)
chosen = st.multiselect("Models", list(settings), list(PRESETS), key="imdb_models")
keys = {name: run_key(vocabulary_size, *settings[name]) for name in chosen}
missing = [name for name in chosen if stored_result(keys[name]) is None]
if st.button(
    f"Train {len(missing)} model(s)" if missing else "All chosen models are trained",
    key="imdb_train",
    type="primary",
    icon=":material/play_arrow:",
    disabled=not missing,
):
    train_models(missing, settings, vocabulary_size, matrices)
results = {name: stored_result(keys[name]) for name in chosen if stored_result(keys[name])}
if not results:
    st.info(
        "Choose models and press **Train** (about 5 s each with the chapter's settings). Once "
        "a model is trained you can write your own review and see every word's effect.",
        icon=":material/info:",
    )
    st.stop()

metric = st.radio("Curve", ["loss", "accuracy"], horizontal=True, key="imdb_metric")
shaded = st.selectbox("Shade the training/validation gap of", list(results), key="imdb_shaded")
st.altair_chart(
    charts.compare_curves({n: r.history for n, r in results.items()}, metric, shaded),
    width="stretch",
)
st.caption(
    "Losses are the data loss (binary cross-entropy), without the L2 penalty, so models "
    "with and without regularization compare fairly."
)
for name, result in results.items():
    record_run(
        "imdb",
        keys[name],
        {"vocabulary": vocabulary_size, "model": name},
        result,
        {"test_accuracy": test_accuracy(result, keys[name], matrices)},
    )
summary_table(results, keys, matrices)
compare_panel("imdb")
review_section(results, vocabulary_size)
st.subheader("What the network learned")
insight_view(results, keys, vocabulary_size, matrices)
