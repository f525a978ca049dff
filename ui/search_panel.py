"""The search panel (issue 20): a hyperparameter search from the page's current setting,
run by nn_core.search (Optuna), drawn with our Altair charts. A page gives its setting, its
data and a `keep(spec, config, result)` that stores and records a trial as a run."""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable
from dataclasses import replace

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException, get_script_run_ctx

from nn_core import charts, class_store, cost, search
from ui import class_room
from ui.controls import choice_label
from ui.layout import show_chart

SAMPLER_LABELS = {"grid": "Grid", "random": "Random", "tpe": "TPE (Bayesian)"}
PRUNER_LABELS = {"none": "No", "median": "Median", "hyperband": "Hyperband"}
STATE = "{prefix}_search_trials"  # the last search's trials, kept for the views
STOPPED = "{prefix}_search_stopped"  # (trials kept, trials planned) of a search Stop ended
# A search that Stop ended hands its finished trials to the page's next run here: Streamlit
# starts that run at once, and the stopped run can no longer write to the session's state.
_handover: dict[tuple[str, str], dict] = {}  # (session id, prefix) -> {done, shown, stopped}


def _handover_key(prefix: str) -> tuple[str, str]:
    context = get_script_run_ctx()
    return (context.session_id if context else "", prefix)


def _take_handover(prefix: str, seconds: float = 15) -> None:
    """In the run after a Stop: wait for the stopped search to finish its trial (a fraction of
    a second), then keep what it handed over for the views."""
    handed = _handover.pop(_handover_key(prefix), None)
    if handed is None:
        return
    handed["done"].wait(seconds)
    if "shown" in handed:
        st.session_state[STATE.format(prefix=prefix)] = handed["shown"]
        st.session_state[STOPPED.format(prefix=prefix)] = handed["stopped"]


def search_view(
    prefix: str,
    searchable: dict,
    spec,
    config,
    data_for: Callable,
    keep: Callable,
    seconds_for: Callable[[dict], float],
    class_setting=None,
    show_trial: Callable | None = None,
) -> None:
    """searchable: name (nn_core.search.APPLY or DATA_PARAMETERS) -> (label, choices, default
    values); data_for(values) -> a trial's split; keep(spec, config, result, values) stores and
    records a trial as a run; seconds_for(values): the page's estimate of a trial's training;
    class_setting: the page's current setting as its run key, which a class study runs from
    (None: no class study on this page); show_trial(values), in a callback, sets the page's
    controls to a trial's values (None: trials are not clickable)."""
    chosen, sampler, trials, pruner, budget = _controls(prefix, searchable)
    if not chosen:
        st.info("Choose up to four parameters to vary.", icon=":material/tune:")
        return
    try:
        setting = search.Search(
            tuple(search.Parameter(name, values) for name, values in chosen.items()),
            sampler=sampler,
            trials=trials,
            pruner=pruner,
            seconds=budget,
        )
    except ValueError as error:
        st.warning(str(error), icon=":material/warning:")
        return
    total = setting.expected_seconds(seconds_for)
    if class_setting is not None:
        class_study_panel(prefix, setting, spec, config, data_for, keep, fingerprint(class_setting))
    label = f"Run {setting.planned_trials} trials ({cost.describe(total)} of training)"
    if budget is not None and budget < total:
        label = f"Run up to {setting.planned_trials} trials (stops after {cost.describe(budget)})"
    if st.button(
        label,
        key=f"{prefix}_search_run",
        type="primary",
        icon=":material/manage_search:",
    ):
        st.session_state[STATE.format(prefix=prefix)] = _run(
            prefix, setting, spec, config, data_for, keep
        )
    _take_handover(prefix)
    stopped = st.session_state.pop(STOPPED.format(prefix=prefix), None)
    if stopped is not None:
        st.info(
            f"Stopped after {stopped[0]} of {stopped[1]} trials: the finished ones are kept, "
            "below and on the Runs page.",
            icon=":material/stop_circle:",
        )
    shown = st.session_state.get(STATE.format(prefix=prefix))
    if shown is not None:
        _views(*shown, table_key=f"{prefix}_search_table", show_trial=show_trial)


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
            label,
            choices,
            default=defaults,
            format_func=choice_label,
            key=f"{prefix}_search_values_{name}",
        )
    # In the ladder's order (a batch size may be "full batch" or a number: no sorting those).
    chosen = {
        name: tuple(value for value in searchable[name][1] if value in values)
        for name, values in chosen.items()
        if values
    }
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
    pruner = right.segmented_control(
        "Prune hopeless trials",
        list(PRUNER_LABELS),
        default="none",
        format_func=PRUNER_LABELS.get,
        required=True,
        key=f"{prefix}_search_pruner",
        help="Fed each trial's validation loss as it trains. Median: after five trials, a trial "
        "worse than the median of the others at the same epoch stops there. Hyperband: "
        "trials race in brackets, and only the best of each bracket get every epoch.",
    )
    budget = middle.number_input(
        "Time budget in seconds (0: none)",
        min_value=0,
        max_value=3600,
        value=0,
        step=30,
        key=f"{prefix}_search_budget",
        help="The search stops starting new trials once this much time has passed.",
    )
    return chosen, sampler, trials, pruner, float(budget) or None


