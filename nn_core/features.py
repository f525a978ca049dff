"""Input features of a point (x1, x2) on the plane, as TensorFlow Playground offers them: the
network sees the chosen ones instead of the raw coordinates. With x1² and x2² a network
without hidden layers draws a circle; with x1 and x2 only, it draws a straight line."""

from __future__ import annotations

import numpy as np

# name -> (label as the page and the diagram show it, the feature of points [n, 2])
FEATURES = {
    "x1": ("x₁", lambda points: points[:, 0]),
    "x2": ("x₂", lambda points: points[:, 1]),
    "x1_squared": ("x₁²", lambda points: points[:, 0] ** 2),
    "x2_squared": ("x₂²", lambda points: points[:, 1] ** 2),
    "x1_x2": ("x₁·x₂", lambda points: points[:, 0] * points[:, 1]),
    "sin_x1": ("sin x₁", lambda points: np.sin(points[:, 0])),
    "sin_x2": ("sin x₂", lambda points: np.sin(points[:, 1])),
}
RAW = ("x1", "x2")  # the plane's coordinates as they are: what the chapter's networks see
# The same features written as NumPy expressions of x1 and x2, for the generated Keras code.
EXPRESSIONS = {
    "x1": "x1",
    "x2": "x2",
    "x1_squared": "x1 ** 2",
    "x2_squared": "x2 ** 2",
    "x1_x2": "x1 * x2",
    "sin_x1": "np.sin(x1)",
    "sin_x2": "np.sin(x2)",
}


def check(names) -> tuple[str, ...]:
    """The names as a tuple in FEATURES' order, or a ValueError saying what is wrong."""
    unknown = [name for name in names if name not in FEATURES]
    if unknown:
        raise ValueError(
            f"Unknown input feature {', '.join(map(repr, unknown))}: use {', '.join(FEATURES)}."
        )
    if not names:
        raise ValueError("Choose at least one input feature.")
    return tuple(name for name in FEATURES if name in names)


def expand(points: np.ndarray, names) -> np.ndarray:
    """float32 [n, len(names)]: each chosen feature of each point [n, 2]."""
    points = np.asarray(points, dtype=np.float32)
    return np.column_stack([FEATURES[name][1](points) for name in names]).astype(np.float32)


def padded(columns: np.ndarray, width: int = len(FEATURES)) -> np.ndarray:
    """[n, k] chosen features (or the plane's points) -> [n, width], zeros after the first k:
    every choice of features then trains one compiled network (nn_core.models.compiled_form),
    so switching a feature is a training, not a new XLA compilation (~1 s). Exact: a zero
    input's kernel row gets zero gradients, so it stays zero and adds nothing
    (nn_core.networks.Network)."""
    return np.pad(columns, ((0, 0), (0, width - columns.shape[1])))


def label(name: str) -> str:
    return FEATURES[name][0]
