"""Hyperparameter widgets several pages share. Each returns plain values named as the fields
of ModelSpec or TrainConfig, so a page builds its network with dataclasses.replace; widgets go
through the page's PageParams, so their keys are unique per page and their values live in the
URL."""

from __future__ import annotations

from nn_core.models import ACTIVATIONS, ModelSpec
from nn_core.networks import OPTIMIZERS
from nn_core.training import TrainConfig
from ui.params import PageParams

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
    params: PageParams, layers: tuple[int, int, int], unit_choices, default: ModelSpec
):
    """Number of hidden layers (min, max, default) and units per layer, starting from the
    default network's; returns {hidden_units, activation}."""
    low, high, default_layers = layers
    count = params.slider("layers", "Hidden layers", low, high, default_layers)
    default_units = default.hidden_units[0] if default.hidden_units else unit_choices[0]
    hidden_units = tuple(
        params.select_slider(
            f"units_{index}", f"Units in hidden layer {index + 1}", unit_choices, default_units
        )
        for index in range(count)
    )
    activation = params.selectbox("activation", "Activation", ACTIVATIONS, default.activation)
    return {"hidden_units": hidden_units, "activation": activation}


def optimizer_controls(params: PageParams, default: TrainConfig):
    """{optimizer, learning_rate}, starting from the default training setting's."""
    optimizer = params.selectbox(
        "optimizer", "Optimizer", OPTIMIZERS, default.optimizer, format_func=OPTIMIZER_LABELS.get
    )
    learning_rate = params.select_slider(
        "learning_rate", "Learning rate", LEARNING_RATES, default.learning_rate
    )
    return {"optimizer": optimizer, "learning_rate": learning_rate}


def regularization_controls(params: PageParams):
    """{l1_rate, l2_rate, dropout_rate}; 0 means off."""
    l1_rate = params.select_slider("l1", "L1 rate", RATE_CHOICES, 0.0)
    l2_rate = params.select_slider("l2", "L2 rate", RATE_CHOICES, 0.0)
    dropout_rate = params.slider("dropout", "Dropout rate", 0.0, 0.8, 0.0, 0.05)
    return {"l1_rate": l1_rate, "l2_rate": l2_rate, "dropout_rate": dropout_rate}


def search_choices(layers: tuple, epochs: tuple, batches: tuple) -> dict:
    """The search panel's parameters every network page offers beside its own (units, rates,
    data): name -> (label, choices, values chosen at first). layers, epochs, batches: the
    page's ladder and the values chosen at first, e.g. ((1, 2, 3), [1, 2])."""
    return {
        "layers": ("Hidden layers", *layers),
        "activation": ("Activation", ACTIVATIONS, ["tanh", "relu"]),
        "optimizer": ("Optimizer", OPTIMIZERS, ["sgd", "adam"]),
        "batch_size": ("Batch size", *batches),
        "epochs": ("Epochs", *epochs),
        "l1": ("L1 rate", RATE_CHOICES, [0.0, 0.001]),
    }


def choice_label(value) -> str:
    """A search value as the sidebar shows it (optimizers by name)."""
    return OPTIMIZER_LABELS.get(value, str(value)) if isinstance(value, str) else str(value)


def widget_values(prefix: str, spec: ModelSpec, config: TrainConfig, one_width=False) -> dict:
    """The session-state values that set a page's sidebar to this network and training (a
    chapter example's, a search trial's): keys as architecture_controls, optimizer_controls and
    regularization_controls name them. one_width: the page has one "units" slider for every
    layer (IMDB's custom model)."""
    values = {
        "activation": spec.activation,
        "layers": len(spec.hidden_units),
        "optimizer": config.optimizer,
        "learning_rate": config.learning_rate,
        "epochs": config.epochs,
        "batch": config.batch_size or "full batch",
        "l1": spec.l1_rate,
        "l2": spec.l2_rate,
        "dropout": spec.dropout_rate,
    }
    if one_width and spec.hidden_units:
        values["units"] = spec.hidden_units[0]
    else:
        values.update({f"units_{index}": units for index, units in enumerate(spec.hidden_units)})
    return {f"{prefix}_{name}": value for name, value in values.items()}
