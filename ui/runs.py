"""This session's run records: recorded by the training pages, shown by the Runs page and by a
compact comparison panel on each training page."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from nn_core import charts, runs
from ui import class_room
from ui.layout import show_chart

RUNS_KEY = "recorded_runs"  # list[RunRecord], oldest first
SEEN_KEY = "recorded_run_keys"  # result keys already recorded, so a rerun is not a new run


FINGERPRINTS_KEY = "recorded_run_fingerprints"  # of the session's runs: one copy of each
LOADED_KEY = "recorded_runs_loaded"  # this browser's saved runs were read into the session


def session_runs() -> list[runs.RunRecord]:
    """This session's runs, starting with the ones this browser saved before (a reload or a
    new tab finds them: ui.class_room keeps them in the class store under the browser's id)."""
    if not st.session_state.get(LOADED_KEY):
        st.session_state[LOADED_KEY] = True
        saved = class_room.saved_runs()
        st.session_state[RUNS_KEY] = runs.merge(saved, st.session_state.get(RUNS_KEY, [])).runs
    return st.session_state[RUNS_KEY]


def record(page: str, key, dataset: dict, result, extra_metrics=None) -> None:
    """Record a result the first time this session sees it (trained now or served from cache),
    unless the same run is already here (saved from an earlier session)."""
    seen = st.session_state.setdefault(SEEN_KEY, set())
    if key in seen:
        return
    seen.add(key)
    recorded = session_runs()
    run_id = runs.next_run_id(page, {run.run_id for run in recorded})
    made = runs.make_record(run_id, page, dataset, result, extra_metrics)
    known = st.session_state.get(FINGERPRINTS_KEY)
    if known is None or len(known) < len(recorded):  # (imports added runs meanwhile)
        known = st.session_state[FINGERPRINTS_KEY] = {runs.fingerprint(r) for r in recorded}
    if runs.fingerprint(made) not in known:
        known.add(runs.fingerprint(made))
        recorded.append(made)
        class_room.save_run(made)


def delete_my_runs() -> None:
    """Forget this browser's runs: in the store (its later sessions) and in this session."""
    try:
        class_room.forget_runs()
    except class_room.Unavailable as error:
        st.warning(class_room.unavailable_text(error), icon=":material/cloud_off:")
        return
    for key in (RUNS_KEY, SEEN_KEY, FINGERPRINTS_KEY):
        st.session_state.pop(key, None)
    st.rerun()


def add_imported(imported: list[runs.RunRecord]) -> runs.Merge:
    """Add every distinct imported run to the session (see nn_core.runs.merge)."""
    merged = runs.merge(session_runs(), imported)
    st.session_state[RUNS_KEY] = merged.runs
    for record in merged.runs[len(merged.runs) - merged.added :]:
        class_room.save_run(record)
    return merged


def compare_panel(page: str, shown: int = 6) -> None:
    """The last runs of this page: a small table and their validation curves overlaid."""
    page_runs = [run for run in session_runs() if run.page == page]
    panel = st.expander(
        f"Compare with previous runs ({len(page_runs)} this session)",
        icon=":material/compare_arrows:",
        key=f"{page}_compare_open",
        on_change="rerun",  # drawn only while open: its table and chart cost every run
    )
    if not panel.open:
        return
    with panel:
        if len(page_runs) < 2:
            st.caption(
                "Change a setting and train again: the runs line up here. The **Runs** "
                "page compares every run of the session."
            )
            return
        latest = page_runs[-shown:]
        table = runs.runs_table(latest)
        changing = [
            column
            for column in table.columns
            if column not in {"run", "page", "created"} and table[column].nunique() > 1
        ]
        show_table(table[["run", *changing]])
        metric = (
            "val_loss" if any(run.curves["val_loss"][-1] is not None for run in latest) else "loss"
        )
        show_chart(charts.runs_curves(runs.curves_frame(latest), metric), width="stretch")


def show_table(table: pd.DataFrame, key: str | None = None) -> None:
    """A runs table as a student reads it: field names as words, one number format per column
    (accuracies in % with two decimals, losses with four), "—" where a run has no value. A
    Styler changes only what is shown: sorting still uses the numbers."""
    formats = {}
    for column in table.select_dtypes("number").columns:
        if "accuracy" in column:
            formats[column] = "{:.2%}"
        elif "loss" in column:
            formats[column] = "{:.4f}"
        elif column in ("parameters", "samples", "epochs", "train_size", "vocabulary"):
            formats[column] = "{:,.0f}"
        elif column == "seconds":
            formats[column] = "{:.1f}"
        else:
            formats[column] = "{:g}"
    named = table.rename(columns=runs.field_name)
    styled = named.style.format(
        {runs.field_name(column): text for column, text in formats.items()}, na_rep=runs.MISSING
    )
    # Loaded at once (lazy=False): a lazily loaded grid ignores a Styler's formats.
    st.dataframe(styled, hide_index=True, key=key, lazy=False, placeholder=runs.MISSING)
