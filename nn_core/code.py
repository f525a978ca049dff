"""The Keras code of a setting, as the chapter's cells write it (Sequential, compile, fit), so a
student can take the network on screen to a notebook (TensorFlow Playground's most asked-for
export). The data is the data on screen: the chapter's sklearn call for moons and circles,
with the app's split; the points themselves for every other set and for drawn data."""

from __future__ import annotations

import numpy as np

from nn_core import features
from nn_core.data import validation_count
from nn_core.models import ModelSpec
from nn_core.training import TrainConfig

SKLEARN_SETS = {  # name -> the sklearn call that makes exactly the app's points
    "moons": "make_moons({samples}, noise={noise}, random_state={seed})",
    "circles": "make_circles({samples}, noise={noise} / 2, factor=0.5, random_state={seed})",
}
OPTIMIZER_CODE = {
    "sgd": "keras.optimizers.SGD(learning_rate={rate})",
    "momentum": "keras.optimizers.SGD(learning_rate={rate}, momentum=0.9)",
    "rmsprop": "keras.optimizers.RMSprop(learning_rate={rate})",
    "adam": "keras.optimizers.Adam(learning_rate={rate})",
}


def data_code(dataset: dict, validation_share: float, split=None) -> list[str]:
    """Lines that define x_train, y_train, x_val, y_val (plane points, before features).
    dataset: the page's {name, samples, noise, seed}; split: the points, written out, for
    sets sklearn does not make (and for drawn data, whose dataset is None)."""
    if dataset is not None and dataset["name"] in SKLEARN_SETS:
        call = SKLEARN_SETS[dataset["name"]].format(**dataset)
        held_out = validation_count(dataset["samples"], validation_share)
        return [
            f"from sklearn.datasets import make_{dataset['name']}",
            "",
            f"x, y = {call}",
            f"# As the app splits: {held_out} of {dataset['samples']} samples for validation",
            f"order = np.random.default_rng({dataset['seed']}).permutation(len(x))",
            f"x_val, y_val = x[order[:{held_out}]], y[order[:{held_out}]]",
            f"x_train, y_train = x[order[{held_out}:]], y[order[{held_out}:]]",
        ]
    return [
        "# The points on screen (x1, x2) and their labels",
        f"x_train = np.array({_rounded(split.x_train)})",
        f"y_train = np.array({_rounded(split.y_train)})",
        f"x_val = np.array({_rounded(split.x_validation)}).reshape(-1, 2)",
        f"y_val = np.array({_rounded(split.y_validation)})",
    ]


def _rounded(values: np.ndarray) -> list:
    values = np.asarray(values)
    if np.issubdtype(values.dtype, np.integer):
        return values.tolist()
    return np.round(values.astype(np.float64), 5).tolist()


def feature_code(spec: ModelSpec) -> list[str]:
    """Lines that turn the (x1, x2) points into the network's input features."""
    if not spec.input_features or spec.input_features == features.RAW:
        return []
    columns = ", ".join(features.EXPRESSIONS[name] for name in spec.input_features)
    return [
        "",
        "",
        "def input_features(points):",
        "    x1, x2 = points[:, 0], points[:, 1]",
        f"    return np.column_stack([{columns}])",
        "",
        "",
        "x_train, x_val = input_features(x_train), input_features(x_val)",
    ]


def model_code(spec: ModelSpec) -> list[str]:
    regularizer = _regularizer_code(spec)
    lines = ["model = keras.Sequential(", "    ["]
    lines.append(f"        keras.Input(shape=({spec.input_size},)),")
    for units in spec.hidden_units:
        lines.append(
            f'        keras.layers.Dense({units}, activation="{spec.activation}"{regularizer}),'
        )
        if spec.dropout_rate:
            lines.append(f"        keras.layers.Dropout({spec.dropout_rate:g}),")
    lines.append(
        f'        keras.layers.Dense({spec.output_units}, activation="{spec.output_activation}"),'
    )
    lines += ["    ]", ")"]
    return lines


def _regularizer_code(spec: ModelSpec) -> str:
    if spec.l1_rate and spec.l2_rate:
        penalty = f"L1L2(l1={spec.l1_rate:g}, l2={spec.l2_rate:g})"
    elif spec.l1_rate or spec.l2_rate:
        penalty = f"L1({spec.l1_rate:g})" if spec.l1_rate else f"L2({spec.l2_rate:g})"
    else:
        return ""
    return f", kernel_regularizer=keras.regularizers.{penalty}"


def _loss(spec: ModelSpec) -> str:
    if spec.regression:
        return "mean_squared_error"
    return "binary_crossentropy" if spec.binary else "sparse_categorical_crossentropy"


def training_code(spec: ModelSpec, config: TrainConfig) -> list[str]:
    optimizer = OPTIMIZER_CODE[config.optimizer].format(rate=repr(float(config.learning_rate)))
    metrics = "" if spec.regression else ', metrics=["accuracy"]'
    batch = "len(x_train),  # full batch" if config.batch_size is None else f"{config.batch_size},"
    lines = [
        f'model.compile(optimizer={optimizer}, loss="{_loss(spec)}"{metrics})',
        "",
    ]
    callbacks = ""
    if config.patience:
        restore = config.restore_best_weights
        lines += [
            "early_stopping = keras.callbacks.EarlyStopping(",
            '    monitor="val_loss" if len(x_val) else "loss",',
            f"    patience={config.patience},",
            f"    restore_best_weights={restore},",
            ")",
        ]
        callbacks = "    callbacks=[early_stopping],"
    lines += [
        "history = model.fit(",
        "    x_train,",
        "    y_train,",
        f"    epochs={config.epochs},",
        f"    batch_size={batch}",
        "    validation_data=(x_val, y_val) if len(x_val) else None,",
        *([callbacks] if callbacks else []),
        "    verbose=0,",
        ")",
        "print({name: values[-1] for name, values in history.history.items()})",
    ]
    return lines


def keras_code(
    spec: ModelSpec, config: TrainConfig, dataset: dict | None, validation_share: float, split
) -> str:
    """A runnable script: data, features, model, compile, fit. (Seeds aside: Keras draws its
    own initial weights, so its curves differ from the page's run in detail, not in kind.)"""
    lines = [
        "import keras",
        "import numpy as np",
        *data_code(dataset, validation_share, split),
        *feature_code(spec),
        "",
        *model_code(spec),
        "model.summary()",
        "",
        *training_code(spec, config),
    ]
    return "\n".join(lines) + "\n"
