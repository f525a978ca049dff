"""TensorFlow Playground's signature view: the network drawn as nodes (inputs, every hidden
layer, output), each node showing its own output over the plane, links coloured by the sign of
their weight (and dashed when negative, so colour is not the only cue) and as thick as it is
large. Drawn as one Altair chart: node pictures are small PNGs, links are rules."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from nn_core import charts, features, theory
from nn_core.colours import BLUE, HIGHLIGHT, ORANGE

MAX_SHOWN_UNITS = 8  # per layer; the diagram says how many more there are
NODE_PIXELS = 38  # a node's picture
COLUMN_GAP, ROW_GAP = 120, 50  # pixels between layers, between nodes
LEFT_MARGIN = 64  # room for the input features' names, left of their nodes
THUMBNAIL_GRID = 24  # a node's picture is its output on a 24 x 24 grid over the plane
OUTPUT = "output"


def node_names(spec) -> list[list[str]]:
    """Every drawn node's name, layer by layer: the input features, "h1.3" (hidden layer 1,
    unit 3), ..., and "output" (or "output 2" for class 2 of several)."""
    inputs = list(spec.input_features or features.RAW)
    hidden = [
        [f"h{layer}.{unit}" for unit in range(1, units + 1)]
        for layer, units in enumerate(spec.hidden_units, start=1)
    ]
    outputs = (
        [OUTPUT] if spec.output_units == 1 else [f"{OUTPUT} {k}" for k in range(spec.output_units)]
    )
    return [inputs, *hidden, outputs]


def node_label(name: str) -> str:
    """What a node is called on the page: "x₁²", "layer 1, unit 3", "output (class 2)"."""
    if name in features.FEATURES:
        return features.label(name)
    if name.startswith("h"):
        layer, unit = name[1:].split(".")
        return f"layer {layer}, unit {unit}"
    return "output" if name == OUTPUT else f"output (class {name.split()[-1]})"


def node_values(result, points: np.ndarray, weights=None) -> dict[str, np.ndarray]:
    """Each node's output at these plane points [n, 2], by name (see node_names); `weights`:
    a replay snapshot instead of the final weights. The forward pass in NumPy
    (nn_core.theory): a few hundred points through a small network need no compiled graph,
    and a new network's diagram then costs no tracing (a quarter second before)."""
    values = {}
    layers = _layer_outputs(result, points, weights)
    for layer_names, layer_outputs in zip(node_names(result.spec), layers, strict=True):
        for column, name in enumerate(layer_names):
            values[name] = layer_outputs[:, column]
    return values


def network_outputs(result, points: np.ndarray, weights=None, chunk: int = 8192) -> np.ndarray:
    """The network's outputs [n, outputs] at plane points [n, 2] (float32), by the same
    NumPy forward pass, in chunks of points to bound memory: the page's boundary of a
    network new to the server then costs no tracing of a prediction graph (a third of a
    second there)."""
    parts = [
        _layer_outputs(result, points[start : start + chunk], weights)[-1]
        for start in range(0, len(points), chunk)
    ]
    return np.concatenate(parts).astype(np.float32)


def _layer_outputs(result, points: np.ndarray, weights=None) -> list[np.ndarray]:
    """[the input features, each layer's outputs...] at plane points [n, 2]."""
    spec = result.spec
    weights = result.weights if weights is None else weights
    inputs = features.expand(points, spec.input_features or features.RAW)
    outputs = [product.output for product in theory.network_products(spec, weights, inputs)]
    if spec.output_activation == "softmax":
        shifted = np.exp(outputs[-1] - outputs[-1].max(axis=1, keepdims=True))
        outputs[-1] = shifted / shifted.sum(axis=1, keepdims=True)
    elif spec.output_activation == "sigmoid":
        outputs[-1] = theory.activation_values("sigmoid", outputs[-1])
    return [inputs, *outputs]


def node_colours(name: str, values: np.ndarray, spec) -> np.ndarray:
    """A node's output on the square grid as RGB, orange (low) to blue (high): hidden units
    on their activation's range, outputs as probabilities (regression: -1 .. 1), inputs on
    their own range."""
    size = int(np.sqrt(values.size))
    values = values.reshape(size, size)
    if name in features.FEATURES:
        return charts.unit_image(values, "linear")
    if name.startswith(OUTPUT):
        scaled = (np.clip(values, -1, 1) + 1) / 2 if spec.regression else values
        return charts.unit_image(scaled, "sigmoid")
    return charts.unit_image(values, spec.activation)


