"""The MLP page's own data: click on the plane to add a point of the chosen class, click a
point to remove it, clear, or load a CSV (x1, x2, label). The points live in the session (and
in every run record made from them)."""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from nn_core import charts, own_data
from nn_core.colours import MULTI_CLASS_COLOURS
from nn_core.data import MAX_CLASSES
from ui.layout import picked, show_chart

POINTS_KEY = "moons_own_points"  # [[x1, x2, label], ...]
EDITS_KEY = "moons_own_edits"  # counts edits: a new chart key each time, so a click repeats
BOX = ((-2.5, 2.5), (-2.5, 2.5))  # the drawing area
CELLS = 50  # click targets per side: a click adds a point at its cell's centre
LINK_NAME = "moons_points"  # the URL parameter holding the points
# Longer links are not written: some proxies refuse request lines over 8 kB. About 1,000
# clicked points fit; beyond that the page says to share the CSV instead.
MAX_LINK_CHARS = 7000


def current() -> tuple[np.ndarray, np.ndarray]:
    """(points float32 [n, 2], labels int32 [n]) drawn so far."""
    rows = st.session_state.get(POINTS_KEY, [])
    if not rows:
        return np.zeros((0, 2), np.float32), np.zeros(0, np.int32)
    table = np.asarray(rows, np.float64)
    return table[:, :2].astype(np.float32), table[:, 2].astype(np.int32)


def load_from_link(params) -> None:
    """On a session's first run, the points its link carries (a bad one is named among the
    link's notices, and the page starts without points)."""
    linked = params.from_link_once(LINK_NAME, _checked_link)
    if linked is not None and not st.session_state.get(POINTS_KEY):
        st.session_state[POINTS_KEY] = linked


def _checked_link(text: str) -> list:
    try:
        points, labels = own_data.from_link(text)
    except own_data.OwnDataError as error:
        raise ValueError(f"the drawn points: {error}") from None
    return _as_rows(points, labels)


def keep_in_link(params, drawn: bool) -> None:
    """The drawn points in the URL while the page shows them (drawn), so a copied link opens
    them; too many for a link: a caption says to share the CSV."""
    points, labels = current()
    text = own_data.to_link(points, labels) if drawn and len(labels) else None
    if text is not None and len(text) > MAX_LINK_CHARS:
        st.caption(
            f"{len(labels):,} points are too many for a link: share the downloaded CSV instead "
            "(the link keeps the other settings)."
        )
        text = None
    params.keep_in_link(LINK_NAME, text)


def _as_rows(points: np.ndarray, labels: np.ndarray) -> list:
    """Session rows [x1, x2, label], each coordinate a float32's value: what the network
    trains on, and what a link writes exactly."""
    return [
        [float(x1), float(x2), int(label)]
        for (x1, x2), label in zip(points.astype(np.float32), labels, strict=True)
    ]


def frozen() -> tuple:
    """The points as a hashable value (part of a run's key and cache keys)."""
    return tuple(tuple(row) for row in st.session_state.get(POINTS_KEY, []))


def editor() -> None:
    """The drawing plane and its tools."""
    st.session_state.setdefault(POINTS_KEY, [])
    plane, tools = st.columns([3, 2])
    with tools:
        st.segmented_control(
            "Class of new points",
            list(range(MAX_CLASSES)),
            default=0,
            required=True,
            key="moons_own_class",
            format_func=lambda label: f"{label} {charts.SHAPES[label].split('-')[0]}",
        )
        counted = st.empty()  # filled once the upload below has added its points
        st.button(
            "Clear all points", key="moons_own_clear", on_click=_clear, icon=":material/delete:"
        )
        _csv_upload()
        points, labels = current()
        counted.caption(
            f"{len(labels)} points, classes {sorted(set(labels.tolist())) or 'none yet'}. "
            "Click on the plane to add a point, click a point to remove it."
        )
        if len(labels):
            st.download_button(
                "Download these points (CSV)",
                own_data.to_csv(points, labels),
                file_name="my_points.csv",
                key="moons_own_download",
                icon=":material/download:",
            )
    edits = st.session_state.get(EDITS_KEY, 0)
    show_chart(
        drawing_chart(*current()),
        plane,
        width="content",
        on_select=_on_click,
        key=f"moons_own_plane_{edits}",
        selection_mode=["add", "remove"],
    )


