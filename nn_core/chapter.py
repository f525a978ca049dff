"""The chapter's settings and the results it prints, in one place.

Pages take their defaults from here, tests check the app against these values, and benches
run them against the chapter's own Keras code. Variants are built with dataclasses.replace,
e.g. replace(MOONS_NETWORK, hidden_units=(5,)).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from nn_core.data import MAX_CLASSES
from nn_core.models import ACTIVATIONS, ModelSpec, compiled_form, parameter_count
from nn_core.networks import OPTIMIZERS
from nn_core.training import TrainConfig

# ---------------------------------------------------------------------------- the MLP on moons


@dataclass(frozen=True)
class ToyData:
    """A generated 2-D data set and how much of it is held out for validation."""

    name: str = "moons"  # a name from nn_core.data.TOY_DATASETS
    samples: int = 200  # the chapter's make_moons(200, noise=0.40)
    noise: float = 0.4
    seed: int = 0  # the chapter's call is unseeded; 0 makes the app's runs repeatable
    # The chapter trains on all 200 points and judges the boundary by eye; the app holds out
    # 30% so that under- and overfitting show up as numbers.
    validation_share: float = 0.3


MOONS_DATA = ToyData()


def moons_split():
    """The chapter's moons, split as the MLP page splits them by default (a data.Split)."""
    from nn_core import data  # (data imports scikit-learn: only when the split is made)

    points, labels = data.make_toy_dataset(
        MOONS_DATA.name, MOONS_DATA.samples, MOONS_DATA.noise, MOONS_DATA.seed
    )
    return data.split_train_validation(points, labels, MOONS_DATA.validation_share, MOONS_DATA.seed)


# Dense(50, tanh) -> Dense(1, sigmoid), SGD(lr=1.0), 5,000 full-batch epochs.
MOONS_NETWORK = ModelSpec(input_size=2, hidden_units=(50,), activation="tanh")
MOONS_TRAINING = TrainConfig(optimizer="sgd", learning_rate=1.0, epochs=5000, batch_size=None)
# The MLP page records a replay of this many frames (weight snapshots inside the training
# loop) for networks up to MOONS_MAX_REPLAY_PARAMETERS; the server's warm-up compiles those
# replay loops, not the plain ones, so that the page finds them compiled.
MOONS_REPLAY_FRAMES = 30
MOONS_MAX_REPLAY_PARAMETERS = 5000
MOONS_SWEEP_UNITS = (1, 3, 5, 20, 50)  # the chapter's figure of five boundaries
# The MLP page's choices of units per hidden layer, and its most hidden layers.
MOONS_UNIT_CHOICES = (1, 2, 3, 4, 5, 8, 10, 15, 20, 30, 40, 50, 64, 75, 100)
MOONS_MAX_LAYERS = 4
# The MLP page's networks the server compiles in the background, every padded width of each
# (models.PADDED_WIDTHS): (activation, depths). The others compile when first asked for
# (~1.5-2 s); every depth of two activations would take the server 570 MiB, and a class's
# server must stay under 2 GiB.
MOONS_WARM_NETWORKS = (("tanh", (1, 0, 2)), ("relu", (1, 0)))


def moons_networks_to_compile() -> list[ModelSpec]:
    """One spec per compiled network (models.compiled_form) of MOONS_WARM_NETWORKS, the
    one-layer networks first (as the chapter varies their units), each on the plane and on
    input features at the chapter's width."""
    specs = [
        replace(MOONS_NETWORK, hidden_units=(units,) * depth, activation=activation)
        for activation, depths in MOONS_WARM_NETWORKS
        for depth in depths
        for units in MOONS_UNIT_CHOICES
    ]
    on_features = [
        replace(MOONS_NETWORK, activation=activation, input_size=1, input_features=("x1",))
        for activation, _ in MOONS_WARM_NETWORKS
    ]
    return _one_per(compiled_form, [*on_features, *specs])


def _one_per(key, items: list) -> list:
    """The first of the items for each key(item), in order: one per compiled loop."""
    distinct = {}
    for item in items:
        distinct.setdefault(key(item), item)
    return list(distinct.values())


MOONS_BATCH_SIZES = (8, 16, 32, 64, 128)  # the MLP page's mini-batch choices


