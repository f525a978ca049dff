"""Shared by the class-store tests and the class benchmark: run records as a training page
makes them, and the store's two databases."""

from __future__ import annotations

from contextlib import contextmanager

import sqlalchemy as sa

from nn_core import class_store, runs


def sample_record(number: int, val_accuracy: float, parameters: int = 151, page="moons"):
    """A run record of `page` with thinned curves over 50 epochs, unique per `number`."""
    epochs = list(range(1, 51))
    curves = {
        "epoch": epochs,
        "loss": [1 / epoch for epoch in epochs],
        "accuracy": [min(0.99, 0.5 + epoch / 100) for epoch in epochs],
        "val_loss": [1.1 / epoch + number * 1e-6 for epoch in epochs],
        "val_accuracy": [val_accuracy] * len(epochs),
    }
    return runs.RunRecord(
        run_id=f"{page}-{number}",
        page=page,
        created="2026-11-28T09:00:00+00:00",
        settings={"dataset": "moons", "data_seed": 0, "hidden_units": str(number % 50 + 1)},
        metrics={"train_accuracy": 0.95, "val_accuracy": val_accuracy, "val_loss": 0.3},
        parameter_count=parameters,
        seconds=1.0,
        curves=curves,
    )


@contextmanager
def store_engine(url: str):
    """An engine on `url` with the class schema, disposed afterwards."""
    engine = class_store.prepare_engine(sa.create_engine(url))
    class_store.create_schema(engine)
    try:
        yield engine
    finally:
        engine.dispose()
