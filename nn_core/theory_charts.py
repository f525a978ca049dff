"""Altair charts for the theory pages: activation functions, a 1-D fit and its bumps, a loss
surface with a gradient-descent path, and curves compared by name."""

from __future__ import annotations

import functools
import html
import json

import altair as alt
import numpy as np
import pandas as pd

from nn_core.charts import image_layer, png_data_url, series_colour, series_dash, titled
from nn_core.colours import BLUE, ORANGE, SERIES
from nn_core.theory import CURVE_Z, VANISHING, activation_curve


def activation_chart(
    name: str, z, values, derivative, probe: float, height: int = 220, width: int = 330
):
    """f(z) (solid) and f'(z) (dashed), the probe z as a rule, and shaded where the derivative
    is below VANISHING: there a unit passes almost no gradient back (saturated or dead)."""
    frame = pd.DataFrame({"z": z, "f(z)": values, "f'(z)": derivative}).melt(
        "z", var_name="curve", value_name="value"
    )
    curves = (
        alt.Chart(frame)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X("z:Q", title="z"),
            y=alt.Y("value:Q", title=None),
            strokeDash=series_dash("curve", ["f(z)", "f'(z)"]),
            color=series_colour("curve", ["f(z)", "f'(z)"]),
            tooltip=[
                alt.Tooltip("curve:N"),
                alt.Tooltip("z:Q", format=".2f"),
                alt.Tooltip("value:Q", format=".3f"),
            ],
        )
    )
    flat = _runs(np.asarray(z), np.abs(np.asarray(derivative)) < VANISHING)
    bands = (
        alt.Chart(pd.DataFrame(flat, columns=["start", "end"]))
        .mark_rect(color=SERIES[3], opacity=0.25)
        .encode(x=alt.X("start:Q"), x2=alt.X2("end:Q"))
    )
    rule = alt.Chart().mark_rule(strokeWidth=2).encode(x=alt.XDatum(probe, type="quantitative"))
    return alt.layer(bands, curves, rule).properties(height=height, width=width, **titled(name))


_PROBE_MARK = 1234.5678  # stands for the probe in the cached spec below


@functools.lru_cache(maxsize=1)
def _activation_panels_json() -> str:
    panels = [
        activation_chart(name, CURVE_Z, *activation_curve(name), _PROBE_MARK, 200)
        for name in ("step", "sigmoid", "tanh", "relu")
    ]
    title = "Activation functions f (solid) and their slopes f' (dashed)"
    return alt.concat(*panels, columns=2).properties(**titled(title)).to_json()


def activation_panels(probe: float) -> dict:
    """The four activation charts as one Vega-Lite spec with the probe at z = probe. The
    curves never change, so the spec is built once and only the probe is put in: building
    and checking the charts again took most of a probe move's time."""
    return json.loads(_activation_panels_json().replace(str(_PROBE_MARK), repr(float(probe))))


def _runs(z: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """The z intervals where mask holds."""
    runs, start = [], None
    for value, inside in zip(z, mask, strict=True):
        if inside and start is None:
            start = value
        if not inside and start is not None:
            runs.append((start, value))
            start = None
    if start is not None:
        runs.append((start, z[-1]))
    return runs


def approximation_chart(x, target, fit, contributions, points=None, height: int = 360):
    """The target (None when fitting the student's points), the network's fit, and each hidden
    unit's weighted output (thin lines): the fit is their sum plus the output bias."""
    curves = {"network's fit": fit} if target is None else {"target": target, "network's fit": fit}
    fit_frame = pd.DataFrame({"x": x, **curves}).melt("x", var_name="curve", value_name="y")
    # The fit blue and solid, the target grey and dashed: orange is the units' colour here.
    looks = {"network's fit": (BLUE, [1, 0]), "target": (SERIES[3], [6, 4])}
    shown = [name for name in looks if name in curves]
    lines = (
        alt.Chart(fit_frame)
        .mark_line(strokeWidth=3)
        .encode(
            x=alt.X("x:Q"),
            y=alt.Y("y:Q", title="y"),
            color=alt.Color(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=shown, range=[looks[name][0] for name in shown]),
            ),
            strokeDash=alt.StrokeDash(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=shown, range=[looks[name][1] for name in shown]),
            ),
        )
    )
    unit_frame = pd.DataFrame(
        [
            {"x": value, "unit": unit + 1, "contribution": row[index]}
            for unit, row in enumerate(contributions)
            for index, value in enumerate(x)
            if index % 4 == 0  # a quarter of the points draw the bumps just as well
        ]
    )
    bumps = (
        alt.Chart(unit_frame)
        .mark_line(strokeWidth=1, opacity=0.55, color=ORANGE)
        .encode(
            x=alt.X("x:Q"),
            y=alt.Y("contribution:Q"),
            detail=alt.Detail("unit:N"),
            tooltip=[alt.Tooltip("unit:N")],
        )
    )
    layers = [bumps, lines]
    if points is not None:
        layers.append(
            alt.Chart(points)
            .mark_point(size=70, filled=True, color=SERIES[2])
            .encode(x=alt.X("x:Q"), y=alt.Y("y:Q"))
        )
    return alt.layer(*layers).properties(
        height=height, **titled("Fit, target and the contribution of each unit (orange)")
    )


