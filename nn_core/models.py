"""A frozen description of a network (ModelSpec) and the keras.Model it builds."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import keras

from nn_core import features

ACTIVATIONS = ("tanh", "relu", "sigmoid", "linear")


@dataclass(frozen=True)
class ModelSpec:
    """Everything that fixes a network's architecture; hashable, so it can key caches."""

    input_size: int = 2  # features per sample: 2 for the plane, 784 for MNIST, vocabulary for IMDB
    hidden_units: tuple[int, ...] = (50,)  # the chapter's moons network: one layer of 50
    activation: str = "tanh"  # the chapter uses tanh on moons, relu on MNIST and IMDB
    l1_rate: float = 0.0  # kernel L1 penalty on every hidden layer (0 = none)
    l2_rate: float = 0.0  # kernel L2 penalty on every hidden layer (0 = none)
    dropout_rate: float = 0.0  # Dropout after every hidden layer (0 = none)
    output_units: int = 1  # 1 = sigmoid binary output, more = softmax over that many classes
    # Inputs are multiplied by this first. MNIST uses 1/255: the chapter's 0-255 -> 0-1 step
    # done inside the model, so 60,000 images stay uint8 (47 MB instead of 188 MB as float32)
    # and a downloaded model takes raw pixels.
    input_scale: float = 1.0
    # Points of the plane enter as these features of (x1, x2) (nn_core.features), computed
    # by the engine before the first layer; () feeds the data as it is.
    input_features: tuple[str, ...] = ()
    # True: one linear output unit predicting a number, trained on the mean squared error
    # (Playground's regression sets); False: classes (sigmoid or softmax output).
    regression: bool = False

    def __post_init__(self):
        object.__setattr__(self, "hidden_units", tuple(int(u) for u in self.hidden_units))
        if self.input_features:
            object.__setattr__(self, "input_features", features.check(self.input_features))
            if self.input_size != len(self.input_features):
                raise ValueError(
                    f"{len(self.input_features)} input features but input_size {self.input_size}."
                )
        if self.regression and self.output_units != 1:
            raise ValueError("A regression network has one output unit.")
        if self.input_size < 1:
            raise ValueError("A network needs at least one input feature.")
        if any(units < 1 for units in self.hidden_units):
            raise ValueError("Every hidden layer needs at least one unit.")
        if any(units > 4096 for units in self.hidden_units):
            raise ValueError("Hidden layers are limited to 4,096 units to keep training fast.")
        if self.activation not in ACTIVATIONS:
            raise ValueError(
                f"Unknown activation '{self.activation}': use {', '.join(ACTIVATIONS)}."
            )
        if not (0 <= self.l1_rate <= 1 and 0 <= self.l2_rate <= 1):
            raise ValueError("L1 and L2 rates must be between 0 and 1.")
        if not 0 <= self.dropout_rate < 1:
            raise ValueError(
                "The dropout rate must be at least 0 and below 1 (1 drops every unit)."
            )
        if self.output_units < 1 or self.output_units == 2:
            raise ValueError("Use 1 output unit for two classes, or one unit per class for more.")
        if self.dropout_rate and not self.hidden_units:
            raise ValueError("Dropout needs at least one hidden layer to act on.")

    @property
    def binary(self) -> bool:
        """Two classes, one sigmoid output unit."""
        return self.output_units == 1 and not self.regression

    @property
    def float_labels(self) -> bool:
        """Labels are numbers (0/1 for a sigmoid, values for regression), not class indices."""
        return self.output_units == 1

    @property
    def output_activation(self) -> str:
        if self.regression:
            return "linear"
        return "sigmoid" if self.binary else "softmax"


# Networks with at most this many inputs and units per layer (the plane's: Playground's and
# the chapter's moons) are trained in a padded compiled form: every hidden layer as wide as
# the first of PADDED_WIDTHS that holds the widest. So the MLP page's architectures are a few
# compiled networks per activation and choice of inputs, which the server's warm-up
# compiles, instead of one per setting at ~1.5 s of tracing and XLA each. The widths: the
# chapter's 50 is one (padded to 64, its two-layer training took 35% longer), and 128, not
# 100 (100 units trained 3 times slower than 128 under XLA). The inputs are not padded:
# XLA's product with the plane's 2 inputs takes half the time of one with 3 or more. (Nor is
# the activation read, as the rates are: computing all four for every unit doubled the time.)
SMALL_MAX_INPUTS = len(features.FEATURES)  # the plane with every input feature
PADDED_WIDTHS = (8, 16, 32, 50, 64, 128)


