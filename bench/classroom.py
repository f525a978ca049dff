"""Issue 18's class: 30 students on one server for 5 minutes, plus 2 who start the worst case.

Run from the repository root:
    NN_CORE_DATA_DIR=../shared/datasets python bench/classroom.py [--minutes 5] [--students 30]

How it drives 30 sessions on two cores: no browsers. Each student is one Streamlit session
spoken to over Streamlit's own websocket protocol (bench/_streamlit_session.py), exactly the
messages a browser tab sends: a page's run with its widget values, a button press. Thirty
Chromium tabs would take the cores the server is measured on; thirty websockets cost little.
A request's time is from sending it to the server's `script_finished`, i.e. until the whole
page (chart included) has been sent to the student.

Every student opens the MLP page and changes its settings about every 10 s, cycling through a
few settings of their own (students share some, as a class does). Between those:
- 1 in 3 also goes to the MNIST page and trains a setting of their own (training-set size,
  epochs, units, seed), then comes back;
- 1 in 3 trains the chapter's IMDB models (the first one to ask trains them, the rest find
  them trained), later a custom model of their own;
- 1 in 3 looks at the Runs page and steps through the perceptron.
Two more students open the issue's worst case (spiral, 2,000 samples, 4 x 100 units, batch 8,
10,000 epochs), confirm it, and press Stop after 20 s; again and again.

Targets: errors 0; `moons_p95_s` (the chapter's setting and every MLP setting estimated under
2 s) at most 3 s; server peak RSS under 2.0 GiB; back within 300 MiB of its warmed level two
minutes after the class leaves. The last line is JSON (errors, peak_rss_mib, *_p95_s, ...).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import statistics
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import psutil
from _common import ROOT, report, use_shared_datasets
from _streamlit_session import StreamlitSession
from long_runs import WORST_CASE

sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import streamlit_server  # noqa: E402

ACTION_SECONDS = 10  # a student changes something about this often
STOP_AFTER_SECONDS = 20  # the worst-case students press Stop after this long
GRACE_SECONDS = 90  # after the class's end, for the students' last requests
SETTLE_SECONDS = 120  # after the class leaves, before the memory is read again
REQUESTS_LOG = Path("/tmp/classroom-requests.jsonl")
# The MLP settings students pick from: (units, epochs, L2, weights seed).
UNITS, EPOCHS, L2, SEEDS = (2, 3, 5, 8, 15, 30), (1000, 2000, 5000), ("0", "0.001", "0.01"), (0, 1)


class Log:
    """Every request's figures, by kind; errors with what caused them."""

    def __init__(self):
        self.seconds: dict[str, list[float]] = {}
        self.problems: list[str] = []
        # Red boxes the page meant to show (a student's setting that diverged, a bad link):
        # listed to be read, not errors of the server.
        self.error_boxes: list[str] = []
        self.requests: list[dict] = []  # every request, written out for a closer look

    def add(self, kind: str, run, who: str) -> None:
        self.seconds.setdefault(kind, []).append(run.seconds)
        self.requests.append(
            dict(ended=time.time(), who=who, kind=kind, seconds=round(run.seconds, 3))
        )
        self.problems += [f"{who} {kind}: {problem[:200]}" for problem in run.exceptions]
        self.error_boxes += [f"{who} {kind}: {problem[:200]}" for problem in run.errors]
        if not run.finished:
            self.problems.append(f"{who} {kind}: no answer after {run.seconds:.0f} s")

    def p95(self, kind: str) -> float:
        values = sorted(self.seconds.get(kind, []))
        if not values:
            return float("nan")
        return values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]


def moons_estimates() -> dict[tuple, float]:
    """What the page estimates for each setting students pick, with the built-in prices (the
    server's are measured, close to these on this machine). Worked out before the class:
    importing TensorFlow inside the students' event loop would hold them all up."""
    from nn_core import chapter, cost

    data = chapter.MOONS_DATA
    validation = round(data.samples * data.validation_share)
    estimates = {}
    for units, epochs, l2 in itertools.product(UNITS, EPOCHS, L2):
        spec = replace(chapter.MOONS_NETWORK, hidden_units=(units,), l2_rate=float(l2))
        config = replace(chapter.MOONS_TRAINING, epochs=epochs)
        seconds = cost.estimate_seconds(spec, config, data.samples - validation, validation)
        estimates[units, epochs, l2] = seconds
    return estimates


ESTIMATES: dict[tuple, float] = {}


def own_settings(rng: random.Random, count: int = 3) -> list[dict]:
    return [
        dict(
            moons_units_0=rng.choice(UNITS),
            moons_epochs=rng.choice(EPOCHS),
            moons_l2=rng.choice(L2),
            moons_seed=rng.choice(SEEDS),
        )
        for _ in range(count)
    ]