def moons_trainings_to_keep() -> list[tuple[ModelSpec, TrainConfig]]:
    """The MLP page's trainings at the chapter's size that a helper process compiles into the
    disk cache (nn_core.precompile), one per compiled loop, so that a server finds them there
    (nn_core.xla_cache) without holding them all in memory: every activation, depth and
    padded width, on the plane and on input features; and for the chapter's network, every
    task, optimizer and batch size, and early stopping. Nearest the chapter's setting first
    (changes_from_chapter): a student changes one thing at a time, so those are on disk
    within a minute or two of the helper's start, not at the end of its ten minutes."""
    plane, on_features = MOONS_NETWORK, replace(MOONS_NETWORK, input_size=1, input_features=("x1",))
    specs = [
        replace(inputs, hidden_units=(units,) * depth, activation=activation)
        for inputs in (plane, on_features)
        for activation in ACTIVATIONS
        for depth in range(MOONS_MAX_LAYERS + 1)
        for units in MOONS_UNIT_CHOICES
    ]
    tasks = [replace(inputs, regression=True) for inputs in (plane, on_features)] + [
        replace(inputs, output_units=classes)
        for inputs in (plane, on_features)
        for classes in range(3, MAX_CLASSES + 1)
    ]
    trainings = [(spec, moons_training_for(spec)) for spec in (*specs, *tasks)]
    default = moons_training_for(MOONS_NETWORK)
    for inputs in (plane, on_features):
        trainings += [(inputs, replace(default, optimizer=name)) for name in OPTIMIZERS]
        trainings += [(inputs, replace(default, batch_size=size)) for size in MOONS_BATCH_SIZES]
        trainings.append((inputs, replace(default, patience=100)))
    distinct = _one_per(lambda training: compiled_training(*training), trainings)
    return sorted(distinct, key=lambda training: changes_from_chapter(*training))


def changes_from_chapter(spec: ModelSpec, config: TrainConfig) -> int:
    """How many steps a training's compiled loop is from the chapter's (changes_between)."""
    return changes_between((MOONS_NETWORK, MOONS_TRAINING), (spec, config))


def changes_between(training: tuple, other: tuple) -> int:
    """How many steps one training's compiled loop is from another's: activation, each
    layer more or fewer, padded width, input features or not, task, dropout or not,
    optimizer, batch size, early stopping or not."""
    (spec, config), (other_spec, other_config) = training, other
    form, other_form = compiled_form(spec), compiled_form(other_spec)
    width, other_width = form.hidden_units[:1], other_form.hidden_units[:1]  # (() without)
    return sum(
        (
            form.activation != other_form.activation,
            abs(len(form.hidden_units) - len(other_form.hidden_units)),
            bool(width and other_width and width != other_width),
            bool(spec.input_features) != bool(other_spec.input_features),
            _task(spec) != _task(other_spec),
            bool(spec.dropout_rate) != bool(other_spec.dropout_rate),
            config.optimizer != other_config.optimizer,
            config.batch_size != other_config.batch_size,
            bool(config.patience) != bool(other_config.patience),
        )
    )


def _task(spec: ModelSpec) -> tuple:
    return spec.regression, spec.output_units


def moons_trainings_near(spec: ModelSpec, config: TrainConfig) -> list[tuple]:
    """The MLP page's trainings one change from this one that run another compiled loop, one
    per loop, the changes students make most first: activation, units, layers, input
    features, dropout, optimizer, batch size, early stopping. (The disk-cache helper
    compiles them while the student looks at this one: nn_core.precompile.wish.)"""
    depth = len(spec.hidden_units)
    specs = [replace(spec, activation=name) for name in ACTIVATIONS if depth]
    units = spec.hidden_units
    specs += [
        replace(spec, hidden_units=units[:index] + (other,) + units[index + 1 :])
        for index in range(depth)
        # (the nearest widths first: a slider moves a step at a time)
        for other in sorted(MOONS_UNIT_CHOICES, key=lambda other: abs(other - units[index]))
    ]
    if depth:
        specs.append(replace(spec, hidden_units=units[:-1]))
    if depth < MOONS_MAX_LAYERS:
        specs.append(replace(spec, hidden_units=units + (units[-1:] or MOONS_NETWORK.hidden_units)))
    plane = replace(spec, input_size=2, input_features=())
    on_features = replace(spec, input_size=3, input_features=("x1", "x2", "x1_x2"))
    specs.append(plane if spec.input_features else on_features)
    specs.append(replace(spec, dropout_rate=0.0 if spec.dropout_rate else 0.25))
    trainings = [(other, _replayed_as_page_does(other, config)) for other in specs]
    configs = [replace(config, optimizer=name) for name in OPTIMIZERS]
    configs += [replace(config, batch_size=size) for size in (None, *MOONS_BATCH_SIZES)]
    configs.append(replace(config, patience=0 if config.patience else 100))
    trainings += [(spec, other) for other in configs]
    here = compiled_training(spec, config)
    distinct = _one_per(lambda training: compiled_training(*training), trainings)
    return [training for training in distinct if compiled_training(*training) != here]


