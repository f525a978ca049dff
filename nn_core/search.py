"""Hyperparameter search with Optuna, every trial trained by this engine (issue 20).

Optuna proposes each trial's values (a grid over one or two parameters, random, or TPE), may
prune a trial whose per-epoch validation loss is hopeless (median or Hyperband pruner), keeps
the study in memory or in any SQLAlchemy database (so several processes can work on one
study), and says which parameter mattered (its importance API). This module only turns a
trial's values into a network and a training (apply), trains it with nn_core.training, and
reports the validation loss epoch by epoch. No Streamlit here.

The study minimises the validation error (1 - validation accuracy, or 1 - R² for a
regression): pruners compare the per-epoch validation losses, which are also lower-is-better.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import optuna
import pandas as pd

from nn_core.models import ModelSpec
from nn_core.training import STOP, TrainConfig, TrainingResult, train_split

SAMPLERS = ("grid", "random", "tpe")
# Validation losses reported per trial for pruning, at most (moons trains 5,000 epochs: one
# report per epoch would cost more than the training in a database-backed study).
MAX_REPORTS = 100
optuna.logging.set_verbosity(optuna.logging.WARNING)  # (not a log line per trial per student)
# Parameters that change the network's shape: a trial with a new value builds (and compiles) a
# new network; the others reuse a pooled one (nn_core.pool).
SHAPE_PARAMETERS = ("units", "layers", "activation")
# One XLA compile of a new small network on this 2-core machine: bench/search.py's trials took
# 1.0-1.1 s for a new architecture against 0.02-0.03 s for a pooled one (moons, 500 epochs).
COMPILE_SECONDS = 1.0
PRUNERS = ("none", "median", "hyperband")
# Settings priced to estimate a random or TPE search (a sample of the combinations when there
# are more: four parameters of 11 values have 14,641).
PRICED_COMBINATIONS = 128


@dataclass(frozen=True)
class Parameter:
    """One parameter to vary: a list of `choices` (any sampler, and the grid's values), or a
    numeric range `low`..`high` (random and TPE only; `log` for rates)."""

    name: str  # one of APPLY's names
    choices: tuple = ()
    low: float | None = None
    high: float | None = None
    log: bool = False

    def suggest(self, trial: optuna.Trial):
        if self.choices:
            return trial.suggest_categorical(self.name, list(self.choices))
        if isinstance(self.low, int) and isinstance(self.high, int):
            return trial.suggest_int(self.name, self.low, self.high, log=self.log)
        return trial.suggest_float(self.name, self.low, self.high, log=self.log)


def _units(spec, config, units):
    return replace(spec, hidden_units=(int(units),) * max(len(spec.hidden_units), 1)), config


def _layers(spec, config, layers):
    width = spec.hidden_units[0] if spec.hidden_units else 8
    return replace(spec, hidden_units=(width,) * int(layers)), config


# How each parameter's value changes the page's setting (spec, config) -> (spec, config).
APPLY: dict[str, Callable] = {
    "units": _units,  # every hidden layer's width
    "layers": _layers,
    "activation": lambda spec, config, value: (replace(spec, activation=value), config),
    "l1": lambda spec, config, value: (replace(spec, l1_rate=float(value)), config),
    "l2": lambda spec, config, value: (replace(spec, l2_rate=float(value)), config),
    "dropout": lambda spec, config, value: (replace(spec, dropout_rate=float(value)), config),
    "learning_rate": lambda spec, config, value: (
        spec,
        replace(config, learning_rate=float(value)),
    ),
    "optimizer": lambda spec, config, value: (spec, replace(config, optimizer=value)),
    "batch_size": lambda spec, config, value: (
        spec,
        replace(config, batch_size=None if value in (None, "full batch") else int(value)),
    ),
    "epochs": lambda spec, config, value: (spec, replace(config, epochs=int(value))),
    "seed": lambda spec, config, value: (spec, replace(config, seed=int(value))),
}
# Not the network's: the caller's data_for(values) reads these (MNIST's training-set size).
DATA_PARAMETERS = ("train_size",)


def apply(spec: ModelSpec, config: TrainConfig, values: dict) -> tuple[ModelSpec, TrainConfig]:
    """The setting a trial trains: the page's own, with the trial's values. Layers last: `units`
    sets the width of the page's layers (one, on a page without any), then `layers` repeats
    that width as often as it says (zero: no hidden layer, whatever the width)."""
    ordered = sorted(values.items(), key=lambda item: item[0] == "layers")
    for name, value in ordered:
        if name in APPLY:
            spec, config = APPLY[name](spec, config, value)
        elif name not in DATA_PARAMETERS:
            raise ValueError(f"Unknown search parameter '{name}': use {', '.join(APPLY)}.")
    return spec, config


@dataclass(frozen=True)
class Search:
    parameters: tuple[Parameter, ...]
    sampler: str = "tpe"
    trials: int = 20
    seconds: float | None = None  # a time budget instead of (or besides) a number of trials
    pruner: str = "none"
    seed: int = 0  # the sampler's
    share: int | None = None  # at most this many trials here (a student's part of a study)

    def __post_init__(self):
        if not self.parameters:
            raise ValueError("Choose at least one parameter to vary.")
        if self.sampler not in SAMPLERS:
            raise ValueError(f"Unknown sampler '{self.sampler}': use {', '.join(SAMPLERS)}.")
        if self.pruner not in PRUNERS:
            raise ValueError(f"Unknown pruner '{self.pruner}': use {', '.join(PRUNERS)}.")
        if self.sampler == "grid":
            if len(self.parameters) > 2 or any(not p.choices for p in self.parameters):
                raise ValueError(
                    "A grid varies one or two parameters, each with listed values: for "
                    f"{len(self.parameters)}, choose Random or TPE (Bayesian)."
                )
        unknown = [p.name for p in self.parameters if p.name not in (*APPLY, *DATA_PARAMETERS)]
        if unknown:
            raise ValueError(f"Unknown search parameter '{unknown[0]}': use {', '.join(APPLY)}.")

    @property
    def grid_cells(self) -> int:
        return math.prod(len(p.choices) for p in self.parameters)

    @property
    def architectures(self) -> int:
        """How many different networks its trials build at most (each a new XLA compile):
        the combinations of the parameters that change the network's shape."""
        shaping = [p for p in self.parameters if p.name in SHAPE_PARAMETERS]
        if any(not p.choices for p in shaping):
            return self.planned_trials
        return min(math.prod(len(p.choices) for p in shaping), self.planned_trials)

    def expected_seconds(self, seconds_for: Callable[[dict], float]) -> float:
        """What the planned trials should take, each priced by seconds_for(values) (the page's
        estimate for that trial's setting: 128 units cost more than 15): a grid's cells one by
        one; a random or TPE search's trials at the mean over the values' combinations (what a
        uniform draw costs on average). Plus a compile for each network shape."""
        names = [p.name for p in self.parameters]
        listed = [p.choices or (p.low, p.high) for p in self.parameters]
        combinations = list(itertools.product(*listed))
        if len(combinations) > PRICED_COMBINATIONS:
            combinations = random.Random(self.seed).sample(combinations, PRICED_COMBINATIONS)
        prices = [seconds_for(dict(zip(names, values, strict=True))) for values in combinations]
        per_trial = sum(prices) / len(prices)
        return self.planned_trials * per_trial + self.architectures * COMPILE_SECONDS

    @property
    def planned_trials(self) -> int:
        """Trials to run: every cell of a grid, else the number asked for; at most `share`."""
        planned = self.grid_cells if self.sampler == "grid" else self.trials
        return min(planned, self.share) if self.share is not None else planned

    def make_sampler(self) -> optuna.samplers.BaseSampler:
        if self.sampler == "grid":
            space = {p.name: list(p.choices) for p in self.parameters}
            return optuna.samplers.GridSampler(space, seed=self.seed)
        if self.sampler == "random":
            return optuna.samplers.RandomSampler(seed=self.seed)
        return optuna.samplers.TPESampler(seed=self.seed)

    def make_pruner(self) -> optuna.pruners.BasePruner:
        if self.pruner == "median":  # after 5 finished trials, from the second epoch on
            return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1)
        if self.pruner == "hyperband":
            return optuna.pruners.HyperbandPruner(min_resource=1)
        return optuna.pruners.NopPruner()