# The named datasets a replay frame changes (ui.layout.with_datasets swaps them): the nodes'
# pictures and the links' weights. Everything else of the diagram is the same at every frame.
NODE_PICTURES, LINKS = "nn_diagram_nodes", "nn_diagram_links"


def network_diagram(result, grid, weights=None, selected: str | None = None) -> alt.LayerChart:
    """The diagram of a trained network (or of a replay snapshot's weights) over `grid`
    (a training.Grid, THUMBNAIL_GRID points a side). `selected`: the node drawn large on the
    page, outlined here."""
    chart = diagram_chart(drawn_nodes(result.spec), selected)
    return chart.properties(datasets=frame_data(result, grid, weights))


def drawn_nodes(spec) -> tuple[tuple[str, ...], ...]:
    """What a diagram's chart depends on (diagram_chart): its nodes' names, layer by layer.
    Networks that differ only in activation, optimizer or rates share it."""
    return tuple(tuple(names) for names in node_names(spec))


def diagram_chart(names: tuple[tuple[str, ...], ...], selected: str | None = None):
    """The diagram's chart without its data: the nodes' places and names, "+ n more", the
    selected node's outline; the pictures and links are the named datasets NODE_PICTURES and
    LINKS (frame_data). The same for every network with these nodes (drawn_nodes), so a page
    builds it once (40 ms of Altair for every new result) and swaps the data in."""
    nodes = _node_places(names)
    width = LEFT_MARGIN + int(nodes["column"].max()) * COLUMN_GAP + NODE_PIXELS
    height = int(nodes["y"].max()) + NODE_PIXELS
    x = alt.X("x:Q", scale=alt.Scale(domain=[0, width]), axis=None)
    y = alt.Y("y:Q", scale=alt.Scale(domain=[0, height], reverse=True), axis=None)
    layers = [
        _links_layer(x, y),
        alt.Chart(alt.NamedData(name=NODE_PICTURES))
        .mark_image(width=NODE_PIXELS, height=NODE_PIXELS)
        .encode(x=x, y=y, url=alt.Url("url:N"), key=alt.Key("key:N"), order=alt.Order("layer:Q")),
        _pick_layer(nodes, x, y),
        alt.Chart(nodes[nodes["column"] == 0])
        .mark_text(align="right", dx=-(NODE_PIXELS / 2 + 4), fontSize=12)
        .encode(x=x, y=y, text=alt.Text("label:N")),
        _more_units_layer(names, nodes, x, y),
    ]
    if selected in set(nodes["node"]):
        picked = nodes[nodes["node"] == selected]
        layers.append(
            alt.Chart(picked)
            .mark_square(size=(NODE_PIXELS + 8) ** 2, filled=False, strokeWidth=3)
            .encode(x=x, y=y, color=alt.ColorValue(HIGHLIGHT))
        )
    # "pad": width and height are the plot's own, the title and legend come on top (with
    # Streamlit's default "fit" they squeezed the nodes into each other).
    return alt.layer(*layers).properties(
        width=width,
        height=height,
        autosize=alt.AutoSizeParams(type="pad"),
        **charts.titled("The network (click a node)"),
    )


def _node_places(layers) -> pd.DataFrame:
    """The drawn nodes (node, label, column, x, y in pixels) of these layers' node names
    (node_names), each layer centred on the tallest."""
    columns = [names[:MAX_SHOWN_UNITS] for names in layers]
    tallest = max(len(names) for names in columns)
    nodes = []
    for column, names in enumerate(columns):
        top = (tallest - len(names)) * ROW_GAP / 2
        for row, name in enumerate(names):
            nodes.append(
                {
                    "node": name,
                    "label": node_label(name),
                    "column": column,
                    "x": LEFT_MARGIN + column * COLUMN_GAP,
                    "y": top + row * ROW_GAP + NODE_PIXELS,
                }
            )
    return pd.DataFrame(nodes)


def frame_data(result, grid, weights=None, pictures=None) -> dict[str, list[dict]]:
    """What the diagram shows of these weights (default: the final ones), as its named
    datasets: each node's picture, and each link's weight. pictures: the node pictures'
    rows if made already (a replay frame's: replay_pictures)."""
    weights = result.weights if weights is None else weights
    if pictures is None:
        pictures = node_pictures(result, grid, weights)
    links = _link_rows(_node_places(node_names(result.spec)), weights)
    return {NODE_PICTURES: pictures, LINKS: links}