def _replayed_as_page_does(spec: ModelSpec, config: TrainConfig) -> TrainConfig:
    """config with the replay the MLP page records for this network (moons_training_for)."""
    return replace(config, replay_frames=moons_training_for(spec).replay_frames)


def moons_training_for(spec: ModelSpec) -> TrainConfig:
    """The chapter's training as the MLP page runs it for this network: with a replay up to
    MOONS_MAX_REPLAY_PARAMETERS, in the plain loop beyond."""
    replayed = parameter_count(spec) <= MOONS_MAX_REPLAY_PARAMETERS
    return replace(MOONS_TRAINING, replay_frames=MOONS_REPLAY_FRAMES if replayed else 0)


def compiled_training(spec: ModelSpec, config: TrainConfig) -> tuple:
    """What decides which compiled loop a training runs (epochs, seeds and rates do not)."""
    watch = "early" if config.patience else "replay" if config.replay_frames else "plain"
    return compiled_form(spec), config.optimizer, config.batch_size, watch


@dataclass(frozen=True)
class Example:
    """One of the chapter's moons experiments and the verdict it illustrates."""

    label: str
    network: ModelSpec
    verdict: str  # a nn_core.diagnostics verdict kind


MOONS_EXAMPLES = {
    "underfit": Example(
        "1 unit: underfitting", replace(MOONS_NETWORK, hidden_units=(1,)), "underfitting"
    ),
    "overfit": Example("50 units: overfitting", MOONS_NETWORK, "overfitting"),
    # The chapter's regularization cell uses L1 0.001; its lesson (a smoother boundary that
    # holds up on new data) shows most clearly with L2 at the same rate.
    "l2": Example("50 units + L2 0.001", replace(MOONS_NETWORK, l2_rate=0.001), "good fit"),
    "dropout": Example(
        "50 units + dropout 0.25", replace(MOONS_NETWORK, dropout_rate=0.25), "good fit"
    ),
}

# ---------------------------------------------------------------------------- the perceptron page

# The hidden-layer fix for XOR and the single sigmoid neuron, trained on the perceptron's data.
XOR_NETWORK = ModelSpec(input_size=2, hidden_units=(4,), activation="tanh")
XOR_TRAINING = TrainConfig(optimizer="sgd", learning_rate=1.0, epochs=1000)
LOGISTIC_NEURON = ModelSpec(input_size=2, hidden_units=())
LOGISTIC_TRAINING = replace(XOR_TRAINING, epochs=500)

# ---------------------------------------------------------------------------- MNIST

# Flatten -> Dense(15, relu) -> Dense(10, softmax); the 0-255 -> 0-1 scaling happens inside
# the model (input_scale), so images stay uint8.
MNIST_NETWORK = ModelSpec(
    input_size=784, hidden_units=(15,), activation="relu", output_units=10, input_scale=1 / 255
)
MNIST_TRAINING = TrainConfig(optimizer="rmsprop", learning_rate=0.001, epochs=10, batch_size=128)
MNIST_PRINTED = {"parameters": 11_935, "test_accuracy": 0.92060}

# ---------------------------------------------------------------------------- IMDB

IMDB_VOCABULARY = 10_000  # num_words=10000
IMDB_VALIDATION_SIZE = 10_000  # "Set apart the first 10,000 reviews as validation data"
IMDB_TRAINING = TrainConfig(optimizer="rmsprop", learning_rate=0.001, epochs=20, batch_size=512)
IMDB_BASELINE = ModelSpec(input_size=IMDB_VOCABULARY, hidden_units=(16, 16), activation="relu")
_IMDB_SMALLER = replace(IMDB_BASELINE, hidden_units=(8, 8))
IMDB_PRESETS = {  # the chapter's four networks, in its order
    "baseline 16-16": IMDB_BASELINE,
    "smaller 8-8": _IMDB_SMALLER,
    "8-8 + L2 0.001": replace(_IMDB_SMALLER, l2_rate=0.001),
    "8-8 + L2 + dropout 0.5": replace(_IMDB_SMALLER, l2_rate=0.001, dropout_rate=0.5),
}
IMDB_PRINTED = {  # model.summary() totals and the test accuracies the chapter prints
    "parameters": {
        "baseline 16-16": 160_305,
        "smaller 8-8": 80_089,
        "8-8 + L2 0.001": 80_089,
        "8-8 + L2 + dropout 0.5": 80_089,
    },
    "test_accuracy": {"baseline 16-16": 0.85048, "8-8 + L2 + dropout 0.5": 0.87024},
}


def imdb_preset(name: str, vocabulary_size: int = IMDB_VOCABULARY) -> ModelSpec:
    """One of the chapter's IMDB networks for another vocabulary size."""
    return replace(IMDB_PRESETS[name], input_size=vocabulary_size)
