"""The search panel (issue 20): a hyperparameter search from the page's current setting,
run by nn_core.search (Optuna), drawn with our Altair charts. A page gives its setting, its
data and a `keep(spec, config, result)` that stores and records a trial as a run."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

from nn_core import charts, cost, search
from ui.layout import show_chart

SAMPLER_LABELS = {"grid": "Grid", "random": "Random", "tpe": "TPE (Bayesian)"}
STATE = "{prefix}_search_trials"  # the last search's trials, kept for the views


def search_view(
    prefix: str,
    searchable: dict,
    spec,
    config,
    data_for: Callable,
    keep: Callable,
    seconds_per_trial: float,
) -> None:
    """searchable: name (nn_core.search.APPLY or DATA_PARAMETERS) -> (label, choices, default
    values); data_for(values) -> a trial's split; keep(spec, config, result, values) stores and
    records a trial as a run."""
    chosen, sampler, trials, pruner = _controls(prefix, searchable)
    if not chosen:
        st.info("Choose one or two parameters to vary.", icon=":material/tune:")
        return
    try:
        setting = search.Search(
            tuple(search.Parameter(name, tuple(sorted(values))) for name, values in chosen.items()),
            sampler=sampler,
            trials=trials,
            pruner=pruner,
        )
    except ValueError as error:
        st.warning(str(error), icon=":material/warning:")
        return
    total = setting.planned_trials * seconds_per_trial
    if st.button(
        f"Run {setting.planned_trials} trials ({cost.describe(total)} of training)",
        key=f"{prefix}_search_run",
        type="primary",
        icon=":material/manage_search:",
    ):
        st.session_state[STATE.format(prefix=prefix)] = _run(
            prefix, setting, spec, config, data_for, keep
        )
    shown = st.session_state.get(STATE.format(prefix=prefix))
    if shown is not None:
        _views(*shown)


def search_expander(prefix: str, label: str = "Hyperparameter search"):
    """The search panel's expander, or None while it is closed (then nothing in it is drawn:
    its controls and charts would cost every run of the page)."""
    panel = st.expander(
        label, icon=":material/manage_search:", key=f"{prefix}_search_open", on_change="rerun"
    )
    return panel if panel.open else None


def _controls(prefix: str, searchable: dict):
    names = st.multiselect(
        "Vary",
        list(searchable),
        default=list(searchable)[:2],
        format_func=lambda name: searchable[name][0],
        max_selections=4,
        key=f"{prefix}_search_parameters",
    )
    chosen = {}
    for column, name in zip(st.columns(max(len(names), 1)), names, strict=False):
        label, choices, defaults = searchable[name]
        chosen[name] = column.multiselect(
            label, choices, default=defaults, key=f"{prefix}_search_values_{name}"
        )
    chosen = {name: values for name, values in chosen.items() if values}
    left, middle, right = st.columns(3)
    sampler = left.segmented_control(
        "Sampler",
        list(SAMPLER_LABELS),
        default="grid" if len(chosen) <= 2 else "tpe",
        format_func=SAMPLER_LABELS.get,
        required=True,
        key=f"{prefix}_search_sampler",
        help="Grid: every combination of one or two parameters' values. Random: values drawn "
        "at random. TPE: Optuna's Bayesian sampler, which tries more where results were good.",
    )
    trials = middle.slider("Trials (random, TPE)", 5, 50, 20, key=f"{prefix}_search_trials_count")
    pruner = (
        "median"
        if right.toggle(
            "Prune hopeless trials",
            key=f"{prefix}_search_prune",
            help="Optuna's median pruner: after five trials, a trial whose validation loss is "
            "worse than the median of the others at the same epoch is stopped there.",
        )
        else "none"
    )
    return chosen, sampler, trials, pruner


def _run(prefix, setting, spec, config, data_for, keep) -> tuple:
    """Run the search with a progress bar and a Stop button; every trial is kept as a run.
    Returns (trials table, importances, parameter names) for the views."""
    bar = st.progress(0.0, text="Search…")
    stop_button = st.empty()  # a click reruns the page: the next progress update notices
    stop_button.button("Stop", key=f"{prefix}_search_stop", icon=":material/stop_circle:")
    interrupted = {}

    def stop() -> bool:
        """True once the page was rerun (Stop, or another control): drawing raises then."""
        try:
            bar.progress(done["count"] / setting.planned_trials, text=done["text"])
        except (RerunException, StopException) as interruption:
            interrupted["by"] = interruption
            return True
        return False

    done = {"count": 0, "text": f"Trial 1 of {setting.planned_trials}…"}

    def on_trial(trial_run: search.TrialRun) -> None:
        result = trial_run.result
        keep(result.spec, result.config, result, trial_run.values)
        done["count"] += 1
        done["text"] = f"Trial {done['count'] + 1} of {setting.planned_trials}…"

    study = search.create_study(setting)
    outcome = search.run(study, setting, spec, config, data_for, stop, on_trial)
    bar.empty()
    stop_button.empty()
    names = [parameter.name for parameter in setting.parameters]
    table = trials_table(outcome.runs, names)
    shown = (table, search.importance(study), names, setting.sampler)
    if interrupted:  # keep what finished, then let the page's rerun go on
        st.session_state[STATE.format(prefix=prefix)] = shown
        raise interrupted["by"]
    return shown


def trials_table(runs: list[search.TrialRun], names: list[str]) -> pd.DataFrame:
    rows = []
    for run in runs:
        metrics = run.result.metrics
        rows.append(
            {
                "trial": run.number + 1,
                **{name: run.values[name] for name in names},
                "state": "pruned" if run.pruned_at is not None else "finished",
                "epochs": len(run.result.history),
                "val_accuracy": metrics["val_accuracy"],
                "train_accuracy": metrics["train_accuracy"],
                "gap": metrics["train_accuracy"] - metrics["val_accuracy"],
            }
        )
    return pd.DataFrame(rows)


def _views(table: pd.DataFrame, importances: dict, names: list[str], sampler: str) -> None:
    finished = table[table["state"] == "finished"]
    if sampler == "grid" and len(names) == 2 and len(finished):
        left, right = st.columns(2)
        show_chart(
            charts.search_landscape(finished, *names, "val_accuracy", "Validation accuracy"),
            left,
            width="content",
        )
        show_chart(
            charts.search_landscape(finished, *names, "gap", "Train - validation gap"),
            right,
            width="content",
        )
        st.caption(
            "Where the gap grows, the network starts to learn its training points' noise: "
            "overfitting."
        )
    show_chart(charts.best_so_far(table), width="stretch")
    if importances:
        show_chart(charts.importance_bars(importances), width="stretch")
        st.caption(importance_sentence(importances, len(finished)))
    elif len(finished) > 1:
        st.caption(
            "Every finished trial reached the same validation accuracy: no parameter made a "
            "difference here, so none is ranked."
        )
    st.dataframe(
        table,
        hide_index=True,
        column_config={
            "val_accuracy": st.column_config.NumberColumn("validation accuracy", format="%.3f"),
            "train_accuracy": st.column_config.NumberColumn("training accuracy", format="%.3f"),
            "gap": st.column_config.NumberColumn(format="%.3f"),
        },
    )


def importance_sentence(importances: dict, finished: int) -> str:
    """What the importance bars mean, and how far to trust them."""
    ranked = sorted(importances.items(), key=lambda item: -item[1])
    top, share = ranked[0]
    sure = (
        "a rough guide: with so few trials another search may rank them differently"
        if finished < 20
        else "based on enough trials to be a fair guide"
    )
    return (
        f"Over these {finished} finished trials, **{top}** explains {share:.0%} of the "
        f"variation in validation error (Optuna's fANOVA): changing it changed the result "
        f"most. This is {sure}."
    )
