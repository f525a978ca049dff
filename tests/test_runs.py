"""nn_core.runs: records, tables, and an export that imports back exactly."""

import dataclasses
import json

import pytest

from nn_core import charts, data, models, runs, training


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


def test_runs_of_every_page_make_a_table_with_one_type_per_column(records):
    settings = {**records[0].settings, "batch_size": 512, "vocabulary": 10000, "model": "8-8"}
    del settings["dataset"]
    imdb = dataclasses.replace(records[0], run_id="imdb-1", page="imdb", settings=settings)
    table = runs.runs_table([*records, imdb])
    assert table["batch_size"].tolist() == ["full", "full", "512"]
    assert table["vocabulary"].isna().tolist() == [True, True, False]
    assert table["dataset"].tolist() == ["moons", "moons", runs.MISSING]
    import pyarrow

    pyarrow.Table.from_pandas(table)  # what st.dataframe does; mixed columns raised here
    chart = charts.parallel_coordinates(table, ["batch_size", "vocabulary", "dataset"], "seconds")
    chart.to_dict()  # sorting categories of text mixed with NaN raised a TypeError here


def renamed(record, run_id):
    return dataclasses.replace(record, run_id=run_id)


def test_import_keeps_every_distinct_run_and_skips_true_duplicates(records):
    mine = [records[0]]
    student = [renamed(records[1], "moons-1")]  # another session's first run: same name
    merged = runs.merge(mine, student)
    assert merged.added == 1 and merged.duplicates == 0
    assert merged.renamed == {"moons-1": "moons-2"}
    assert [run.run_id for run in merged.runs] == ["moons-1", "moons-2"]
    again = runs.merge(merged.runs, student + mine)  # the same files imported once more
    assert again.added == 0 and again.duplicates == 2 and again.runs == merged.runs
    assert runs.next_run_id("moons", {run.run_id for run in merged.runs}) == "moons-3"


def test_a_run_with_empty_curves_is_rejected(records):
    document = json.loads(runs.to_json(records))
    document["runs"][0]["curves"] = {column: [] for column in runs.CURVE_COLUMNS}
    with pytest.raises(ValueError, match="Run 1 has empty curves"):
        runs.from_json(json.dumps(document))
    document["runs"][0]["curves"] = {column: ["a"] for column in runs.CURVE_COLUMNS}
    with pytest.raises(ValueError, match="Run 1 has malformed curves"):
        runs.from_json(json.dumps(document))