def loss_surface_chart(w_values, b_values, surface, path, size: int = 420):
    """The loss over (w, b) as a shaded image (darker = lower, log scale), with the descent
    path drawn as numbered points joined by a line."""
    levels = np.log10(surface - surface.min() + 1e-3)
    scaled = (levels - levels.min()) / (levels.max() - levels.min())
    # Light (high loss) to deep blue (low loss); row 0 of the image is the top (highest b).
    low, high = np.array([8, 119, 189]), np.array([250, 250, 250])
    rgb = (low * (1 - scaled[..., None]) + high * scaled[..., None]).astype(np.uint8)[::-1]
    w_range = (float(w_values[0]), float(w_values[-1]))
    b_range = (float(b_values[0]), float(b_values[-1]))
    image = image_layer(png_data_url(rgb), w_range, b_range, titles=("weight w", "bias b"))
    steps = pd.DataFrame(path, columns=["w", "b", "loss"]).assign(step=np.arange(len(path)))
    line = (
        alt.Chart(steps)
        .mark_line(
            color=ORANGE,
            strokeWidth=2,
            clip=True,
            point=alt.OverlayMarkDef(color=ORANGE, size=40, filled=True, shape="diamond"),
        )
        .encode(
            x=alt.X("w:Q"),
            y=alt.Y("b:Q"),
            order=alt.Order("step:Q"),
            tooltip=[
                alt.Tooltip("step:Q"),
                alt.Tooltip("w:Q", format=".3f"),
                alt.Tooltip("b:Q", format=".3f"),
                alt.Tooltip("loss:Q", format=".4f"),
            ],
        )
    )
    return alt.layer(image, line).properties(
        width=size, height=size, **titled("Loss surface and the path of gradient descent")
    )


def named_curves(
    frame: pd.DataFrame, x: str, y: str, series: str, title: str, height=300, log=False
):
    """One line per value of `series` (each its own colour and dash), e.g. loss per step;
    log: a logarithmic y axis, for curves that start far above where they end."""
    names = list(dict.fromkeys(frame[series]))
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X(f"{x}:Q", title=x, axis=alt.Axis(format=",d", tickMinStep=1)),  # counts
            y=alt.Y(
                f"{y}:Q", title=y, scale=alt.Scale(type="log") if log else alt.Scale(zero=False)
            ),
            color=series_colour(series, names),
            strokeDash=series_dash(series, names),
            tooltip=[
                alt.Tooltip(f"{series}:N"),
                alt.Tooltip(f"{x}:Q"),
                alt.Tooltip(f"{y}:Q", format=".4f"),
            ],
        )
        .properties(height=height, **titled(title))
    )


# Fixed places for the 2-2-1 network's nodes (centre x, centre y) in an 800 x 300 drawing: a
# layout engine (Graphviz) took the browser a third of a second per step for five boxes.
_PLACES = {
    "x1": (70, 85),
    "x2": (70, 215),
    "h1": (320, 70),
    "h2": (320, 230),
    "out": (560, 150),
    "loss": (730, 150),
}
GRADIENT_COLOUR = "#a34700"  # dark orange: readable on white, and the text also says ∂L/∂