def drawing_chart(points: np.ndarray, labels: np.ndarray) -> alt.LayerChart:
    """The plane as click targets (invisible cells) with the points on top."""
    centres = np.linspace(BOX[0][0], BOX[0][1], CELLS)
    xx, yy = np.meshgrid(centres, centres)
    cells = pd.DataFrame({"x1": xx.ravel().round(3), "x2": yy.ravel().round(3)})
    x, y = (
        alt.X("x1:Q", scale=alt.Scale(domain=list(BOX[0]), nice=False), title="x1"),
        alt.Y("x2:Q", scale=alt.Scale(domain=list(BOX[1]), nice=False), title="x2"),
    )
    add = alt.selection_point(name="add", fields=["x1", "x2"], on="click", empty=False)
    targets = (
        alt.Chart(cells)
        .mark_square(size=100, opacity=0.01, color="#888888")  # 10 px: the cells tile the plane
        .encode(x=x, y=y)
        .add_params(add)
    )
    classes = max(2, int(labels.max()) + 1) if len(labels) else 2
    frame = pd.DataFrame(
        {"x1": points[:, 0], "x2": points[:, 1], "class": labels, "index": np.arange(len(labels))}
    )
    remove = alt.selection_point(name="remove", fields=["index"], on="click", empty=False)
    names = list(range(classes))
    dots = (
        alt.Chart(frame)
        .mark_point(size=70, strokeWidth=2, filled=True, opacity=0.9)
        .encode(
            x=x,
            y=y,
            color=alt.Color(
                "class:N",
                scale=alt.Scale(domain=names, range=list(MULTI_CLASS_COLOURS[:classes])),
                legend=charts.CLASS_LEGEND,
            ),
            shape=alt.Shape(
                "class:N",
                scale=alt.Scale(domain=names, range=charts.SHAPES[:classes]),
                legend=charts.CLASS_LEGEND,
            ),
            tooltip=[alt.Tooltip("x1:Q"), alt.Tooltip("x2:Q"), alt.Tooltip("class:N")],
        )
        .add_params(remove)
    )
    return alt.layer(targets, dots).properties(
        width=420, height=420, **charts.titled("Your data (click to add or remove)")
    )


def _on_click() -> None:
    edits = st.session_state.get(EDITS_KEY, 0)
    selection = st.session_state[f"moons_own_plane_{edits}"].selection
    rows = st.session_state.setdefault(POINTS_KEY, [])
    removed = picked(selection, "remove", "index")
    added = picked(selection, "add", "x1"), picked(selection, "add", "x2")
    if removed is not None and 0 <= int(removed) < len(rows):
        rows.pop(int(removed))
    elif None not in added and len(rows) < own_data.MAX_ROWS:
        label = int(st.session_state.get("moons_own_class", 0))
        rows.extend(_as_rows(np.array([added], np.float32), [label]))
    st.session_state[EDITS_KEY] = edits + 1


def _clear() -> None:
    st.session_state[POINTS_KEY] = []
    st.session_state[EDITS_KEY] = st.session_state.get(EDITS_KEY, 0) + 1


def _csv_upload() -> None:
    """Add a CSV's points to the drawn ones; a bad file is named and changes nothing."""
    upload = st.file_uploader(
        "Add points from a CSV (columns x1, x2, label)", type=["csv"], key="moons_own_csv"
    )
    if upload is None or st.session_state.get("moons_own_csv_read") == upload.file_id:
        return
    st.session_state["moons_own_csv_read"] = upload.file_id
    try:
        points, labels = own_data.read_csv(upload.getvalue())
    except own_data.OwnDataError as error:
        st.error(f"{upload.name}: {error} Nothing was added.", icon=":material/error:")
        return
    rows = st.session_state[POINTS_KEY]
    if len(rows) + len(labels) > own_data.MAX_ROWS:
        st.error(
            f"{upload.name}: with its {len(labels):,} points there would be more than "
            f"{own_data.MAX_ROWS:,}. Nothing was added.",
            icon=":material/error:",
        )
        return
    rows.extend(_as_rows(points, labels))
    st.session_state[EDITS_KEY] = st.session_state.get(EDITS_KEY, 0) + 1
    st.success(f"{upload.name}: added {len(labels):,} points.", icon=":material/check:")