def _run(prefix, setting, spec, config, data_for, keep, study=None, attrs=None) -> tuple:
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

    kept: list[search.TrialRun] = []

    def on_trial(trial_run: search.TrialRun) -> None:
        result = trial_run.result
        keep(result.spec, result.config, result, trial_run.values)
        kept.append(trial_run)
        done["count"] += 1
        done["text"] = f"Trial {done['count'] + 1} of {setting.planned_trials}…"

    study = study or search.create_study(setting)
    handed = _handover[_handover_key(prefix)] = {"done": threading.Event()}
    try:
        try:
            search.run(study, setting, spec, config, data_for, stop, on_trial, attrs)
        except (RerunException, StopException) as interruption:
            # (Stop seen by a page call inside a trial, e.g. while keeping it, not by stop())
            interrupted["by"] = interruption
        names = [parameter.name for parameter in setting.parameters]
        table = trials_table(kept, names)
        shown = (table, search.importance(study), names, setting.sampler)
        if interrupted:  # hand what finished to the page's next run, then end this one
            handed.update(shown=shown, stopped=(len(table), setting.planned_trials))
            raise interrupted["by"]
    finally:
        handed["done"].set()
    bar.empty()
    stop_button.empty()
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


def _views(
    table: pd.DataFrame,
    importances: dict,
    names: list[str],
    sampler: str,
    table_key: str | None = None,
    show_trial: Callable | None = None,
) -> None:
    """The search's views; with show_trial(values), a click on a trial's row shows it on the
    page."""
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
    if len(table) > 1:  # every trial across the varied parameters, as the Runs page draws runs
        trials = table.assign(run=[f"trial {number}" for number in table["trial"]])
        show_chart(charts.parallel_coordinates(trials, names, "val_accuracy"), width="stretch")
    if importances:
        show_chart(charts.importance_bars(importances), width="stretch")
        st.caption(importance_sentence(importances, len(finished)))
    elif len(finished) > 1:
        st.caption(
            "Every finished trial reached the same validation accuracy: no parameter made a "
            "difference here, so none is ranked."
        )
    picking = {}
    if show_trial is not None:

        def picked() -> None:
            rows = st.session_state[table_key]["selection"]["rows"]
            if rows:
                row = table.iloc[rows[0]]
                show_trial({name: _plain(row[name]) for name in names})

        picking = {"on_select": picked, "selection_mode": "single-row", "key": table_key}
        st.caption(
            "Click a trial's row to show it on the page: its result is kept, so nothing "
            "trains again."
        )
    st.dataframe(
        table,
        hide_index=True,
        **picking,
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


def fingerprint(run_key) -> str:
    """A setting as a short text that is the same in every session and on every server (a
    class study's trials must all start from the teacher's setting)."""
    return hashlib.sha256(repr(run_key).encode()).hexdigest()[:16]


STUDY_TRIALS = 3  # a student's share of the class study per click
STUDY_PLACES = {  # where a page's search panel is, for the Class page's sentence
    "moons": "the MLP page's Search tab",
    "mnist": "the MNIST page's Hyperparameter search panel",
    "imdb": "the IMDB page's Hyperparameter search panel",
}


def class_study_panel(prefix, setting, spec, config, data_for, keep, setting_key) -> None:
    """A class study (issue 17's class store as Optuna's storage): the teacher makes this
    search the class's; each joined student runs a few of its trials from the same setting,
    and the Class page shows the study growing."""
    info = class_room.class_info()
    if info is None or info.closed:
        return
    study = info.study if info.study and info.study["page"] == prefix else None
    with st.container(border=True):
        if class_room.teaching():
            _teacher_study(prefix, setting, setting_key, info, study)
        elif study is not None:
            _student_study(prefix, study, spec, config, data_for, keep, setting_key)


def _teacher_study(prefix, setting, setting_key, info, study) -> None:
    if study is not None:
        st.caption(f"The class study: {study['label']}. Its trials are on the Class page.")
    if st.button(
        "Make this search the class study",
        key=f"{prefix}_class_study",
        icon=":material/groups:",
        help="Every student who joined runs some of its trials from this page's current "
        "setting; the Class page shows them all.",
    ):
        name = f"class-{info.code}-{uuid.uuid4().hex[:8]}"
        try:
            class_room.class_study(name, setting, create=True)
            label = ", ".join(parameter.name for parameter in setting.parameters)
            stored = {
                "name": name,
                "page": prefix,
                "setting": setting_key,
                "search": search.to_dict(setting),
                "label": f"varying {label}",
            }
            code, key = class_room.teaching()
            class_room.call(class_store.set_study, code, key, stored)
        except class_room.Unavailable as error:
            st.warning(class_room.unavailable_text(error), icon=":material/cloud_off:")
            return
        st.success("Class study started: students find it in this panel.", icon=":material/groups:")


def _student_study(prefix, study, spec, config, data_for, keep, setting_key) -> None:
    st.markdown(f"**Class study** ({class_room.plain(study['label'])})")
    if study["setting"] != setting_key:
        st.caption(
            "It starts from your teacher's setting, not this one: set the page as your "
            "teacher's (the Class page's join link, or ask for the setting's link)."
        )
        return
    code, nickname = class_room.joined()
    try:
        loaded = search.from_dict(study["search"], share=STUDY_TRIALS)
        optuna_study = class_room.class_study(study["name"], loaded)
        if loaded.sampler == "grid":  # (the cells other students have not taken)
            share = min(STUDY_TRIALS, search.open_cells(loaded, optuna_study))
            loaded = replace(loaded, share=share)
    except class_room.Unavailable as error:
        st.warning(class_room.unavailable_text(error), icon=":material/cloud_off:")
        return
    if loaded.planned_trials == 0:
        st.caption("Every cell of the study's grid is taken: the Class page shows the results.")
        return
    count = loaded.planned_trials
    if st.button(
        f"Run {count} trial{'s' if count != 1 else ''} of the class study",
        key=f"{prefix}_class_study_run",
        type="primary",
        icon=":material/groups:",
    ):
        st.session_state[STATE.format(prefix=prefix)] = _run(
            prefix, loaded, spec, config, data_for, keep, optuna_study, {"student": nickname}
        )


def class_study_board(stored: dict) -> None:
    """The class study on the Class page: every student's trials, as the search panel shows
    a search."""
    st.markdown(f"**Class study** ({class_room.plain(stored['label'])})")
    try:
        study = class_room.class_study(stored["name"])
    except class_room.Unavailable as error:
        st.warning(class_room.unavailable_text(error), icon=":material/cloud_off:")
        return
    names = [parameter["name"] for parameter in stored["search"]["parameters"]]
    table = search.study_table(study, names)
    if table.empty:
        st.caption(f"No trials yet: students run them from {STUDY_PLACES[stored['page']]}.")
        return
    students = table["student"].nunique()
    st.caption(f"{len(table):,} trials by {students:,} student{'s' if students != 1 else ''}.")
    _views(table, search.importance(study), names, stored["search"]["sampler"])


def class_study_size(stored: dict | None) -> int:
    """How many trials the class study has (for the board's watcher: a cheap count)."""
    if stored is None:
        return 0
    try:
        return len(class_room.class_study(stored["name"]).get_trials(deepcopy=False))
    except class_room.Unavailable:
        return 0


def _plain(value):
    """A table cell as a Python value (a widget compares it with its options)."""
    return value.item() if hasattr(value, "item") else value
