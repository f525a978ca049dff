"""The class board under a whole room (issue 17), on SQLite and on a throwaway PostgreSQL 15.

Run from the repository root (Debian's postgresql and chromium installed):
    python bench/class_board.py

- Sharing: 60 simulated students, split over two app servers' engines (two replicas on one
  database), each share 5 runs at the same moment (and retry each share once, as a double
  click would). Target: all 300 on the board, none lost or duplicated, within 5 s.
- Refresh tick: what the board's fragment costs the server every 2 s when nothing changed (one
  version query). Target: under 50 ms.
- The board with 1,000 runs: rebuilding it on the server (read, table, both charts), and in
  Chromium, from choosing another metric until the board's charts show it. Target: under 1 s.

For scale, the seed has no class and no database: the seed figure printed is the chapter's
moons model.fit, the training a student does before sharing.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from _common import ROOT, report, run_seed_code
from playground import SEED_CELL

sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import IDLE, chromium, open_page, streamlit_server, wait_idle  # noqa: E402
from class_helpers import sample_record, store_engine  # noqa: E402
from nn_core import charts, class_store, runs  # noqa: E402
from postgres_server import postgres_url  # noqa: E402

STUDENTS = 60
RUNS_EACH = 5
BOARD_RUNS = 1_000


def share_at_once(url: str) -> dict:
    """60 students on two engines share 5 runs each at the same moment."""
    with store_engine(url) as first, store_engine(url) as second:
        code, _ = class_store.create_class(first, "bench")
        start = threading.Barrier(STUDENTS + 1)
        shared, errors = [], []

        def student(number: int) -> None:
            engine = first if number % 2 else second
            start.wait()
            for run in range(RUNS_EACH):
                record = sample_record(number * RUNS_EACH + run, 0.8 + run / 100)
                try:
                    for _attempt in range(2):  # the second is a retry: stored once
                        class_store.share(engine, code, f"student-{number}", record)
                    shared.append(1)
                except Exception as error:  # noqa: BLE001 (counted, and printed below)
                    errors.append(repr(error))

        threads = [threading.Thread(target=student, args=(n,)) for n in range(STUDENTS)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        on_board = class_store.board(first, code)
        seconds = time.perf_counter() - began
        distinct = {(run.student, run.record.run_id) for run in on_board}
        if errors:
            print(f"{len(errors)} errors, e.g. {errors[0]}", file=sys.stderr)
        return {
            "shared": len(shared),
            "on_board": len(on_board),
            "lost": STUDENTS * RUNS_EACH - len(distinct),
            "duplicated": len(on_board) - len(distinct),
            "seconds": seconds,
        }


def fill_board(engine, runs_count: int) -> tuple[str, str]:
    code, key = class_store.create_class(engine, "bench board")
    for number in range(runs_count):
        record = sample_record(number, 0.7 + (number % 30) / 100, parameters=50 + number % 200)
        class_store.share(engine, code, f"student-{number % 30}", record)
    return code, key


def server_costs(url: str) -> dict:
    """The refresh tick with nothing new, and a full rebuild of a 1,000-run board."""
    with store_engine(url) as engine:
        code, _ = fill_board(engine, BOARD_RUNS)
        ticks = []
        for _ in range(30):
            began = time.perf_counter()
            class_store.board_version(engine, code)
            ticks.append(time.perf_counter() - began)
        rebuilds = []
        for _ in range(3):
            began = time.perf_counter()
            table = class_store.board_table(class_store.board(engine, code, True))
            metric = "val_accuracy"
            columns = runs.hyperparameter_columns(table, runs.numeric_metrics(table))
            charts.scatter(table, columns[0], metric, group="student").to_dict()
            charts.parallel_coordinates(table, columns, metric).to_dict()
            rebuilds.append(time.perf_counter() - began)
        return {"tick_ms": statistics.median(ticks) * 1000, "rebuild_s": min(rebuilds)}


def browser_board_seconds(folder: Path) -> float:
    """The teacher's board page with 1,000 runs in Chromium: choose another metric, until the
    board's scatter is drawn with it (median of three)."""
    path = folder / "board.sqlite"
    with store_engine(class_store.sqlite_url(path)) as engine:
        code, key = fill_board(engine, BOARD_RUNS)
    log = folder / "server.log"
    seconds = []
    with streamlit_server(log, NN_CLASS_DB=str(path)) as (server, _), chromium() as browser:
        page = open_page(browser, f"{server}/class?class={code}&teacher={key}")
        page.get_by_text(f"{BOARD_RUNS:,} shared runs").first.wait_for(timeout=60_000)
        wait_idle(page)
        for metric in ("Training accuracy", "Validation accuracy") * 2:
            began = time.perf_counter()
            page.locator(".st-key-class_metric").get_by_text(metric, exact=True).click()
            page.locator(f"[aria-label*='{metric} against']").first.wait_for(timeout=60_000)
            page.wait_for_selector(IDLE, timeout=60_000)  # (the run that drew it has ended)
            seconds.append(time.perf_counter() - began)
            wait_idle(page, timeout=60_000)
    return statistics.median(seconds[1:])


def main() -> None:
    figures = {}
    with tempfile.TemporaryDirectory() as folder, postgres_url() as postgres:
        databases = {
            "sqlite": class_store.sqlite_url(Path(folder) / "class.sqlite"),
            "postgresql": postgres,
        }
        for name, url in databases.items():
            for key, value in share_at_once(url).items():
                figures[f"{name}_{key}"] = value
            for key, value in server_costs(url).items():
                figures[f"{name}_{key}"] = value
        figures["browser_metric_change_1000_runs_s"] = browser_board_seconds(Path(folder))
    figures["seed_chapter_fit_s"] = run_seed_code(SEED_CELL)["fit_s"]
    figures["seed_fit_over_board_rebuild"] = (
        figures["seed_chapter_fit_s"] / figures["postgresql_rebuild_s"]
    )
    report(figures)


if __name__ == "__main__":
    main()
