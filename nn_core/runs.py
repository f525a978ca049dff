"""Run records: what one training used and gave (settings, curves, metrics), as tables, CSV and
JSON that round-trips exactly."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import pandas as pd

from nn_core.history import MAX_CURVE_POINTS, thin_history

CURVE_COLUMNS = ("epoch", "loss", "accuracy", "val_loss", "val_accuracy")
MAX_IMPORT_RUNS = 2000
FORMAT_VERSION = 1


@dataclass(frozen=True)
class RunRecord:
    run_id: str  # unique within a session's runs, e.g. "moons-3" (see next_run_id)
    page: str  # which experiment: perceptron, moons, mnist, imdb
    created: str  # ISO 8601 time of the run, UTC
    settings: dict  # dataset settings and every hyperparameter, flat name -> value
    metrics: dict  # train/val/test loss and accuracy where they exist
    parameter_count: int
    seconds: float
    curves: dict = field(default_factory=dict)  # column -> list over epochs (CURVE_COLUMNS)


def make_record(run_id: str, page: str, dataset: dict, result, extra_metrics=None) -> RunRecord:
    """A record of a TrainingResult; dataset holds the page's data settings."""
    spec, config = result.spec, result.config
    settings = {
        **dataset,
        "hidden_units": "-".join(str(units) for units in spec.hidden_units) or "none",
        "activation": spec.activation,
        "l1_rate": spec.l1_rate,
        "l2_rate": spec.l2_rate,
        "dropout_rate": spec.dropout_rate,
        "optimizer": config.optimizer,
        "learning_rate": config.learning_rate,
        "epochs": config.epochs,
        "batch_size": config.batch_size or "full",
        "seed": config.seed,
    }
    if config.patience:  # early stopping (nn_core.training)
        settings["patience"] = config.patience
        settings["stopped_early_at"] = result.early_stop_epoch
    metrics = {**result.metrics, **(extra_metrics or {})}
    history = thin_history(result.history, MAX_CURVE_POINTS)
    curves = {column: [_plain(value) for value in history[column]] for column in CURVE_COLUMNS}
    return RunRecord(
        run_id,
        page,
        datetime.now(UTC).isoformat(timespec="seconds"),
        settings,
        {name: _plain(value) for name, value in metrics.items()},
        int(result.parameter_count),
        round(float(result.seconds), 4),
        curves,
    )


def _plain(value):
    """A JSON-safe Python scalar (NaN becomes None, NumPy numbers become Python numbers)."""
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def next_run_id(page: str, taken: set[str]) -> str:
    """The first free "page-N" name: runs are numbered per page, and imported runs keep
    their names unless a run here already has them."""
    number = 1
    while f"{page}-{number}" in taken:
        number += 1
    return f"{page}-{number}"


def fingerprint(record: RunRecord) -> str:
    """What makes two records the same run: page, settings, results and curves (not the name,
    which is only unique per session, nor the time it was recorded)."""
    content = [record.page, record.settings, record.metrics, record.curves]
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


@dataclass(frozen=True)
class Merge:
    runs: list[RunRecord]  # the existing runs, then the new ones
    added: int  # new runs
    renamed: dict[str, str]  # original name -> new name, for added runs whose name was taken
    duplicates: int  # imported runs identical to one already here (not added again)


def merge(existing: list[RunRecord], imported: list[RunRecord]) -> Merge:
    """Add every distinct imported run: a teacher importing three students' exports keeps all
    three "moons-1" runs (renamed), and a file imported twice adds nothing the second time."""
    known = {fingerprint(record) for record in existing}
    taken = {record.run_id for record in existing}
    merged, renamed, duplicates = list(existing), {}, 0
    for record in imported:
        identity = fingerprint(record)
        if identity in known:
            duplicates += 1
            continue
        if record.run_id in taken:
            new_id = next_run_id(record.page, taken)
            renamed[record.run_id] = new_id
            record = replace(record, run_id=new_id)
        known.add(identity)
        taken.add(record.run_id)
        merged.append(record)
    return Merge(merged, len(merged) - len(existing), renamed, duplicates)


MISSING = "—"  # a setting a run does not have (IMDB runs have no noise level)

# What a student reads for each field (the records, exports and URLs keep the short names).
FIELD_NAMES = {
    "run": "Run",
    "page": "Page",
    "created": "Created",
    "dataset": "Dataset",
    "samples": "Samples",
    "noise": "Noise",
    "data_seed": "Data seed",
    "validation_share": "Validation share",
    "train_size": "Training images",
    "vocabulary": "Vocabulary",
    "model": "Model",
    "hidden_units": "Hidden units",
    "activation": "Activation",
    "l1_rate": "L1 rate",
    "l2_rate": "L2 rate",
    "dropout_rate": "Dropout rate",
    "optimizer": "Optimizer",
    "learning_rate": "Learning rate",
    "epochs": "Epochs",
    "batch_size": "Batch size",
    "seed": "Weights seed",
    "loss": "Training loss",
    "accuracy": "Training accuracy",
    "train_loss": "Training loss",
    "train_accuracy": "Training accuracy",
    "val_loss": "Validation loss",
    "val_accuracy": "Validation accuracy",
    "test_loss": "Test loss",
    "test_accuracy": "Test accuracy",
    "parameters": "Parameters",
    "seconds": "Seconds",
}


