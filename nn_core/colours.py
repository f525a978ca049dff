"""The app's colours, chosen to stay apart for colour-blind students, and the check that they do.

Class 0 is TensorFlow Playground's orange and class 1 its blue; series of a chart (training vs
validation, the IMDB models, runs) take SERIES colours in order and also differ by dash or
shape, so colour is never the only cue. simulate() applies the Machado, Oliveira and Fernandes
(2009) matrices for full deuteranopia and protanopia; delta_e() is the CIE 1976 colour
difference, which the tests require to stay at least 40 between any two colours of a chart
under both simulations.
"""

from __future__ import annotations

import itertools

import numpy as np

ORANGE, BLUE = "#f59322", "#0877bd"  # TensorFlow Playground's two classes
CLASS_COLOURS = (ORANGE, BLUE)  # class 0, class 1
# Classes 0-4 of a multi-class set (their shapes differ too: nn_core.charts.SHAPES); a
# purple is the one colour left that stays apart from the other four under both simulations.
MULTI_CLASS_COLOURS = (ORANGE, BLUE, "#222222", "#a0a0a0", "#8811ff")
# Up to four series in one chart; more series repeat them with other dashes.
SERIES = (BLUE, ORANGE, "#222222", "#a0a0a0")
HIGHLIGHT = "#222222"  # the sample the perceptron looks at, a chosen bar: dark on any shading
MINIMUM_DELTA_E = 40

# Machado et al. (2009), severity 1.0, applied to linear RGB.
SIMULATIONS = {
    "deuteranopia": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "protanopia": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
}


def _linear(hex_colour: str) -> np.ndarray:
    srgb = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)


def _lab(linear_rgb: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of a linear RGB colour."""
    to_xyz = np.array(
        [[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]
    )
    xyz = to_xyz @ np.clip(linear_rgb, 0, 1) / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def simulate(hex_colour: str, kind: str | None = None) -> np.ndarray:
    """The colour as L*a*b*, as seen with normal vision (kind None) or a simulated deficiency."""
    linear = _linear(hex_colour)
    return _lab(SIMULATIONS[kind] @ linear if kind else linear)


def delta_e(first: str, second: str, kind: str | None = None) -> float:
    return float(np.linalg.norm(simulate(first, kind) - simulate(second, kind)))


def closest_pair(colours, kinds=(None, *SIMULATIONS)) -> tuple[float, str, str, str | None]:
    """(smallest ΔE, colour, colour, vision) over all pairs of distinct colours and visions."""
    pairs = itertools.combinations(sorted(set(colours)), 2)
    return min(
        ((delta_e(a, b, kind), a, b, kind) for a, b in pairs for kind in kinds),
        default=(np.inf, "", "", None),
    )
