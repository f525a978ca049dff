"""Altair chart builders. Probability fields are drawn as one PNG image layer (a 200x200 grid as
rect marks would be ~4.6 MB of JSON), with point marks on top that keep their tooltips.

Channels are written as objects (`alt.X2("x2:Q")`, `alt.ColorValue(...)`), not as shorthand
strings or dicts: Altair reads those through SchemaBase.from_dict, which hashes its whole
schema afresh each time (2 ms a channel; tests/test_playground_engine.py checks the charts
drawn for every new result)."""

from __future__ import annotations

import base64
import io

import altair as alt
import numpy as np
import pandas as pd
from PIL import Image

from nn_core.colours import BLUE, HIGHLIGHT, MULTI_CLASS_COLOURS, ORANGE, SERIES
from nn_core.data import plane_bounds
from nn_core.history import thin_history
from nn_core.runs import MISSING, field_name, shown

# A chart's data goes inline into its spec whatever its size: pages draw specs made with
# chart.to_dict() (stored with their result, enlarged for a projector), and Altair's default
# refuses more than 5,000 rows there (a 4 x 100 network's weight histogram has 30,000).
alt.data_transformers.disable_max_rows()


@alt.theme.register("nn_explorer", enable=True)
def nn_explorer_theme() -> dict:
    """Every chart drawn on a canvas: Vega's default SVG makes each point and label a DOM node,
    and a page of four charts cost the browser ~0.6 s more CPU per load (bench/concurrency.py,
    where a class's tabs share the server's cores). No config: Streamlit's theme styles them.
    Streamlit reads the renderer from usermeta.embedOptions."""
    return {"usermeta": {"embedOptions": {"renderer": "canvas"}}}


def titled(title: str | list[str]) -> dict:
    """A chart's title (a list of strings: one line each), and the same words as its
    description: on a canvas the title is only pixels, while the description becomes the
    chart's aria-label (what a screen reader says)."""
    if not title:
        return {}
    return {"title": title, "description": title if isinstance(title, str) else ": ".join(title)}


DASHES = ([1, 0], [6, 3], [2, 2], [8, 3, 2, 3])  # solid, dashed, dotted, dash-dot
SHAPES = ["circle", "square", "triangle-up", "diamond", "cross"]


# Epochs are whole numbers: no ticks at 1.5 on a short run.
EPOCHS = alt.X("epoch:Q", title="epoch", axis=alt.Axis(format=",d", tickMinStep=1))


def value_axis(metric: str) -> alt.Axis:
    """Accuracy in % like the metrics above the charts; losses as plain numbers."""
    return alt.Axis(format=".0%") if "accuracy" in metric else alt.Axis()


def series_colour(field: str, names: list, title=None) -> alt.Color:
    """Colours for the series of a chart, in order (colour-blind safe: nn_core.colours);
    more than four series repeat them, told apart by series_dash."""
    palette = [SERIES[index % len(SERIES)] for index in range(len(names))]
    return alt.Color(
        f"{field}:N",
        title=title,
        scale=alt.Scale(domain=names, range=palette),
        # Full strength in the legend even where a layer draws the series faintly (a shaded
        # training/validation gap). Below the plot: at the side it took half a phone's width
        # (Streamlit fits the legend into the chart's height, so curve charts are 250+ px).
        legend=alt.Legend(symbolOpacity=1, symbolStrokeWidth=2.5, orient="bottom"),
    )