async def change_moons(tab: StreamlitSession, setting: dict, log: Log, who: str) -> None:
    if tab.page != "mlp_moons":
        tab.page, tab.query = "mlp_moons", ""
        log.add("page_open", await tab.open(), who)
    run = await tab.set(**setting)
    chosen = (setting["moons_units_0"], setting["moons_epochs"], setting["moons_l2"])
    log.add("moons" if ESTIMATES[chosen] < 2 else "moons_slower", run, who)


async def mnist_training(tab, rng, log, who) -> None:
    tab.page, tab.query = "mnist", ""
    log.add("page_open", await tab.open(), who)
    await tab.set(
        mnist_train_size=rng.choice(("5000", "10000", "20000")),
        mnist_epochs=rng.choice((2, 3, 5)),
        mnist_units_0=rng.choice(("15", "32", "64")),
        mnist_seed=rng.randrange(100),
    )
    log.add("mnist_train", await tab.click("mnist_train"), who)


async def imdb_training(tab, rng, log, who, custom: bool) -> None:
    tab.page, tab.query = "imdb", ""
    log.add("page_open", await tab.open(), who)
    if custom:
        await tab.set(imdb_units=rng.choice(("4", "8", "32")), imdb_epochs=rng.choice((3, 5)))
        await tab.set(imdb_models=["baseline 16-16", "custom (sidebar)"])
    if tab.has("imdb_train"):
        log.add("imdb_train", await tab.click("imdb_train"), who)


async def look_around(tab, rng, log, who) -> None:
    tab.page, tab.query = "runs", ""
    log.add("page_open", await tab.open(), who)
    tab.page = "perceptron"
    log.add("page_open", await tab.open(), who)
    for step in ("perceptron_step_one", "perceptron_step_epoch", "perceptron_run"):
        log.add("perceptron_step", await tab.click(step), who)


async def student(number: int, url: str, deadline: float, log: Log) -> None:
    """One student: MLP settings every ~10 s, and their group's other page every third time."""
    who, rng = f"student {number}", random.Random(number)
    settings, group = own_settings(rng), number % 3
    await asyncio.sleep(rng.uniform(0, ACTION_SECONDS))  # students arrive over ten seconds
    async with StreamlitSession(url, "mlp_moons") as tab:
        log.add("moons", await tab.open(), who)  # the shared link: the chapter's setting
        for action in range(10**6):
            if time.monotonic() > deadline:
                return
            await asyncio.sleep(rng.uniform(0.7, 1.3) * ACTION_SECONDS)
            if action % 3 == 2:
                if group == 0:
                    await mnist_training(tab, rng, log, who)
                elif group == 1:
                    await imdb_training(tab, rng, log, who, custom=action > 2)
                else:
                    await look_around(tab, rng, log, who)
            else:
                await change_moons(tab, settings[action % len(settings)], log, who)


async def worst_case_student(number: int, url: str, deadline: float, log: Log) -> None:
    """Opens the worst case, confirms it and stops it after 20 s, then tries another weights
    seed, until the class ends. (Each has seeds of their own: with the same setting the second
    would get the first one's training, and no Stop button of their own.)"""
    who = f"worst-case student {number}"
    async with StreamlitSession(url, "mlp_moons", WORST_CASE) as tab:
        log.add("worst_open", await tab.open(), who)
        for seed in range(10**6):
            if time.monotonic() > deadline:
                return
            log.add("worst_open", await tab.set(moons_seed=100 * (number + 1) + seed), who)
            if not tab.has("moons_confirm_long"):
                log.problems.append(f"{who}: the worst case was not held for a confirming click")
                return
            run = await tab.click("moons_confirm_long", stop_after=STOP_AFTER_SECONDS)
            log.add("worst_run", run, who)
            if run.stop_seconds is None:
                said = " / ".join(text[:80] for text in run.texts[-3:])
                log.problems.append(f"{who}: Stop not answered after {run.seconds:.0f} s: {said}")
            else:
                stop_kind = "stop_while_queued" if run.stopped_while_queued else "stop"
                log.seconds.setdefault(stop_kind, []).append(run.stop_seconds)
            await asyncio.sleep(5)


class MemoryWatch:
    """Samples the server's RSS (process and children) twice a second in a thread."""

    def __init__(self, pid: int):
        self.process = psutil.Process(pid)
        self.peak = 0.0
        self.running = True
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def now(self) -> float:
        parts = [self.process, *self.process.children(recursive=True)]
        return sum(part.memory_info().rss for part in parts) / 2**20

    def _watch(self):
        while self.running:
            self.peak = max(self.peak, self.now())
            time.sleep(0.5)

    def stop(self):
        self.running = False
        self.thread.join()