def create_study(
    search: Search, storage: str | None = None, name: str | None = None
) -> optuna.Study:
    """A new study (or, with a database `storage` and a `name`, the one already there, so
    several processes can run trials of one study)."""
    return optuna.create_study(
        study_name=name,
        storage=storage,
        sampler=search.make_sampler(),
        pruner=search.make_pruner(),
        direction="minimize",
        load_if_exists=name is not None,
    )


class SearchStopped(Exception):
    """Stop was pressed during a trial (Optuna records that trial as failed)."""


@dataclass
class TrialRun:
    """One trial as a run: its values, the trained result, and whether it was pruned."""

    number: int
    values: dict
    result: TrainingResult
    pruned_at: int | None = None  # the epoch it was pruned after, or None

    @property
    def validation_accuracy(self) -> float:
        return self.result.metrics["val_accuracy"]


@dataclass
class SearchRun:
    """What run() did: the trial runs this process trained, in order."""

    study: optuna.Study
    runs: list[TrialRun] = field(default_factory=list)
    stopped: bool = False


def run(
    study: optuna.Study,
    search: Search,
    spec: ModelSpec,
    config: TrainConfig,
    data_for: Callable[[dict], object],
    stop: Callable[[], bool] = lambda: False,
    on_trial: Callable[[TrialRun], None] | None = None,
    trial_attrs: dict | None = None,
) -> SearchRun:
    """Run the search's trials in `study`: data_for(values) gives each trial's split (an
    object with x_train, y_train, x_validation, y_validation); stop() is asked after every
    reported epoch and between trials (a Stop keeps every finished trial); on_trial hears each
    finished or pruned trial; trial_attrs are stored with each trial (who ran it, in a class
    study)."""
    outcome = SearchRun(study)
    pruning = search.pruner != "none"

    def objective(trial: optuna.Trial) -> float:
        values = {parameter.name: parameter.suggest(trial) for parameter in search.parameters}
        for name, value in (trial_attrs or {}).items():
            trial.set_user_attr(name, value)
        trial_spec, trial_config = apply(spec, config, values)
        reported = {"epochs": 0, "pruned_at": None}

        stride = math.ceil(trial_config.epochs / MAX_REPORTS)

        def on_epoch_end(done, epochs, history):
            if pruning:  # the epochs due since the last report
                losses = history["val_loss"].to_numpy()
                for epoch in range(reported["epochs"] + 1, min(done, len(losses)) + 1):
                    due = epoch % stride == 0 or epoch == epochs
                    if not due or not math.isfinite(losses[epoch - 1]):
                        continue
                    trial.report(float(losses[epoch - 1]), step=epoch)
                    if trial.should_prune():
                        reported["pruned_at"] = epoch
                        return STOP
                reported["epochs"] = max(reported["epochs"], done)
            return STOP if stop() else None

        result = train_split(trial_spec, trial_config, data_for(values), on_epoch_end)
        if result.stopped == "stopped" and reported["pruned_at"] is None:
            outcome.stopped = True  # Stop in the middle of a trial: it is not counted
            study.stop()
            raise SearchStopped()
        trial_run = TrialRun(trial.number, values, result, reported["pruned_at"])
        trial.set_user_attr("val_accuracy", trial_run.validation_accuracy)
        trial.set_user_attr("train_accuracy", result.metrics["train_accuracy"])
        outcome.runs.append(trial_run)
        if on_trial is not None:
            on_trial(trial_run)
        if trial_run.pruned_at is not None:
            raise optuna.TrialPruned()
        if stop():  # (between trials: this one is kept, the study ends here)
            outcome.stopped = True
            study.stop()
        return 1.0 - trial_run.validation_accuracy

    study.optimize(
        objective,
        n_trials=search.planned_trials,
        timeout=search.seconds,
        catch=(SearchStopped,),
        gc_after_trial=False,
        show_progress_bar=False,
    )
    return outcome


