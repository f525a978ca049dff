"""Hyperparameter widgets several pages share. Each returns plain values; keys get the page's
prefix so they stay unique per page and tests can address them."""

from __future__ import annotations

import streamlit as st

from nn_core.models import ACTIVATIONS
from nn_core.networks import OPTIMIZERS

# Log-friendly choices: the chapter's values are all on these ladders.
RATE_CHOICES = (0.0, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1)
LEARNING_RATES = (0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0)
OPTIMIZER_LABELS = {
    "sgd": "SGD",
    "momentum": "SGD + momentum 0.9",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}


def architecture_controls(
    prefix: str,
    layers: tuple[int, int, int],
    unit_choices,
    default_units: int,
    default_activation: str,
):
    """Number of hidden layers (min, max, default) and units per layer; returns
    (hidden_units tuple, activation)."""
    low, high, default_layers = layers
    count = st.sidebar.slider("Hidden layers", low, high, default_layers, key=f"{prefix}_layers")
    hidden_units = tuple(
        st.sidebar.select_slider(
            f"Units in hidden layer {index + 1}",
            unit_choices,
            default_units,
            key=f"{prefix}_units_{index}",
        )
        for index in range(count)
    )
    activation = st.sidebar.selectbox(
        "Activation",
        ACTIVATIONS,
        index=ACTIVATIONS.index(default_activation),
        key=f"{prefix}_activation",
    )
    return hidden_units, activation


def optimizer_controls(prefix: str, default_optimizer: str, default_learning_rate: float):
    """(optimizer name, learning rate)."""
    optimizer = st.sidebar.selectbox(
        "Optimizer",
        OPTIMIZERS,
        index=OPTIMIZERS.index(default_optimizer),
        format_func=OPTIMIZER_LABELS.get,
        key=f"{prefix}_optimizer",
    )
    learning_rate = st.sidebar.select_slider(
        "Learning rate", LEARNING_RATES, default_learning_rate, key=f"{prefix}_learning_rate"
    )
    return optimizer, learning_rate


def regularization_controls(prefix: str):
    """(L1 rate, L2 rate, dropout rate); 0 means off."""
    l1_rate = st.sidebar.select_slider("L1 rate", RATE_CHOICES, 0.0, key=f"{prefix}_l1")
    l2_rate = st.sidebar.select_slider("L2 rate", RATE_CHOICES, 0.0, key=f"{prefix}_l2")
    dropout_rate = st.sidebar.slider("Dropout rate", 0.0, 0.8, 0.0, 0.05, key=f"{prefix}_dropout")
    return l1_rate, l2_rate, dropout_rate
