"""Hyperparameter search (issue 20): what Optuna costs on top of the trainings, what pruning
saves, and two processes on one study. The seed's moons cell (the chapter's model.fit) runs in
the same run, for scale.

Run from the repository root: python bench/search.py

- mnist_cost: the cost the MNIST search panel shows for its default 3 x 3 grid, against the
  search's wall time (target: within 25%).
- moons_grid: the chapter's moons setting, a 5 x 5 grid (hidden units x L2) through Optuna,
  against the same 25 trainings one after another without it (target: at most 1.3x).
  Every architecture is compiled once first, so both sides train warm.
- mnist_pruning: 10,000 MNIST images, 5 epochs, 30 TPE trials with the median pruner and
  the same 30 without (the same sampler seed): the share pruned (target: at least 30%), and
  the best validation accuracy of each (target: within 1 point).
- workers: two processes on one study, in an SQLite file and on a throwaway PostgreSQL 15
  server, 20 trials each: trials requested, stored, lost (target: 40, 40, 0 on each).
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from _common import ROOT, report, run_seed_code, use_shared_datasets
from playground import SEED_CELL

sys.path.insert(0, str(ROOT / "tests"))
from postgres_server import postgres_url  # noqa: E402

UNITS = (1, 5, 15, 50, 100)
L2_RATES = (0.0, 0.0001, 0.001, 0.01, 0.1)
WORKER_TRIALS = 20
MNIST_UNITS = (16, 32, 64, 128, 256)


def moons_grid() -> dict:
    import optuna

    from nn_core import chapter, search, training

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    split, spec, config = chapter.moons_split(), chapter.MOONS_NETWORK, chapter.MOONS_TRAINING
    cells = list(itertools.product(UNITS, L2_RATES))
    for units in UNITS:  # compile each architecture once: both sides below train warm
        training.train_split(replace(spec, hidden_units=(units,)), config, split)
    started = time.perf_counter()
    for units, l2_rate in cells:
        training.train_split(replace(spec, hidden_units=(units,), l2_rate=l2_rate), config, split)
    plain = time.perf_counter() - started
    setting = search.Search(
        (search.Parameter("units", UNITS), search.Parameter("l2", L2_RATES)), sampler="grid"
    )
    started = time.perf_counter()
    outcome = search.run(search.create_study(setting), setting, spec, config, lambda _values: split)
    with_optuna = time.perf_counter() - started
    visited = {(run.values["units"], run.values["l2"]) for run in outcome.runs}
    return {
        "moons_grid_trials": len(outcome.runs),
        "moons_grid_cells_visited": len(visited),
        "moons_grid_plain_s": plain,
        "moons_grid_optuna_s": with_optuna,
        "moons_grid_optuna_over_plain": with_optuna / plain,
    }


def cost_check() -> dict:
    """The cost the search panel shows before a search, against the search's wall time: the
    MNIST page's default grid (hidden units x learning rate) at the page's default setting
    (60,000 images, 10% held out, the chapter's network and training), new networks compiled
    as on a fresh server. Priced as the page prices it: each trial at its own setting on this
    machine's calibrated speed, plus a compile per network shape."""
    from nn_core import chapter, cost, data, search

    speed = cost.calibrate()
    dataset = data.load_mnist()
    images = data.flatten_images(dataset.x_train)
    split = data.split_train_validation(images, dataset.y_train, 0.1, seed=0)
    counts = (len(split.y_train), len(split.y_validation))
    spec, config = chapter.MNIST_NETWORK, chapter.MNIST_TRAINING
    setting = search.Search(
        (
            search.Parameter("units", (15, 64, 128)),
            search.Parameter("learning_rate", (0.0003, 0.001, 0.003)),
        ),
        sampler="grid",
    )

    def seconds_for(values):
        return cost.estimate_seconds(*search.apply(spec, config, values), *counts, None, speed)

    estimated = setting.expected_seconds(seconds_for)
    started = time.perf_counter()
    search.run(search.create_study(setting), setting, spec, config, lambda _values: split)
    measured = time.perf_counter() - started
    return {
        "mnist_cost_estimated_s": estimated,
        "mnist_cost_measured_s": measured,
        "mnist_cost_measured_over_estimated": measured / estimated,
    }


def mnist_pruning() -> dict:
    import optuna

    from nn_core import chapter, data, search, training

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    dataset = data.load_mnist()
    images = data.flatten_images(dataset.x_train[:10_000])
    split = data.split_train_validation(images, dataset.y_train[:10_000], 0.2, seed=0)
    config = replace(chapter.MNIST_TRAINING, epochs=5)
    for units in MNIST_UNITS:  # compile each architecture once: both studies train warm
        network = replace(chapter.MNIST_NETWORK, hidden_units=(units,))
        training.train_split(network, replace(config, epochs=1), split)
    parameters = (
        search.Parameter("units", MNIST_UNITS),
        search.Parameter("learning_rate", low=1e-4, high=3e-2, log=True),
        search.Parameter("dropout", low=0.0, high=0.5),
    )
    figures = {}
    for pruner in ("median", "none"):
        setting = search.Search(parameters, sampler="tpe", trials=30, pruner=pruner, seed=1)
        study = search.create_study(setting)
        started = time.perf_counter()
        outcome = search.run(study, setting, chapter.MNIST_NETWORK, config, lambda _values: split)
        pruned = sum(run.pruned_at is not None for run in outcome.runs)
        finished = [run for run in outcome.runs if run.pruned_at is None]
        figures[f"mnist_{pruner}_s"] = time.perf_counter() - started
        figures[f"mnist_{pruner}_pruned_share"] = pruned / len(outcome.runs)
        figures[f"mnist_{pruner}_best_val_accuracy"] = max(
            run.validation_accuracy for run in finished
        )
    figures["mnist_best_accuracy_points_lost_to_pruning"] = 100 * (
        figures["mnist_none_best_val_accuracy"] - figures["mnist_median_best_val_accuracy"]
    )
    return figures


WORKER = """
import sys
from dataclasses import replace
import optuna
from nn_core import chapter, search
optuna.logging.set_verbosity(optuna.logging.WARNING)
setting = search.Search((search.Parameter("units", low=1, high=100),
                         search.Parameter("l2", low=1e-5, high=1e-1, log=True)),
                        sampler="tpe", trials=int(sys.argv[2]))
study = search.create_study(setting, storage=sys.argv[1], name="two workers")
search.run(study, setting, chapter.MOONS_NETWORK, replace(chapter.MOONS_TRAINING, epochs=500),
           lambda values: chapter.moons_split())
"""


def two_workers(storage: str) -> dict:
    """Two processes run WORKER_TRIALS trials each of one study in `storage`."""
    import optuna

    # The study is made first: two processes creating it at once would race for the name.
    optuna.create_study(study_name="two workers", storage=storage, direction="minimize")
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER, storage, str(WORKER_TRIALS)], cwd=ROOT)
        for _ in range(2)
    ]
    for worker in workers:
        worker.wait(timeout=900)
    trials = optuna.load_study(study_name="two workers", storage=storage).trials
    numbers = {trial.number for trial in trials if trial.state.is_finished()}
    requested = 2 * WORKER_TRIALS
    return {
        "trials_requested": requested,
        "trials_stored": len(numbers),
        "trials_lost": requested - len(numbers),
    }


def workers() -> dict:
    """two_workers on an SQLite file and on a throwaway PostgreSQL server."""
    with tempfile.TemporaryDirectory() as folder, postgres_url() as postgres:
        found = {"sqlite": two_workers(f"sqlite:///{Path(folder) / 'study.db'}")}
        found["postgresql"] = two_workers(postgres)
    return {
        f"{name}_{key}": value for name, counts in found.items() for key, value in counts.items()
    }


def main() -> None:
    use_shared_datasets()
    figures = {**cost_check(), **moons_grid(), **mnist_pruning(), **workers()}
    figures["seed_chapter_fit_s"] = run_seed_code(SEED_CELL)["fit_s"]
    figures["seed_fit_over_our_grid_trial"] = figures["seed_chapter_fit_s"] / (
        figures["moons_grid_optuna_s"] / figures["moons_grid_trials"]
    )
    report(figures)


if __name__ == "__main__":
    main()
