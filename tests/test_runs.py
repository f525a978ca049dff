"""nn_core.runs: records, tables, and an export that imports back exactly."""

import json

import pytest

from nn_core import data, models, runs, training


@pytest.fixture(scope="module")
def records():
    points, labels = data.make_toy_dataset("moons", 100, 0.3, seed=0)
    split = data.split_train_validation(points, labels, 0.3)
    made = []
    for index, units in enumerate((2, 8), start=1):
        result = training.train(
            models.ModelSpec(hidden_units=(units,)),
            training.TrainConfig(epochs=600, seed=index),
            split.x_train,
            split.y_train,
            split.x_validation,
            split.y_validation,
        )
        made.append(
            runs.make_record(
                f"moons-{index}", "moons", {"dataset": "moons"}, result, {"test_accuracy": 0.5}
            )
        )
    return made


def test_record_holds_settings_metrics_and_thinned_curves(records):
    record = records[1]
    assert record.settings["hidden_units"] == "8" and record.settings["seed"] == 2
    assert record.settings["batch_size"] == "full" and record.metrics["test_accuracy"] == 0.5
    assert record.parameter_count == 2 * 8 + 8 + 8 + 1
    assert len(record.curves["epoch"]) <= runs.MAX_CURVE_POINTS
    assert record.curves["epoch"][-1] == 600


def test_json_export_imports_back_exactly(records):
    assert runs.from_json(runs.to_json(records)) == records


def test_csv_has_one_row_per_run(records):
    lines = runs.to_csv(records).strip().splitlines()
    assert len(lines) == 3 and lines[0].startswith("run,page,created")


@pytest.mark.parametrize(
    "text, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "not a runs export"),
        (json.dumps({"format": "nn-explorer-runs", "runs": [{"run_id": 3}]}), "Run 1 lacks"),
        (
            json.dumps({"format": "nn-explorer-runs", "runs": [{}] * (runs.MAX_IMPORT_RUNS + 1)}),
            "at most",
        ),
    ],
)
def test_malformed_imports_are_rejected_with_a_reason(text, message):
    with pytest.raises(ValueError, match=message):
        runs.from_json(text)


def test_differences_name_changed_settings_and_metric_deltas(records):
    changed, deltas = runs.differences(records[0], records[1])
    assert changed["hidden_units"] == ("2", "8") and changed["seed"] == (1, 2)
    assert "dataset" not in changed
    expected = records[1].metrics["val_accuracy"] - records[0].metrics["val_accuracy"]
    assert deltas["val_accuracy"] == pytest.approx(expected)