def is_small(spec: ModelSpec) -> bool:
    """Trained padded (see PADDED_WIDTHS)."""
    return (
        spec.input_size <= SMALL_MAX_INPUTS
        and spec.input_scale == 1.0
        and all(units <= PADDED_WIDTHS[-1] for units in spec.hidden_units)
    )


def padded_width(hidden_units: tuple[int, ...]) -> int:
    """The width every hidden layer of a small network is compiled at."""
    widest = max(hidden_units, default=1)
    return next(width for width in PADDED_WIDTHS if width >= widest)


def compiled_form(spec: ModelSpec) -> ModelSpec:
    """The spec a pooled network is built and compiled for. Regularization rates are values
    the network reads while it trains (nn_core.networks.Network.configure), so every L1, L2
    and dropout setting of an architecture shares one compiled network: a move of those
    sliders costs a training (~0.05 s at the chapter's size), not a new XLA compilation
    (~1 s of CPU). Only whether there is dropout changes the layers. The plane's input
    features are all fed, those not chosen as zeros; and a small network's layers are all
    padded_width wide (see PADDED_WIDTHS)."""
    compiled = replace(
        spec,
        l1_rate=0.0,
        l2_rate=0.0,
        dropout_rate=0.5 if spec.dropout_rate else 0.0,
        # Features are computed before the network and padded to all of them
        # (nn_core.features.padded): every choice of features shares one compiled network.
        input_features=(),
        input_size=len(features.FEATURES) if spec.input_features else spec.input_size,
    )
    if not is_small(spec):
        return compiled
    return replace(
        compiled,
        hidden_units=(padded_width(spec.hidden_units),) * len(spec.hidden_units),
        # Without hidden layers the activation is not used: one network for all of them.
        activation=spec.activation if spec.hidden_units else ACTIVATIONS[0],
    )


def _regularizer(spec: ModelSpec):
    if spec.l1_rate and spec.l2_rate:
        return keras.regularizers.L1L2(l1=spec.l1_rate, l2=spec.l2_rate)
    if spec.l1_rate:
        return keras.regularizers.L1(spec.l1_rate)
    if spec.l2_rate:
        return keras.regularizers.L2(spec.l2_rate)
    return None


def build_model(spec: ModelSpec) -> keras.Sequential:
    """The Sequential network the chapter would write for this spec (Dense, Dropout, Dense...)."""
    layers: list[keras.layers.Layer] = [keras.Input(shape=(spec.input_size,))]
    if spec.input_scale != 1.0:
        layers.append(keras.layers.Rescaling(spec.input_scale))
    for units in spec.hidden_units:
        layers.append(
            keras.layers.Dense(
                units, activation=spec.activation, kernel_regularizer=_regularizer(spec)
            )
        )
        if spec.dropout_rate:
            layers.append(keras.layers.Dropout(spec.dropout_rate))
    layers.append(keras.layers.Dense(spec.output_units, activation=spec.output_activation))
    return keras.Sequential(layers)


def keras_file(spec: ModelSpec, weights) -> bytes:
    """The trained network as a .keras file (architecture + weights; the modern form of the
    chapter's model.json + model.h5), ready for keras.models.load_model."""
    model = build_model(spec)
    model.set_weights(weights)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "model.keras"
        model.save(path)
        return path.read_bytes()


def parameter_count(spec: ModelSpec) -> int:
    """Number of trainable weights, computed without building the model."""
    sizes = [spec.input_size, *spec.hidden_units, spec.output_units]
    return sum((fan_in + 1) * fan_out for fan_in, fan_out in zip(sizes, sizes[1:], strict=False))


def summary_table(spec: ModelSpec) -> list[dict]:
    """Rows of model.summary(): layer, output shape, parameters (for a page table)."""
    rows, fan_in = [], spec.input_size
    for index, units in enumerate(spec.hidden_units, start=1):
        rows.append(
            {
                "layer": f"Dense {index} ({spec.activation})",
                "output shape": f"(None, {units})",
                "parameters": (fan_in + 1) * units,
            }
        )
        if spec.dropout_rate:
            rows.append(
                {
                    "layer": f"Dropout {spec.dropout_rate:g}",
                    "output shape": f"(None, {units})",
                    "parameters": 0,
                }
            )
        fan_in = units
    rows.append(
        {
            "layer": f"Dense output ({spec.output_activation})",
            "output shape": f"(None, {spec.output_units})",
            "parameters": (fan_in + 1) * spec.output_units,
        }
    )
    return rows
