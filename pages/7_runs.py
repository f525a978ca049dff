"""Every training run of this session side by side, as TensorBoard's HParams view does it."""

import pandas as pd
import streamlit as st

from nn_core import charts, runs
from ui.layout import setup_page, show_chart
from ui.runs import add_imported, delete_my_runs, session_runs, show_table

MAX_UPLOAD_BYTES = 5 * 1024 * 1024

setup_page(
    "Runs: compare everything you trained",
    ":material/table_chart:",
    "Each training on the other pages is recorded here with its settings, curves and results. "
    "Sort and filter the table, overlay curves, see which hyperparameters go with good "
    "results, pin a baseline to see what changed, and export the runs to keep or share.",
)


def import_runs():
    with st.expander("Import runs from a JSON export", icon=":material/upload:"):
        upload = st.file_uploader("Runs file (.json)", type=["json"], key="runs_upload")
        if upload is None:
            return
        if upload.size > MAX_UPLOAD_BYTES:
            st.error(
                f"The file is {upload.size / 1e6:.1f} MB; at most "
                f"{MAX_UPLOAD_BYTES / 1e6:.0f} MB are accepted. Nothing was imported."
            )
            return
        try:
            imported = runs.from_json(upload.getvalue())
        except ValueError as error:
            st.error(f"{error} Nothing was imported; your runs are unchanged.")
            return
        st.success(import_summary(add_imported(imported)))


def import_summary(merged) -> str:
    """'Added 3 runs (moons-1 renamed moons-4: that name was taken); 1 was already here.'"""
    text = f"Added {merged.added} run{'' if merged.added == 1 else 's'}"
    if merged.renamed:
        names = ", ".join(f"{old} as {new}" for old, new in merged.renamed.items())
        text += f" ({names}: those names were taken)"
    if merged.duplicates:
        were = "was" if merged.duplicates == 1 else "were"
        text += f"; {merged.duplicates} {were} already here (same settings and curves)"
    return text + "."


def filtered_table(table: pd.DataFrame) -> pd.DataFrame:
    left, right = st.columns([1, 2])
    pages = left.multiselect(
        "Pages", sorted(table["page"].unique()), sorted(table["page"].unique()), key="runs_pages"
    )
    query = right.text_input("Filter (text that any setting contains)", key="runs_filter")
    shown = table[table["page"].isin(pages)]
    if query:
        matches = shown.astype(str).apply(
            lambda row: row.str.contains(query, case=False, regex=False).any(), axis=1
        )
        shown = shown[matches]
    show_table(shown, key="runs_table")
    st.caption(f"{len(shown)} of {len(table)} runs. Click a column header to sort.")
    return shown


def compare_views(records, shown: pd.DataFrame):
    ids = list(shown["run"])
    chosen = st.multiselect("Runs to overlay", ids, ids[-5:], key="runs_selected")
    curve = st.radio(
        "Curve",
        ["val_loss", "val_accuracy", "loss", "accuracy"],
        horizontal=True,
        key="runs_curve",
        format_func=runs.field_name,
    )
    overlaid_curves([record for record in records if record.run_id in chosen], curve)
    metrics = runs.numeric_metrics(shown)
    if not metrics:
        return
    metric = st.selectbox("Metric", metrics, key="runs_metric", format_func=runs.field_name)
    columns = runs.hyperparameter_columns(shown, metrics)
    if not columns:
        st.info("The shown runs share every hyperparameter: change one and train again.")
        return
    rows = shown.dropna(subset=[metric])
    show_chart(charts.parallel_coordinates(rows, columns, metric), width="stretch")
    x = st.selectbox(
        "Hyperparameter for the scatter", columns, key="runs_scatter_x", format_func=runs.field_name
    )
    show_chart(charts.scatter(rows, x, metric), width="stretch")


def overlaid_curves(chosen_records, curve):
    """One chart per page: each on its own epoch axis (a 10-epoch MNIST run was an invisible
    stub on the 0-5,000 axis of a moons run)."""
    by_page = {}
    for record in chosen_records:
        by_page.setdefault(record.page, []).append(record)
    for page, page_records in by_page.items():
        title = f"{runs.field_name(curve)}: {page} runs"
        show_chart(
            charts.runs_curves(runs.curves_frame(page_records), curve, title), width="stretch"
        )


def baseline_view(records):
    ids = [record.run_id for record in records]
    baseline_id = st.selectbox("Pin a baseline run", ids, key="runs_baseline")
    baseline = next(record for record in records if record.run_id == baseline_id)
    rows = []
    for record in records:
        if record is baseline:
            continue
        changed, deltas = runs.differences(baseline, record)
        rows.append(
            {
                "Run": record.run_id,
                "Changed": "; ".join(
                    f"{runs.field_name(name)}: {runs.shown(old)} → {runs.shown(new)}"
                    for name, (old, new) in changed.items()
                )
                or "nothing",
                **{f"Δ {runs.field_name(name)}": delta for name, delta in deltas.items()},
            }
        )
    if rows:
        differences = pd.DataFrame(rows)
        formats = {
            column: "{:+.2%}" if "accuracy" in column.lower() else "{:+.4g}"
            for column in differences.columns
            if column.startswith("Δ")
        }
        st.dataframe(
            differences.style.format(formats, na_rep=runs.MISSING),
            hide_index=True,
            key="runs_differences",
            lazy=False,
            placeholder=runs.MISSING,
        )


def export_files(records) -> tuple[str, str]:
    """(CSV, JSON) of the runs, rebuilt only when the runs change. Built before the click, not
    on it: a download that starts after a slow server round trip can lose the click's user
    activation, and the browser then drops it."""
    key = tuple(record.run_id for record in records)
    memo = st.session_state.get("runs_export")
    if memo is None or memo[0] != key:
        memo = (key, runs.to_csv(records), runs.to_json(records))
        st.session_state["runs_export"] = memo
    return memo[1], memo[2]


def export_buttons(records):
    csv_text, json_text = export_files(records)
    left, right = st.columns(2)
    left.download_button(
        "Download runs as CSV (one row per run)",
        csv_text,
        "runs.csv",
        "text/csv",
        key="runs_csv",
        icon=":material/download:",
    )
    right.download_button(
        "Download runs as JSON (with curves)",
        json_text,
        "runs.json",
        "application/json",
        key="runs_json",
        icon=":material/download:",
    )


import_runs()
records = session_runs()
if not records:
    st.info(
        "No runs yet: train something on the **MLP on moons**, **MNIST** or **IMDB** page, "
        "or import a JSON export above.",
        icon=":material/info:",
    )
    st.stop()
table = runs.runs_table(records)
shown = filtered_table(table)
if shown.empty:
    st.stop()
st.subheader("Compare")
compare_views(records, shown)
st.subheader("Against a baseline")
baseline_view(records)
st.subheader("Export")
export_buttons(records)
st.caption(
    "Your runs are kept for this browser, under an anonymous id in a cookie: a reload, a new "
    "tab or tomorrow's lesson finds them here. Nobody else sees them unless you share them "
    "with a class."
)
st.button(
    "Delete my runs",
    key="runs_delete_mine",
    icon=":material/delete:",
    on_click=delete_my_runs,
    help="Removes every run of this browser from the server and from this page.",
)