def importance(study: optuna.Study, seed: int = 0) -> dict[str, float]:
    """Each varied parameter's share of the variation in the validation error (fANOVA; sums
    to 1), from the study's finished trials; {} unless they differ in their result."""
    finished = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    if len({trial.value for trial in finished}) < 2:  # (fANOVA needs some variation)
        return {}
    evaluator = optuna.importance.FanovaImportanceEvaluator(seed=seed)
    return optuna.importance.get_param_importances(study, evaluator=evaluator)


def to_dict(search: Search) -> dict:
    """A search as plain JSON-able data (a class study keeps it in the class store)."""
    return {
        "parameters": [
            {"name": p.name, "choices": list(p.choices), "low": p.low, "high": p.high, "log": p.log}
            for p in search.parameters
        ],
        "sampler": search.sampler,
        "trials": search.trials,
        "pruner": search.pruner,
        "seed": search.seed,
    }


def from_dict(stored: dict, share: int | None = None) -> Search:
    """The search to_dict wrote (with `share`: at most that many trials of it, a student's
    part of a class study, a grid's cells included)."""
    parameters = tuple(
        Parameter(p["name"], tuple(p["choices"]), p["low"], p["high"], p["log"])
        for p in stored["parameters"]
    )
    return Search(
        parameters,
        sampler=stored["sampler"],
        trials=stored["trials"],
        pruner=stored["pruner"],
        seed=stored["seed"],
        share=share,
    )


def open_cells(search: Search, study: optuna.Study) -> int:
    """A grid's cells that no trial of the study has taken (every worker's, running ones
    too), counted as Optuna's GridSampler counts them: a student's share of a class study
    stops there instead of repeating a cell."""
    taken = {
        trial.system_attrs["grid_id"]
        for trial in study.get_trials(deepcopy=False)
        if "grid_id" in trial.system_attrs
    }
    return search.grid_cells - len(taken)


def study_table(study: optuna.Study, names: list[str]) -> pd.DataFrame:
    """The study's finished and pruned trials, from its storage (every worker's), as the
    search views draw them: trial, the varied values, state, epochs, accuracies, gap, and
    who ran it where a class study says so."""
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    rows = []
    for trial in study.get_trials(deepcopy=False, states=states):
        attrs = trial.user_attrs
        if "val_accuracy" not in attrs:
            continue
        rows.append(
            {
                "trial": trial.number + 1,
                **{name: trial.params.get(name) for name in names},
                "state": "pruned" if trial.state == states[1] else "finished",
                "epochs": max(trial.intermediate_values, default=None),
                "val_accuracy": attrs["val_accuracy"],
                "train_accuracy": attrs["train_accuracy"],
                "gap": attrs["train_accuracy"] - attrs["val_accuracy"],
                "student": attrs.get("student", ""),
            }
        )
    return pd.DataFrame(rows)