def backprop_graph(network, x, y, show_values: bool, gradients: dict) -> str:
    """The 2-2-1 network as an SVG computational graph: inputs, hidden units (bias, z, h),
    output (c, z_out, y'), loss; each edge carries its weight and, once backpropagation has
    reached it, its gradient. gradients: ChainStep name -> ChainStep, those revealed so far."""
    values = network.forward(x, y) if show_values else None

    def gradient(name: str) -> list[tuple[str, bool]]:
        step = gradients.get(name)
        return [(f"∂L/∂{step.label} = {step.value:+.4f}", True)] if step else []

    def shown(label: str, key: str, index: int | None = None) -> list[tuple[str, bool]]:
        if not values:
            return []
        value = values[key] if index is None else values[key][index]
        return [(f"{label} = {value:.4f}", False)]

    boxes = {
        "x1": [("x1", False)] + ([(f"= {x[0]:.2f}", False)] if values else []),
        "x2": [("x2", False)] + ([(f"= {x[1]:.2f}", False)] if values else []),
        "out": [("output", False), (f"c = {network.output_bias:.3f}", False)]
        + gradient("c")
        + shown("z_out", "z_out")
        + gradient("z_{out}")
        + shown("y'", "prediction"),
        "loss": [(f"loss L (y = {y:g})", False)] + shown("L", "loss") + gradient("y'"),
    }
    for j in (1, 2):
        boxes[f"h{j}"] = (
            [(f"hidden {j}", False), (f"b{j} = {network.bias[j - 1]:.3f}", False)]
            + gradient(f"b_{j}")
            + shown(f"z{j}", "z", j - 1)
            + gradient(f"z_{j}")
            + shown(f"h{j}", "h", j - 1)
            + gradient(f"h_{j}")
        )
    parts = [
        '<svg viewBox="0 0 800 300" width="100%" role="img" aria-label="Computational graph '
        'of the 2-2-1 network" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    edges = [
        (f"x{i}", f"h{j}", f"w{i}{j} = {network.kernel[i - 1, j - 1]:.3f}", f"w_{{{i}{j}}}")
        for i in (1, 2)
        for j in (1, 2)
    ]
    edges += [
        (f"h{j}", "out", f"v{j} = {network.output_kernel[j - 1]:.3f}", f"v_{j}") for j in (1, 2)
    ]
    edges.append(("out", "loss", "", None))
    for start, end, label, name in edges:
        (x1, y1), (x2, y2) = _PLACES[start], _PLACES[end]
        parts.append(
            f'<line x1="{x1 + 55}" y1="{y1}" x2="{x2 - 62}" y2="{y2}" stroke="#444" '
            'stroke-width="1.3" marker-end="url(#arrow)"/>'
        )
        lines = ([(label, False)] if label else []) + (gradient(name) if name else [])
        # Input edges cross: their labels sit a quarter of the way along, near their input.
        along = 0.27 if start.startswith("x") else 0.5
        label_x = x1 + 55 + along * (x2 - 62 - x1 - 55)
        label_y = y1 + along * (y2 - y1) - 6
        parts.append(_text(label_x, label_y - 15 * (len(lines) - 1), lines, size=11))
    for node, lines in boxes.items():
        centre_x, centre_y = _PLACES[node]
        height = 16 * len(lines) + 10
        parts.append(
            f'<rect x="{centre_x - 62}" y="{centre_y - height / 2}" width="124" '
            f'height="{height}" rx="8" fill="white" stroke="#333"/>'
        )
        parts.append(_text(centre_x, centre_y - height / 2 + 17, lines, size=11.5))
    return "".join(parts) + "</svg>"


def _text(x: float, y: float, lines: list[tuple[str, bool]], size: float) -> str:
    """Centred lines of text; gradient lines (second item True) in GRADIENT_COLOUR."""
    spans = "".join(
        f'<tspan x="{x:.0f}" dy="{0 if index == 0 else size + 4}"'
        + (f' fill="{GRADIENT_COLOUR}" font-weight="bold"' if is_gradient else "")
        + f">{html.escape(text)}</tspan>"
        for index, (text, is_gradient) in enumerate(lines)
    )
    return f'<text x="{x:.0f}" y="{y:.0f}" font-size="{size}" text-anchor="middle">{spans}</text>'