def field_name(field: str) -> str:
    """'val_accuracy' -> 'Validation accuracy'; a field not listed gets its words spaced."""
    return FIELD_NAMES.get(field, field.replace("_", " ").capitalize())


def shown(value) -> str:
    """A setting's value as text, MISSING where a run has none."""
    return MISSING if _missing(value) else str(value)


def runs_table(records: list[RunRecord]) -> pd.DataFrame:
    """One row per run: id, page, time, every setting, every metric, parameters, seconds.
    Each column holds one type: numbers (NaN where a run lacks the field) or text (MISSING
    where it lacks it), since runs of different pages have different fields and values
    ("full" batch beside batch sizes)."""
    rows = [
        {
            "run": record.run_id,
            "page": record.page,
            "created": record.created,
            **record.settings,
            **record.metrics,
            "parameters": record.parameter_count,
            "seconds": record.seconds,
        }
        for record in records
    ]
    return _one_type_per_column(pd.DataFrame(rows))


def _one_type_per_column(table: pd.DataFrame) -> pd.DataFrame:
    for column in table.columns:
        values = table[column]
        present = [value for value in values if not _missing(value)]
        if all(_is_number_or_none(value) for value in present):
            table[column] = pd.to_numeric(values)
        else:
            table[column] = [shown(value) for value in values]
    return table


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def curves_frame(records: list[RunRecord]) -> pd.DataFrame:
    """Long table of every run's curves: run, epoch, loss, accuracy, val_loss, val_accuracy."""
    frames = [pd.DataFrame(record.curves).assign(run=record.run_id) for record in records]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def to_csv(records: list[RunRecord]) -> str:
    return runs_table(records).to_csv(index=False)


def to_json(records: list[RunRecord]) -> str:
    """Compact JSON (vars, not dataclasses.asdict, which deep-copies every curve: 3x slower)."""
    document = {
        "format": "nn-explorer-runs",
        "version": FORMAT_VERSION,
        "runs": [vars(record) for record in records],
    }
    return json.dumps(document, separators=(",", ":"))


def from_json(text: str | bytes) -> list[RunRecord]:
    """Parse an export made by to_json; raise ValueError saying what is wrong otherwise."""
    try:
        document = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"This file is not valid JSON ({error}).") from error
    if not isinstance(document, dict) or document.get("format") != "nn-explorer-runs":
        raise ValueError("This JSON file is not a runs export of this app.")
    runs = document.get("runs")
    if not isinstance(runs, list):
        raise ValueError("The file has no list of runs.")
    if len(runs) > MAX_IMPORT_RUNS:
        raise ValueError(
            f"The file holds {len(runs):,} runs; at most {MAX_IMPORT_RUNS:,} are accepted."
        )
    return [_record_from_dict(position, run) for position, run in enumerate(runs, start=1)]


def _record_from_dict(position: int, run) -> RunRecord:
    expected = {
        "run_id": str,
        "page": str,
        "created": str,
        "settings": dict,
        "metrics": dict,
        "parameter_count": int,
        "seconds": (int, float),
        "curves": dict,
    }
    if not isinstance(run, dict):
        raise ValueError(f"Run {position} is not an object.")
    for name, kind in expected.items():
        if not isinstance(run.get(name), kind):
            raise ValueError(f"Run {position} lacks a valid '{name}'.")
    curves = run["curves"]
    if set(curves) != set(CURVE_COLUMNS) or not all(
        isinstance(values, list) and all(_is_number_or_none(value) for value in values)
        for values in curves.values()
    ):
        raise ValueError(f"Run {position} has malformed curves.")
    lengths = {len(values) for values in curves.values()}
    if len(lengths) != 1:
        raise ValueError(f"Run {position} has curves of different lengths.")
    if lengths == {0}:
        raise ValueError(f"Run {position} has empty curves: a run has at least one epoch.")
    return RunRecord(**{name: run[name] for name in expected})


def _is_number_or_none(value) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def differences(baseline: RunRecord, other: RunRecord) -> tuple[dict, dict]:
    """(settings that changed: name -> (baseline, other), metric deltas: name -> other - base)."""
    names = list(dict.fromkeys([*baseline.settings, *other.settings]))
    changed = {
        name: (baseline.settings.get(name), other.settings.get(name))
        for name in names
        if baseline.settings.get(name) != other.settings.get(name)
    }
    deltas = {
        name: other.metrics[name] - value
        for name, value in baseline.metrics.items()
        if isinstance(value, int | float) and isinstance(other.metrics.get(name), int | float)
    }
    return changed, deltas


NOT_HYPERPARAMETERS = {"run", "student", "page", "created", "seconds", "parameters"}


def numeric_metrics(table: pd.DataFrame) -> list[str]:
    candidates = ["val_accuracy", "val_loss", "train_accuracy", "train_loss", "test_accuracy"]
    return [name for name in candidates if name in table and table[name].notna().any()]


def hyperparameter_columns(table: pd.DataFrame, metrics: list[str]) -> list[str]:
    """Columns that vary between the shown runs and are settings, not results."""
    return [
        column
        for column in table.columns
        if column not in NOT_HYPERPARAMETERS | set(metrics) | {"test_loss"}
        and table[column].astype(str).nunique() > 1
    ]
