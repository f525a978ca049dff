"""Altair charts for the theory pages: activation functions, a 1-D fit and its bumps, a loss
surface with a gradient-descent path, and curves compared by name."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from nn_core.charts import image_layer, png_data_url, titled
from nn_core.theory import VANISHING


def activation_chart(name: str, z, values, derivative, probe: float, height: int = 220):
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
            strokeDash=alt.StrokeDash(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=["f(z)", "f'(z)"], range=[[1, 0], [5, 3]]),
            ),
            color=alt.Color("curve:N", title=None, scale=alt.Scale(range=["#0877bd", "#f59322"])),
            tooltip=[
                "curve:N",
                alt.Tooltip("z:Q", format=".2f"),
                alt.Tooltip("value:Q", format=".3f"),
            ],
        )
    )
    flat = _runs(np.asarray(z), np.abs(np.asarray(derivative)) < VANISHING)
    bands = (
        alt.Chart(pd.DataFrame(flat, columns=["start", "end"]))
        .mark_rect(color="#999999", opacity=0.18)
        .encode(x="start:Q", x2="end:Q")
    )
    rule = alt.Chart(pd.DataFrame({"z": [probe]})).mark_rule(strokeWidth=2).encode(x="z:Q")
    return alt.layer(bands, curves, rule).properties(height=height, **titled(name))


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
    lines = (
        alt.Chart(fit_frame)
        .mark_line(strokeWidth=3)
        .encode(
            x="x:Q",
            y=alt.Y("y:Q", title="y"),
            color=alt.Color(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=["target", "network's fit"], range=["#999999", "#0877bd"]),
            ),
            strokeDash=alt.StrokeDash(
                "curve:N",
                title=None,
                scale=alt.Scale(domain=["target", "network's fit"], range=[[6, 4], [1, 0]]),
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
        .mark_line(strokeWidth=1, opacity=0.55, color="#f59322")
        .encode(x="x:Q", y="contribution:Q", detail="unit:N", tooltip=["unit:N"])
    )
    layers = [bumps, lines]
    if points is not None:
        layers.append(
            alt.Chart(points)
            .mark_point(size=70, filled=True, color="#333333")
            .encode(x="x:Q", y="y:Q")
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
            color="#f59322",
            strokeWidth=2,
            clip=True,
            point=alt.OverlayMarkDef(color="#f59322", size=40, filled=True, shape="diamond"),
        )
        .encode(
            x="w:Q",
            y="b:Q",
            order="step:Q",
            tooltip=[
                "step:Q",
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
    frame: pd.DataFrame, x: str, y: str, series: str, title: str, height=260, log=False
):
    """One line per value of `series` (each its own colour and dash), e.g. loss per step;
    log: a logarithmic y axis, for curves that start far above where they end."""
    names = list(dict.fromkeys(frame[series]))
    dashes = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3]]
    return (
        alt.Chart(frame)
        .mark_line(strokeWidth=2.5)
        .encode(
            x=alt.X(f"{x}:Q", title=x),
            y=alt.Y(
                f"{y}:Q", title=y, scale=alt.Scale(type="log") if log else alt.Scale(zero=False)
            ),
            color=alt.Color(
                f"{series}:N",
                title=None,
                scale=alt.Scale(
                    domain=names, range=["#0877bd", "#f59322", "#555555", "#8c564b"][: len(names)]
                ),
            ),
            strokeDash=alt.StrokeDash(
                f"{series}:N", title=None, scale=alt.Scale(domain=names, range=dashes[: len(names)])
            ),
            tooltip=[f"{series}:N", f"{x}:Q", alt.Tooltip(f"{y}:Q", format=".4f")],
        )
        .properties(height=height, **titled(title))
    )


def backprop_graph(network, x, y, show_values: bool, gradients: dict) -> str:
    """The 2-2-1 network as a Graphviz computational graph: inputs, hidden units (z, h and bias),
    output (z_out, y'), loss; edges carry their weight and, once backpropagation reached them,
    the gradient. gradients: ChainStep name -> ChainStep, the ones revealed so far."""
    values = network.forward(x, y) if show_values else None

    def known(name: str) -> str:
        step = gradients.get(name)
        return f"\\n∂L/∂{step.label} = {step.value:+.4f}" if step else ""

    def node(name: str, text: str) -> str:
        return f'  {name} [label="{text}"];'

    lines = [
        "digraph {",
        "  rankdir=LR;",
        '  node [shape=box, style="rounded", fontsize=11];',
        "  edge [fontsize=10];",
    ]
    for i in range(2):
        shown = f"\\n= {x[i]:.2f}" if show_values else ""
        lines.append(node(f"x{i + 1}", f"x{i + 1}{shown}"))
    for j in range(2):
        text = f"hidden {j + 1}\\nb{j + 1} = {network.bias[j]:.3f}{known(f'b_{j + 1}')}"
        if values:
            text += f"\\nz{j + 1} = {values['z'][j]:.4f}\\nh{j + 1} = {values['h'][j]:.4f}"
        lines.append(node(f"h{j + 1}", text + known(f"z_{j + 1}")))
    output = f"output\\nc = {network.output_bias:.3f}{known('c')}"
    if values:
        output += f"\\nz_out = {values['z_out']:.4f}\\ny' = {values['prediction']:.4f}"
    lines.append(node("out", output + known("z_{out}")))
    loss = f"loss L (y = {y:g})" + (f"\\nL = {values['loss']:.4f}" if values else "")
    lines.append(node("loss", loss + known("y'")))
    for i in range(2):
        for j in range(2):
            name = f"w_{{{i + 1}{j + 1}}}"
            label = f"w{i + 1}{j + 1} = {network.kernel[i, j]:.3f}{known(name)}"
            lines.append(f'  x{i + 1} -> h{j + 1} [label="{label}"];')
    for j in range(2):
        label = f"v{j + 1} = {network.output_kernel[j]:.3f}{known(f'v_{j + 1}')}"
        lines.append(f'  h{j + 1} -> out [label="{label}"];')
    lines.append("  out -> loss;")
    lines.append("}")
    return "\n".join(lines)