def node_pictures(result, grid, weights=None, frame: int | None = None) -> list[dict]:
    """Each drawn node's picture of these weights, keyed by node and replay frame (None: the
    final weights), as charts.image_rows keys a plot's."""
    spec = result.spec
    values = node_values(result, grid.points, weights)
    return [
        {
            "x": node.x,
            "y": node.y,
            "url": charts.png_data_url(node_colours(node.node, values[node.node], spec)),
            "key": f"{node.node} {charts.picture_key(frame)}",
            "layer": 1,
        }
        for node in _node_places(node_names(spec)).itertuples()
    ]


def replay_pictures(pictures_of, frame: int) -> list[dict]:
    """A replay frame's node pictures (pictures_of(frame) -> node_pictures rows) over those
    a play shows before it, which keep their loaded images while the new ones load (see
    charts.image_rows): those of charts.shown_before(frame)."""
    earlier = pictures_of(charts.shown_before(frame))
    return [*({**row, "layer": 0} for row in earlier), *pictures_of(frame)]


def _link_rows(nodes: pd.DataFrame, weights) -> list[dict]:
    """One row per weight between drawn nodes, its width by |weight| relative to the largest
    drawn."""
    kernels = weights[0::2]  # [fan_in, units] per Dense layer
    rows = []
    for layer, kernel in enumerate(kernels):
        sources = nodes[nodes["column"] == layer]
        targets = nodes[nodes["column"] == layer + 1]
        for source_index, source in enumerate(sources.itertuples()):
            for target_index, target in enumerate(targets.itertuples()):
                weight = float(kernel[source_index, target_index])
                rows.append(
                    {
                        "x": source.x,
                        "y": source.y,
                        "x2": target.x,
                        "y2": target.y,
                        "weight": weight,
                        "sign": "positive" if weight >= 0 else "negative",
                        "link": f"{source.label} → {target.label}",
                    }
                )
    largest = max((abs(row["weight"]) for row in rows), default=0.0) or 1.0
    for row in rows:
        row["width"] = 0.5 + 5 * abs(row["weight"]) / largest
    return rows


def _links_layer(x, y) -> alt.Chart:
    """The links (named dataset LINKS): blue solid if positive, orange dashed if negative,
    thicker for a larger weight."""
    signs = ["positive", "negative"]
    return (
        alt.Chart(alt.NamedData(name=LINKS))
        .mark_rule(opacity=0.75)
        .encode(
            x=x,
            y=y,
            x2=alt.X2("x2:Q"),
            y2=alt.Y2("y2:Q"),
            strokeWidth=alt.StrokeWidth("width:Q", scale=None, legend=None),
            color=alt.Color(
                "sign:N",
                scale=alt.Scale(domain=signs, range=[BLUE, ORANGE]),
                legend=alt.Legend(title="weight", orient="bottom", direction="horizontal"),
            ),
            strokeDash=alt.StrokeDash(
                "sign:N", scale=alt.Scale(domain=signs, range=[[1, 0], [4, 3]]), legend=None
            ),
            tooltip=[alt.Tooltip("link:N"), alt.Tooltip("weight:Q", format=".3f")],
        )
    )


def _pick_layer(nodes: pd.DataFrame, x, y) -> alt.Chart:
    """Invisible squares over the nodes: pointing at a node names it (selection "hover",
    emptied when the pointer leaves it), clicking picks it (selection "node"); the page
    draws the node's output large while it is pointed at, and keeps a picked one there."""
    pick = alt.selection_point(name="node", fields=["node"], on="click", empty=False)
    hover = alt.selection_point(
        name="hover", fields=["node"], on="mouseover", clear="mouseout", empty=False
    )
    return (
        alt.Chart(nodes)
        .mark_square(size=NODE_PIXELS**2, opacity=0.01, color="white")
        .encode(x=x, y=y, tooltip=[alt.Tooltip("label:N", title="node")])
        .add_params(pick, hover)
    )


def _more_units_layer(names, nodes: pd.DataFrame, x, y) -> alt.Chart:
    """ "+ 92 more" under a layer drawn only in part."""
    rows = []
    for layer, units in enumerate(names[1:-1], start=1):  # (the hidden layers)
        if len(units) > MAX_SHOWN_UNITS:
            last = nodes[nodes["column"] == layer].iloc[-1]
            more = len(units) - MAX_SHOWN_UNITS
            rows.append({"x": last.x, "y": last.y, "text": f"+ {more} more"})
    frame = pd.DataFrame(rows, columns=["x", "y", "text"])
    return (
        alt.Chart(frame)
        .mark_text(dy=NODE_PIXELS / 2 + 8, fontSize=11)
        .encode(x=x, y=y, text=alt.Text("text:N"))
    )