def series_dash(field: str, names: list, title=None) -> alt.StrokeDash:
    """A dash pattern per series, shifted by one every four series so that colour and dash
    together stay unique."""
    patterns = [DASHES[(index + index // len(SERIES)) % len(DASHES)] for index in range(len(names))]
    return alt.StrokeDash(f"{field}:N", title=title, scale=alt.Scale(domain=names, range=patterns))


def _blend(probabilities: np.ndarray, low=(250, 201, 145), high=(132, 187, 222)) -> np.ndarray:
    """Map probability of class 1 in [0, 1] to RGB between a light orange and a light blue
    (the class colours halfway to white, so the points drawn on top stand out)."""
    weight = np.clip(probabilities, 0, 1)[..., None]
    mixed = np.array(low) * (1 - weight) + np.array(high) * weight
    # Fade towards white near 0.5 so the uncertain band reads as a soft edge.
    certainty = np.abs(probabilities - 0.5)[..., None] * 2
    return (255 - (255 - mixed) * (0.35 + 0.65 * certainty)).astype(np.uint8)


def png_data_url(rgb: np.ndarray) -> str:
    """An [rows, columns, 3] uint8 array as a PNG data URL (row 0 is drawn at the top)."""
    buffer = io.BytesIO()
    # A quick, light compression: optimize=True made this 14% of redrawing the MLP page.
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=3)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def probability_image(probabilities: np.ndarray, discrete: bool = False) -> str:
    """PNG data URL of a probability grid [rows, columns] whose row 0 is the lowest y."""
    field = (probabilities > 0.5).astype(float) * 0.8 + 0.1 if discrete else probabilities
    return png_data_url(_blend(field[::-1]))  # flip: images start at the top


def unit_image(values: np.ndarray, activation: str) -> np.ndarray:
    """RGB thumbnail [rows, columns, 3] of one hidden unit's output over the plane (row 0 =
    lowest y), scaled from the activation's range to orange (low) .. blue (high)."""
    if activation == "tanh":
        scaled = (values + 1) / 2
    elif activation == "sigmoid":
        scaled = values
    else:  # relu and linear have no fixed range: use this unit's own
        low, high = float(values.min()), float(values.max())
        scaled = (values - low) / (high - low) if high > low else np.full_like(values, 0.5)
    return _blend(scaled[::-1])


def image_layer(url: str | None, x_range, y_range, titles=("x1", "x2")) -> alt.Chart:
    """A PNG stretched over the plot's ranges (row 0 of the image at the top). url None: the
    chart's named dataset PLANE_IMAGE (image_rows) instead, which a replay frame swaps."""
    data = (
        alt.NamedData(name=PLANE_IMAGE)
        if url is None
        else pd.DataFrame(image_rows(url, x_range, y_range))
    )
    return (
        alt.Chart(data)
        .mark_image(aspect=False)
        .encode(
            x=alt.X("x:Q", scale=alt.Scale(domain=list(x_range), nice=False), title=titles[0]),
            x2=alt.X2("x2:Q"),
            y=alt.Y("y:Q", scale=alt.Scale(domain=list(y_range), nice=False), title=titles[1]),
            y2=alt.Y2("y2:Q"),
            url=alt.Url("url:N"),
            key=alt.Key("key:N"),  # a picture's mark stays while its key does (see image_rows)
            order=alt.Order("layer:Q"),
        )
    )


# The named dataset of a plot's shading: a replay frame's plot is the final weights' chart
# with this swapped in (ui.layout.with_datasets).
PLANE_IMAGE = "nn_plane_image"


def image_rows(url: str, x_range, y_range, key="final", before=None) -> list[dict]:
    """image_layer's rows: the image, its key (a replay frame's index) and the corners it is
    stretched between. before: (key, url) of the picture shown before this one, drawn
    underneath. Vega loads a mark's image anew when its URL changes and draws nothing there
    until it has (a blank plot for a moment at every replay frame); the picture before keeps
    its mark, key and loaded image, and so stays up while the new one loads."""
    corners = {"x": x_range[0], "x2": x_range[1], "y": y_range[0], "y2": y_range[1]}
    pictures = [*([before] if before else []), (key, url)]
    return [
        {**corners, "key": str(name), "url": address, "layer": layer}
        for layer, (name, address) in enumerate(pictures)
    ]


def with_plane_image(layers: alt.LayerChart, url: str, x_range, y_range) -> alt.LayerChart:
    """Layers whose shading is image_layer(None, ...), carrying its image."""
    return layers.properties(datasets={PLANE_IMAGE: image_rows(url, x_range, y_range)})


def _axes(domain):
    x_range, y_range = domain
    return (
        alt.X("x1:Q", scale=alt.Scale(domain=list(x_range), nice=False), title="x1"),
        alt.Y("x2:Q", scale=alt.Scale(domain=list(y_range), nice=False), title="x2"),
    )


CLASS_LEGEND = alt.Legend(title="class", orient="bottom", direction="horizontal")


def points_layer(
    points: np.ndarray, labels: np.ndarray, roles=None, domain=None, classes: int = 2
) -> alt.Chart:
    """Data points: class by colour and by shape (circle, square, triangle...), one scale for
    outline and fill; filled for training, hollow for validation."""
    frame = pd.DataFrame(
        {
            "x1": points[:, 0],
            "x2": points[:, 1],
            "class": labels.astype(int),
            "set": roles if roles is not None else "training",
        }
    )
    x, y = _axes(domain or plane_bounds(points))
    names = list(range(classes))
    class_scale = alt.Scale(domain=names, range=list(MULTI_CLASS_COLOURS[:classes]))
    return (
        alt.Chart(frame)
        .mark_point(size=45, strokeWidth=1.5, opacity=0.9)
        .encode(
            x=x,
            y=y,
            # The legend below the plot: at its side it was cut off on a phone.
            color=alt.Color("class:N", scale=class_scale, legend=CLASS_LEGEND),
            shape=alt.Shape(
                "class:N",
                scale=alt.Scale(domain=names, range=SHAPES[:classes]),
                legend=CLASS_LEGEND,
            ),
            # Filled: training, hollow: validation (said in a caption: a legend cannot show
            # the fill difference).
            fill=alt.condition(
                "datum.set == 'training'",
                alt.Color("class:N", scale=class_scale, legend=None),
                alt.value("white"),
            ),
            tooltip=[
                alt.Tooltip("x1:Q"),
                alt.Tooltip("x2:Q"),
                alt.Tooltip("class:N"),
                alt.Tooltip("set:N"),
            ],
        )
    )


def highlight_layer(point: np.ndarray, domain) -> alt.Chart:
    """A ring around one point (the sample the perceptron just looked at)."""
    x, y = _axes(domain)
    frame = pd.DataFrame({"x1": [point[0]], "x2": [point[1]]})
    return alt.Chart(frame).mark_point(size=400, strokeWidth=3, color=HIGHLIGHT).encode(x=x, y=y)


def line_layer(line_points: np.ndarray, domain, colour: str = "black") -> alt.Chart:
    """A straight line (e.g. the perceptron's decision line), clipped to the plot."""
    x, y = _axes(domain)
    frame = pd.DataFrame({"x1": line_points[:, 0], "x2": line_points[:, 1]})
    return alt.Chart(frame).mark_line(color=colour, strokeWidth=2.5, clip=True).encode(x=x, y=y)


def decision_boundary(
    grid,
    probabilities: np.ndarray,
    points,
    labels,
    roles=None,
    discrete: bool = False,
    size: int = 420,
    title: str = "",
    regression: bool = False,
) -> alt.LayerChart:
    """The network's output over the grid as a shaded image, with the data points on top.
    probabilities: [rows, columns] of class 1 (two classes), [rows, columns, classes] (more:
    each place in its likeliest class's colour, paler where the network is unsure), or the
    predicted value [rows, columns] with regression (orange -1 .. blue 1)."""
    x_range, y_range = domain = grid_ranges(grid)
    if regression:
        dots = target_points_layer(points, labels, roles, domain)
    else:
        classes = probabilities.shape[2] if probabilities.ndim == 3 else 2
        dots = points_layer(points, labels, roles, domain, classes=classes)
    layers = alt.layer(image_layer(None, x_range, y_range), dots)
    layers = with_plane_image(layers, plane_image(probabilities, discrete, regression), *domain)
    return layers.properties(width=size, height=size, **titled(title))


def grid_ranges(grid) -> tuple[tuple[float, float], tuple[float, float]]:
    """((x low, x high), (y low, y high)) of a training.Grid."""
    return (
        (float(grid.x_values[0]), float(grid.x_values[-1])),
        (float(grid.y_values[0]), float(grid.y_values[-1])),
    )


def plane_image(probabilities: np.ndarray, discrete: bool = False, regression: bool = False):
    """decision_boundary's shading as a PNG data URL."""
    if regression:
        return png_data_url(_blend((np.clip(probabilities, -1, 1)[::-1] + 1) / 2))
    if probabilities.ndim == 3:
        return class_image(probabilities, discrete)
    return probability_image(probabilities, discrete)


def plane_image_data(grid, probabilities, discrete=False, regression=False) -> dict:
    """decision_boundary's shading as its named dataset: a replay frame swaps only this."""
    url = plane_image(probabilities, discrete, regression)
    return {PLANE_IMAGE: image_rows(url, *grid_ranges(grid))}


def shown_before(frame: int) -> int | None:
    """The replay frame a play shows before `frame`: the previous one, or for the first the
    final weights (None), after which a play starts."""
    return frame - 1 if frame else None


def picture_key(frame: int | None) -> str:
    """A replay frame's picture key (image_rows): its index, or "final"."""
    return "final" if frame is None else str(frame)


def replay_image_data(picture, frame: int | None, x_range, y_range) -> dict:
    """A plot's shading at a replay frame (None: the final weights) as its named dataset;
    picture(frame) -> its PNG data URL. A frame carries the one a play shows before it
    underneath (image_rows)."""
    if frame is None:
        return {PLANE_IMAGE: image_rows(picture(None), x_range, y_range)}
    earlier = shown_before(frame)
    before = (picture_key(earlier), picture(earlier))
    rows = image_rows(picture(frame), x_range, y_range, picture_key(frame), before)
    return {PLANE_IMAGE: rows}


def class_image(probabilities: np.ndarray, discrete: bool = False) -> str:
    """PNG data URL of [rows, columns, classes] probabilities: the likeliest class's colour,
    halfway to white where the network is sure and paler where it is not."""
    classes = probabilities.shape[2]
    palette = np.array([_rgb(colour) for colour in MULTI_CLASS_COLOURS[:classes]], float)
    likeliest = probabilities.argmax(axis=2)
    chance = 1 / classes
    sureness = (probabilities.max(axis=2) - chance) / (1 - chance)
    strength = np.full(likeliest.shape, 0.5) if discrete else 0.15 + 0.4 * sureness
    rgb = 255 - (255 - palette[likeliest]) * strength[..., None]
    return png_data_url(rgb[::-1].astype(np.uint8))


def target_points_layer(points, targets, roles=None, domain=None) -> alt.Chart:
    """Regression samples: circles filled by their target (orange -1 .. blue 1) with a dark
    outline; filled for training, hollow for validation as for classes (the value is in the
    tooltip)."""
    frame = pd.DataFrame(
        {
            "x1": points[:, 0],
            "x2": points[:, 1],
            "target": np.asarray(targets, float),
            "set": roles if roles is not None else "training",
        }
    )
    x, y = _axes(domain or plane_bounds(points))
    scale = alt.Scale(domain=[-1, 1], range=[ORANGE, "#ffffff", BLUE], clamp=True)
    return (
        alt.Chart(frame)
        .mark_point(size=45, strokeWidth=1, opacity=0.95, filled=True, stroke=HIGHLIGHT)
        .encode(
            x=x,
            y=y,
            fill=alt.condition(
                "datum.set == 'training'",
                alt.Color(
                    "target:Q",
                    scale=scale,
                    legend=alt.Legend(title="target", orient="bottom", gradientLength=160),
                ),
                alt.value("white"),
            ),
            shape=alt.Shape("set:N", scale=alt.Scale(range=["circle", "square"]), legend=None),
            tooltip=[
                alt.Tooltip("x1:Q"),
                alt.Tooltip("x2:Q"),
                alt.Tooltip("target:Q", format=".3f"),
                alt.Tooltip("set:N"),
            ],
        )
    )


OUTER_KEYS = (
    "$schema",
    "datasets",
    "title",
    "description",
    "width",
    "height",
    "usermeta",
    "config",
    "autosize",
)


EPOCH_MARKS = "epoch_marks"  # the rules' dataset, by name: the spec stays the same


def with_epoch_marks(spec: dict, marks: dict[str, int]) -> dict:
    """A chart's Vega-Lite spec (a curves chart) with vertical rules at named epochs
    ("replay", "early stop"), each labelled at the top. Spec surgery, not Altair: a replay
    moves the mark four times a second, and rebuilding the curves each time was a third of a
    frame's work. The rules are always a layer, their epochs a named dataset (empty without
    marks): the spec is the same at every frame, so the browser only swaps the data."""
    rows = pd.DataFrame(
        [
            {"epoch": epoch, "mark": name, "label": f"{name} {epoch:,}"}
            for name, epoch in marks.items()
        ],
        columns=["epoch", "mark", "label"],
    )
    x = {"field": "epoch", "type": "quantitative"}
    rules = {
        "data": {"name": EPOCH_MARKS},
        "mark": {"type": "rule", "color": HIGHLIGHT, "strokeDash": [3, 3], "strokeWidth": 1.5},
        "encoding": {"x": x, "tooltip": [{"field": "mark"}, {"field": "epoch"}]},
    }
    labels = {
        "data": {"name": EPOCH_MARKS},
        "mark": {
            "type": "text",
            "align": "left",
            "baseline": "top",
            "dx": 3,
            "dy": 4,
            "fontSize": 11,
            "color": HIGHLIGHT,
        },
        "encoding": {"x": x, "y": {"value": 0}, "text": {"field": "label"}},
    }
    inner = {key: value for key, value in spec.items() if key not in OUTER_KEYS}
    outer = {key: value for key, value in spec.items() if key in OUTER_KEYS}
    outer["datasets"] = {**spec.get("datasets", {}), EPOCH_MARKS: rows}
    return {**outer, "layer": [inner, rules, labels]}


CURVES = "nn_curves"  # learning_curves_chart's dataset, by name (curve_rows fills it)


def learning_curves(
    history: pd.DataFrame, metric: str = "loss", height: int = 270, title: str | None = None
) -> alt.Chart:
    """Training vs validation curve of 'loss' or 'accuracy' over epochs."""
    names, rows = curve_rows(history, metric)
    return learning_curves_chart(metric, names, height, title, data=rows)


def curve_rows(history: pd.DataFrame, metric: str) -> tuple[tuple[str, ...], pd.DataFrame]:
    """The curves of `metric` a history has (names), and their points (epoch, curve, value),
    thinned for drawing: the data of learning_curves_chart."""
    columns = {metric: "training", f"val_{metric}": "validation"}
    if (
        metric == "loss"
        and "total_loss" in history
        and not np.allclose(history["total_loss"], history["loss"])
    ):
        columns["total_loss"] = "training incl. L1/L2 penalty"
    present = {
        column: name
        for column, name in columns.items()
        if column in history and history[column].notna().any()
    }
    long = thin_history(history).melt("epoch", list(present), var_name="curve", value_name="value")
    long["curve"] = long["curve"].map(present)
    return tuple(present.values()), long


def learning_curves_chart(
    metric: str,
    names: tuple[str, ...],
    height: int = 270,
    title: str | None = None,
    data: pd.DataFrame | None = None,
) -> alt.Chart:
    """The chart of learning_curves for these curve names, drawing `data` (None: the named
    dataset CURVES; that chart is the same for every result with these curves, so a page
    builds it once and swaps in each result's curve_rows)."""
    return (
        alt.Chart(alt.NamedData(name=CURVES) if data is None else data)
        .mark_line()
        .encode(
            x=EPOCHS,
            y=alt.Y("value:Q", title=metric, scale=alt.Scale(zero=False), axis=value_axis(metric)),
            color=series_colour("curve", list(names)),
            strokeDash=series_dash("curve", list(names)),
            tooltip=[
                alt.Tooltip("epoch:Q"),
                alt.Tooltip("curve:N"),
                alt.Tooltip("value:Q", title=metric, format=".4f"),
            ],
        )
        .properties(height=height, **titled(title or metric.capitalize()))
    )


def errors_per_epoch(errors: np.ndarray, current_epoch: int | None = None) -> alt.Chart:
    """Perceptron misclassifications per epoch as bars; the current epoch highlighted."""
    frame = pd.DataFrame({"epoch": np.arange(1, len(errors) + 1), "errors": errors})
    current = current_epoch if current_epoch is not None else -1
    return (
        alt.Chart(thin_history(frame))
        .mark_bar()
        .encode(
            x=EPOCHS,
            y=alt.Y("errors:Q", title="misclassified", axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.condition(f"datum.epoch == {current}", alt.value(ORANGE), alt.value(BLUE)),
            tooltip=[alt.Tooltip("epoch:Q"), alt.Tooltip("errors:Q")],
        )
        # Streamlit fits title, axes and plot in this height: at 200 px the plot was shorter
        # than its axis title, which pushed the chart's title out of the top.
        .properties(height=260, **titled("Misclassifications per epoch"))
    )


def weight_histogram(
    weights: np.ndarray,
    near_zero: float = 0.01,
    bins: int = 60,
    title: str = "Hidden-layer weights",
) -> alt.Chart:
    """Histogram of weight values, with the near-zero band marked. Counted here, not by Vega:
    the chart then carries 60 bars, not every weight (30,000 for a 4 x 100 network)."""
    counts, edges = np.histogram(weights.ravel(), bins=bins)
    frame = pd.DataFrame({"low": edges[:-1], "high": edges[1:], "count": counts})
    bars = (
        alt.Chart(frame)
        .mark_rect(opacity=0.8)
        .encode(
            x=alt.X("low:Q", title="weight value"),
            x2=alt.X2("high:Q"),
            y=alt.Y("count:Q", title="weights"),
            y2=alt.Y2Datum(0),  # upright bars from 0 (x with x2 alone reads as horizontal ones)
            tooltip=[
                alt.Tooltip("low:Q", format=".3f", title="from"),
                alt.Tooltip("high:Q", format=".3f", title="to"),
                alt.Tooltip("count:Q", title="weights"),
            ],
        )
    )
    band = (
        alt.Chart(pd.DataFrame({"low": [-near_zero], "high": [near_zero]}))
        .mark_rect(color=ORANGE, opacity=0.25)
        .encode(x=alt.X("low:Q"), x2=alt.X2("high:Q"))
    )
    return alt.layer(band, bars).properties(height=200, **titled(title))


def confusion_heatmap(matrix: np.ndarray) -> alt.Chart:
    """Counts of true class (rows) against predicted class (columns)."""
    classes = range(len(matrix))
    frame = pd.DataFrame(
        [{"true": t, "predicted": p, "count": int(matrix[t, p])} for t in classes for p in classes]
    )
    base = alt.Chart(frame).encode(
        x=alt.X("predicted:O", title="predicted digit", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("true:O", title="true digit"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("count:Q", scale=alt.Scale(type="symlog", scheme="blues"), legend=None),
        tooltip=[alt.Tooltip("true:O"), alt.Tooltip("predicted:O"), alt.Tooltip("count:Q")],
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("count:Q"),
        color=alt.condition("datum.count > 300", alt.value("white"), alt.value("black")),
    )
    return (cells + text).properties(width=380, height=380, **titled("Confusion matrix (test set)"))


def probability_bars(probabilities: np.ndarray, labels=None) -> alt.Chart:
    """Bar per class with its predicted probability, the most likely highlighted."""
    labels = list(labels) if labels is not None else [str(i) for i in range(len(probabilities))]
    frame = pd.DataFrame({"class": labels, "probability": probabilities})
    best = labels[int(np.argmax(probabilities))]
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("class:N", sort=labels, title="class", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("probability:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format=".0%")),
            color=alt.condition(f"datum['class'] == '{best}'", alt.value(ORANGE), alt.value(BLUE)),
            tooltip=[alt.Tooltip("class:N"), alt.Tooltip("probability:Q", format=".3f")],
        )
        .properties(height=200)
    )


def class_counts(counts: np.ndarray) -> alt.Chart:
    """How many training images each digit has, as bars."""
    frame = pd.DataFrame({"digit": np.arange(len(counts)), "images": counts})
    return (
        alt.Chart(frame)
        .mark_bar(color=BLUE)
        .encode(
            x=alt.X("digit:O", axis=alt.Axis(labelAngle=0)),
            y=alt.Y("images:Q", axis=alt.Axis(format=",d")),
            tooltip=[alt.Tooltip("digit:O"), alt.Tooltip("images:Q", format=",d")],
        )
        .properties(height=220, **titled("Training images per digit"))
    )


def compare_curves(histories: dict, metric: str = "loss", shaded: str | None = None) -> alt.Chart:
    """Validation curves of several runs on one chart, each run's best epoch marked (lowest
    loss or highest accuracy); for the `shaded` run, the gap to its training curve is shaded."""
    frames = [history.assign(model=name) for name, history in histories.items()]
    long = pd.concat(frames, ignore_index=True)
    names = list(histories)
    colour = series_colour("model", names, title="model")
    x = EPOCHS
    y_options = dict(
        title=f"validation {metric}", scale=alt.Scale(zero=False), axis=value_axis(metric)
    )
    y = alt.Y(f"val_{metric}:Q", **y_options)
    # Each model differs by colour, dash and point shape (one legend shows all three): two of
    # the regularised models must stay apart for colour-blind students too.
    lines = (
        alt.Chart(long)
        .mark_line(point=alt.OverlayMarkDef(size=30, filled=True))
        .encode(
            x=x,
            y=y,
            color=colour,
            strokeDash=series_dash("model", names, title="model"),
            shape=alt.Shape("model:N", scale=alt.Scale(domain=names, range=SHAPES), title="model"),
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("epoch:Q"),
                alt.Tooltip(f"val_{metric}:Q", format=".4f"),
            ],
        )
    )
    pick = np.nanargmin if metric == "loss" else np.nanargmax
    best = pd.DataFrame(
        [
            history.iloc[pick(history[f"val_{metric}"].to_numpy())].to_dict() | {"model": name}
            for name, history in histories.items()
        ]
    )
    best_marks = (
        alt.Chart(best)
        .mark_point(shape="diamond", size=220, filled=True, opacity=1)
        .encode(
            x=x,
            y=alt.Y(f"val_{metric}:Q"),
            color=colour,
            tooltip=[
                alt.Tooltip("model:N"),
                alt.Tooltip("epoch:Q", title="best epoch"),
                alt.Tooltip(f"val_{metric}:Q", format=".4f", title=f"best validation {metric}"),
            ],
        )
    )
    layers = [lines, best_marks, _line_end_names(histories, f"val_{metric}", x, y_options)]
    if shaded in histories:
        gap = (
            alt.Chart(histories[shaded].assign(model=shaded))
            .mark_area(opacity=0.18)
            .encode(
                x=x,
                y=alt.Y(f"{metric}:Q"),
                y2=alt.Y2(f"val_{metric}:Q"),
                color=colour,
            )
        )
        layers.insert(0, gap)
    return alt.layer(*layers).properties(
        height=380, **titled(f"Validation {metric} (diamonds: best epoch)")
    )


def _line_end_names(histories: dict, column: str, x, y_options: dict) -> alt.Chart:
    """Each series' name at the end of its line (nudged apart where lines end close together),
    so a line is told by its words, not by its colour alone."""
    ends = pd.DataFrame(
        [
            {"model": name, "epoch": history["epoch"].iloc[-1], column: history[column].iloc[-1]}
            for name, history in histories.items()
        ]
    )
    values = pd.concat([history[column] for history in histories.values()])
    minimum_gap = 0.07 * float(values.max() - values.min() or 1.0)  # ~20 px of a 320 px plot
    ends["label_y"] = spread_apart(ends[column].to_numpy(), minimum_gap)
    return (
        alt.Chart(ends)
        .mark_text(align="left", dx=8, fontSize=12, color="#31333f")
        .encode(x=x, y=alt.Y("label_y:Q", **y_options), text=alt.Text("model:N"))
    )


def spread_apart(values: np.ndarray, minimum_gap: float) -> np.ndarray:
    """Label positions as close to `values` as possible with at least `minimum_gap` between
    neighbours (in the same order), centred on the values' own middle."""
    order = np.argsort(values, kind="stable")
    placed = values[order].astype(float)
    for index in range(1, len(placed)):
        placed[index] = max(placed[index], placed[index - 1] + minimum_gap)
    placed -= (placed.mean() - values.mean()) if len(placed) else 0.0
    result = np.empty_like(placed)
    result[order] = placed
    return result


def word_influence_bars(frame: pd.DataFrame) -> alt.Chart:
    """Horizontal bars of word influence: blue pushes towards positive, orange towards negative
    (and the bars point right or left)."""
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("influence:Q", title="change in P(positive)"),
            y=alt.Y("word:N", sort="-x", title=None),
            color=alt.condition("datum.influence > 0", alt.value(BLUE), alt.value(ORANGE)),
            tooltip=[alt.Tooltip("word:N"), alt.Tooltip("influence:Q", format="+.3f")],
        )
        .properties(height=alt.Step(20), **titled("Words that move the prediction most"))
    )


def runs_curves(curves: pd.DataFrame, metric: str = "val_loss", title: str = "") -> alt.Chart:
    """One line per run (curves_frame's long table) for one curve column."""
    name = field_name(metric)
    return (
        alt.Chart(curves.dropna(subset=[metric]))
        .mark_line()
        .encode(
            x=EPOCHS,
            y=alt.Y(
                f"{metric}:Q", title=name, scale=alt.Scale(zero=False), axis=value_axis(metric)
            ),
            color=series_colour("run", list(dict.fromkeys(curves["run"]))),
            strokeDash=series_dash("run", list(dict.fromkeys(curves["run"]))),
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("epoch:Q"),
                alt.Tooltip(f"{metric}:Q", format=".4f", title=name),
            ],
        )
        .properties(height=330, **titled(title or f"{name} by run"))
    )


def parallel_coordinates(table: pd.DataFrame, columns: list[str], metric: str) -> alt.Chart:
    """TensorBoard's HParams view: one line per run across the hyperparameter axes (each scaled
    to 0-1; categories spread evenly), coloured by the metric, with each axis's values
    written beside it (lowest and highest number, or every category)."""
    axes = [*columns, metric]  # the metric is the last axis, as in TensorBoard
    names = [field_name(column) for column in axes]
    rows, ticks = [], []
    for column, name in zip(axes, names, strict=True):
        values = table[column]
        positions = _axis_positions(values)
        rows.append(
            pd.DataFrame(
                {
                    "run": table["run"],
                    "axis": name,
                    "position": positions,
                    "value": [shown(value) for value in values],
                    metric: table[metric],
                }
            )
        )
        ticks.append(_axis_ticks(name, values, positions))
    long = pd.concat(rows, ignore_index=True)
    x = alt.X("axis:N", sort=names, title=None, axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("position:Q", axis=None, scale=alt.Scale(domain=[MISSING_POSITION - 0.05, 1.05]))
    metric_name = field_name(metric)
    lines = (
        alt.Chart(long)
        .mark_line(point=True, opacity=0.8)
        .encode(
            x=x,
            y=y,
            detail=alt.Detail("run:N"),
            # The best run dark (viridis' pale yellow end barely shows on white): reversed
            # where higher is better.
            color=alt.Color(
                f"{metric}:Q",
                scale=alt.Scale(scheme="viridis", reverse="accuracy" in metric),
                title=metric_name,
                legend=alt.Legend(format=".0%" if "accuracy" in metric else ".3g"),
            ),
            tooltip=[
                alt.Tooltip("run:N"),
                alt.Tooltip("axis:N", title="setting"),
                alt.Tooltip("value:N"),
                alt.Tooltip(f"{metric}:Q", format=".4f", title=metric_name),
            ],
        )
    )
    labels = (
        alt.Chart(pd.concat(ticks, ignore_index=True))
        .mark_text(align="right", dx=-7, fontSize=11, color="#555")
        .encode(x=x, y=y, text=alt.Text("label:N"))
    )
    return (lines + labels).properties(
        height=300, **titled(f"Hyperparameters against {metric_name}")
    )


def _axis_ticks(axis: str, values: pd.Series, positions: pd.Series) -> pd.DataFrame:
    """The values written beside one parallel axis, at their positions."""
    if pd.api.types.is_numeric_dtype(values) and values.notna().any():
        shown_values = values.dropna()
        places = positions[shown_values.index]
        labels = {float(places.min()): shown_values.min(), float(places.max()): shown_values.max()}
        text = "{:.1%}" if "accuracy" in axis.lower() else "{:.4g}"
        labels = {place: text.format(value) for place, value in labels.items()}
        if values.isna().any():
            labels[MISSING_POSITION] = MISSING
    else:
        labels = dict(zip(positions, values.astype(str), strict=True))
    return pd.DataFrame({"axis": axis, "position": list(labels), "label": list(labels.values())})


MISSING_POSITION = -0.1  # runs without a setting (IMDB runs have no noise) sit below its axis


def _axis_positions(values: pd.Series) -> pd.Series:
    """0-1 positions on one parallel axis: numbers scaled by their range, text categories
    spread evenly in sorted order; missing numbers below the axis."""
    if pd.api.types.is_numeric_dtype(values):
        low, high = values.min(), values.max()
        scaled = (values - low) / (high - low) if high > low else values * 0 + 0.5
        return scaled.fillna(MISSING_POSITION)
    text = values.astype(str)
    categories = sorted(text.unique())
    return text.map({name: i for i, name in enumerate(categories)}) / max(len(categories) - 1, 1)


def scatter(table: pd.DataFrame, x: str, metric: str, group: str = "page") -> alt.Chart:
    """One hyperparameter against a metric, one point per run, coloured and shaped by `group`
    (page, or the student on the class board; the tooltip names both)."""
    numeric = pd.api.types.is_numeric_dtype(table[x])
    groups = sorted(table[group].unique())
    x_name, metric_name = field_name(x), field_name(metric)
    return (
        alt.Chart(table.dropna(subset=[x]))
        .mark_circle(size=90, opacity=0.8)
        .encode(
            x=alt.X(f"{x}:{'Q' if numeric else 'N'}", title=x_name, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                f"{metric}:Q",
                title=metric_name,
                scale=alt.Scale(zero=False),
                axis=value_axis(metric),
            ),
            color=series_colour(group, groups),
            shape=alt.Shape(f"{group}:N", scale=alt.Scale(domain=groups, range=SHAPES)),
            tooltip=[
                *([alt.Tooltip("student:N")] if "student" in table else []),
                alt.Tooltip("run:N"),
                alt.Tooltip("page:N"),
                alt.Tooltip(f"{x}:N", title=x_name),
                alt.Tooltip(f"{metric}:Q", format=".4f", title=metric_name),
            ],
        )
        .properties(height=340, **titled(f"{metric_name} against {x_name}"))
    )


def seed_band(histories: list[pd.DataFrame], metric: str = "loss") -> alt.Chart:
    """Mean curve over runs with different seeds, with a band from the lowest to the highest."""
    columns = {metric: "training", f"val_{metric}": "validation"}
    stacked = pd.concat(histories, ignore_index=True)
    present = {column: name for column, name in columns.items() if stacked[column].notna().any()}
    long = stacked.melt("epoch", list(present), var_name="curve", value_name="value")
    summary = long.groupby(["epoch", "curve"])["value"].agg(["mean", "min", "max"]).reset_index()
    summary["curve"] = summary["curve"].map(present)
    summary = pd.concat([thin_history(group) for _, group in summary.groupby("curve")])
    colour = series_colour("curve", list(present.values()))
    band = (
        alt.Chart(summary)
        .mark_area(opacity=0.25)
        .encode(x=EPOCHS, y=alt.Y("min:Q"), y2=alt.Y2("max:Q"), color=colour)
    )
    line = (
        alt.Chart(summary)
        .mark_line()
        .encode(
            x=EPOCHS,
            y=alt.Y(
                "mean:Q", title=f"{metric} (mean, band = min–max)", scale=alt.Scale(zero=False)
            ),
            color=colour,
            tooltip=[
                alt.Tooltip("curve:N"),
                alt.Tooltip("epoch:Q"),
                alt.Tooltip("mean:Q", format=".4f"),
            ],
        )
    )
    return (band + line).properties(
        height=310, **titled(f"{metric.capitalize()} over {len(histories)} seeds")
    )


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)


def weight_images(kernel: np.ndarray, limit: int = 64, zoom: int = 3) -> list[np.ndarray]:
    """Each unit's 784 input weights as a 28x28 RGB picture: blue positive, orange negative,
    white zero, on one colour scale shared by all units (so pictures compare), enlarged `zoom`
    times."""
    kernel = kernel[:, :limit]
    scale = float(np.abs(kernel).max()) or 1.0
    images = []
    for unit in range(kernel.shape[1]):
        values = (kernel[:, unit] / scale).reshape(28, 28)[..., None]  # -1 .. 1
        colour = np.where(values > 0, _rgb(BLUE), _rgb(ORANGE))  # [28, 28, 3]
        picture = (255 - (255 - colour) * np.abs(values)).astype(np.uint8)  # white at 0
        images.append(picture.repeat(zoom, axis=0).repeat(zoom, axis=1))
    return images


# Presenter mode (a projector seen from the back row): text at 19-22 px where Streamlit's
# theme draws 11-14 px, flat strips of curves made tall, square plots enlarged.
PROJECTOR_LABEL_PX = 19
PROJECTOR_TITLE_PX = 22
PROJECTOR_STRIP_HEIGHT = 400  # curves are 250-330 px strips on a desk screen
PROJECTOR_SQUARE = 540  # at 1920x1080 the metrics and the whole plot below them fit
PROJECTOR_CONFIG = {
    "axis": {"labelFontSize": PROJECTOR_LABEL_PX, "titleFontSize": PROJECTOR_LABEL_PX + 1},
    "legend": {
        "labelFontSize": PROJECTOR_LABEL_PX,
        "titleFontSize": PROJECTOR_LABEL_PX + 1,
        "symbolSize": 200,
    },
    "header": {"labelFontSize": PROJECTOR_LABEL_PX, "titleFontSize": PROJECTOR_TITLE_PX},
    "title": {"fontSize": PROJECTOR_TITLE_PX, "subtitleFontSize": PROJECTOR_LABEL_PX},
    "text": {"fontSize": PROJECTOR_LABEL_PX},
}


def for_projector(spec: dict) -> dict:
    """A chart's Vega-Lite spec (chart.to_dict()) made readable on a projector: larger text
    (axes, legends, titles and the chart's own text marks), curves taller, square plots
    larger. Returns a new dict; the spec's own config, if any, wins over nothing but size."""
    projected = _enlarged(spec)
    config = projected.setdefault("config", {})
    for part, settings in PROJECTOR_CONFIG.items():
        config[part] = {**config.get(part, {}), **settings}
    return projected


def _enlarged(node):
    """Walk a spec: every view's height and square size, every mark's font size."""
    if isinstance(node, list):
        return [_enlarged(item) for item in node]
    if not isinstance(node, dict):
        return node
    # The data itself (named datasets, inline values) is copied as is, never walked.
    result = {
        key: value if key in ("datasets", "values") else _enlarged(value)
        for key, value in node.items()
    }
    width, height = node.get("width"), node.get("height")
    if isinstance(height, int | float):
        if width == height:
            result["width"] = result["height"] = max(height, PROJECTOR_SQUARE)
        elif height <= 330:
            result["height"] = PROJECTOR_STRIP_HEIGHT
    if isinstance(node.get("fontSize"), int | float):  # a mark's own text (labels, cells)
        result["fontSize"] = max(node["fontSize"], PROJECTOR_LABEL_PX)
    return result


# ---------------------------------------------------------------- hyperparameter search


def search_landscape(trials: pd.DataFrame, x: str, y: str, value: str, title: str) -> alt.Chart:
    """A two-parameter grid as a heatmap of `value` (validation accuracy, or the train -
    validation gap), each cell also labelled with its number (colour is never the only cue).
    trials: one row per finished trial, columns x, y and value."""
    base = alt.Chart(trials).encode(
        x=alt.X(f"{x}:O", title=x, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{y}:O", title=y, sort="descending"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(f"{value}:Q", scale=alt.Scale(scheme="viridis"), title=value),
        tooltip=[
            alt.Tooltip(f"{x}:O"),
            alt.Tooltip(f"{y}:O"),
            alt.Tooltip(f"{value}:Q", format=".3f"),
        ],
    )
    middle = float(trials[value].median()) if len(trials) else 0.0
    labels = base.mark_text(fontSize=12).encode(
        text=alt.Text(f"{value}:Q", format=".2f"),
        color=alt.condition(f"datum['{value}'] < {middle}", alt.value("white"), alt.value("black")),
    )
    return (cells + labels).properties(width=320, height=260, **titled(title))


# Trials are whole numbers: no tick at trial 1.5 on a short search.
TRIAL_AXIS = alt.X("trial:Q", title="trial", axis=alt.Axis(tickMinStep=1, format="d"))


def best_so_far(trials: pd.DataFrame) -> alt.Chart:
    """Each trial's validation accuracy (circles: finished, crosses: pruned) and the best so
    far as a line. trials: columns trial, val_accuracy, state ("finished" or "pruned")."""
    ordered = trials.sort_values("trial").assign(
        best=lambda frame: frame["val_accuracy"].where(frame["state"] == "finished").cummax()
    )
    line = (
        alt.Chart(ordered)
        .mark_line(interpolate="step-after", color=SERIES[0])
        .encode(x=TRIAL_AXIS, y=alt.Y("best:Q", title="validation accuracy"))
    )
    points = (
        alt.Chart(ordered)
        .mark_point(filled=False, size=60, color=SERIES[1])
        .encode(
            x=TRIAL_AXIS,
            y=alt.Y("val_accuracy:Q", scale=alt.Scale(zero=False)),
            shape=alt.Shape(
                "state:N",
                scale=alt.Scale(domain=["finished", "pruned"], range=["circle", "cross"]),
                title="trial",
            ),
            tooltip=[
                alt.Tooltip("trial:Q"),
                alt.Tooltip("state:N"),
                alt.Tooltip("val_accuracy:Q", format=".3f"),
            ],
        )
    )
    return (line + points).properties(height=260, **titled("Best validation accuracy so far"))


def importance_bars(importances: dict[str, float]) -> alt.Chart:
    """Each parameter's share of the variation in the validation error (Optuna's fANOVA)."""
    frame = pd.DataFrame({"parameter": list(importances), "importance": list(importances.values())})
    return (
        alt.Chart(frame)
        .mark_bar(color=SERIES[0])
        .encode(
            x=alt.X("importance:Q", title="share of the variation", axis=alt.Axis(format="%")),
            y=alt.Y("parameter:N", sort="-x", title=None),
            tooltip=[alt.Tooltip("parameter:N"), alt.Tooltip("importance:Q", format=".0%")],
        )
        .properties(height=alt.Step(40), **titled("Which parameter mattered"))
    )