async def warm_up(url: str, log: Log) -> None:
    """The teacher tries every page before class, training once on MNIST (a subset) and the
    chapter's IMDB models; the server's warmed level is read after. TensorFlow's memory grows
    with its first trainings of each kind and then stays (nn_core alone: +280 MiB over the
    first ten MNIST trainings, +2 MiB over the next twenty), so that is part of warm."""
    async with StreamlitSession(url, "") as tab:
        log.add("page_open", await tab.open(), "warm-up")
        for page in ("mlp_moons", "mnist", "imdb", "perceptron", "runs"):
            tab.page = page
            log.add("page_open", await tab.open(), "warm-up")
            if page == "mnist":
                await tab.set(mnist_train_size="5000", mnist_epochs=2)
                log.add("warm_up_training", await tab.click("mnist_train"), "warm-up")
            if page == "imdb":
                log.add("warm_up_training", await tab.click("imdb_train"), "warm-up")


def wait_until_idle(process: psutil.Process, timeout: float = 180) -> None:
    """Until the server's background warm-up is over: under a tenth of a core for a second."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.cpu_percent(interval=1.0) > 10:
        pass


async def class_session(url: str, students: int, minutes: float, log: Log) -> None:
    deadline = time.monotonic() + minutes * 60
    crowd = [student(number, url, deadline, log) for number in range(students)]
    crowd += [worst_case_student(number, url, deadline, log) for number in range(2)]
    tasks = [asyncio.ensure_future(session) for session in crowd]
    # A student's last action may end after the bell; one still waiting 90 s later is stuck.
    await asyncio.wait(tasks, timeout=minutes * 60 + GRACE_SECONDS)
    for number, task in enumerate(tasks):
        if not task.done():
            task.cancel()
            log.problems.append(f"session {number} still waiting {GRACE_SECONDS} s after the end")
        elif task.exception() is not None:
            log.problems.append(f"session {number} failed: {task.exception()!r}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--settle", type=float, default=SETTLE_SECONDS)
    arguments = parser.parse_args()
    use_shared_datasets()
    ESTIMATES.update(moons_estimates())
    log = Log()
    with streamlit_server(Path("/tmp/classroom-server.log")) as (url, process):
        asyncio.run(warm_up(url, log))
        wait_until_idle(psutil.Process(process.pid))
        memory = MemoryWatch(process.pid)
        warmed = memory.now()
        started = time.monotonic()
        asyncio.run(class_session(url, arguments.students, arguments.minutes, log))
        class_seconds = time.monotonic() - started
        memory.stop()
        time.sleep(arguments.settle)
        settled = memory.now()
    figures = {
        "students": arguments.students,
        "minutes": round(class_seconds / 60, 2),
        "requests": sum(len(values) for values in log.seconds.values()),
        "errors": len(log.problems),
        "error_boxes": len(log.error_boxes),
        "moons_p95_s": log.p95("moons"),
        "moons_median_s": statistics.median(log.seconds.get("moons", [float("nan")])),
        "moons_requests": len(log.seconds.get("moons", [])),
        "moons_slower_p95_s": log.p95("moons_slower"),
        "page_open_p95_s": log.p95("page_open"),
        "perceptron_step_p95_s": log.p95("perceptron_step"),
        "mnist_train_p95_s": log.p95("mnist_train"),
        "imdb_train_p95_s": log.p95("imdb_train"),
        "stop_p95_s": log.p95("stop"),
        "stop_while_queued_p95_s": log.p95("stop_while_queued"),
        "worst_case_runs": len(log.seconds.get("worst_run", [])),
        "peak_rss_mib": memory.peak,
        "warmed_rss_mib": warmed,
        "settled_rss_mib": settled,
        "settled_minus_warmed_mib": settled - warmed,
    }
    REQUESTS_LOG.write_text("\n".join(json.dumps(request) for request in log.requests))
    for problem in log.problems[:20]:
        print("problem:", problem)
    for box in log.error_boxes[:10]:
        print("error box shown:", box)
    print(
        f"{arguments.students} students + 2 worst cases for {figures['minutes']} min: "
        f"{figures['requests']} requests, {figures['errors']} errors; MLP settings p95 "
        f"{figures['moons_p95_s']:.2f} s (target 3); Stop answered p95 {figures['stop_p95_s']:.2f}"
        f" s; server RSS peak {memory.peak:.0f} MiB (target 2048), warmed {warmed:.0f}, "
        f"{arguments.settle:.0f} s after {settled:.0f} (target within 300 of warmed)"
    )
    report(figures)


if __name__ == "__main__":
    main()
