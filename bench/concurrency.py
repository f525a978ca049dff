"""A classroom at once: 10 browser sessions on the moons page (the shared link, then each with
its own weight seed so all ten train) and 3 on MNIST against one server, then 50 trainings in a
row in one session; the server's memory before and after.

Run from the repository root (Debian's chromium installed):
    NN_CORE_DATA_DIR=../shared/datasets python bench/concurrency.py
Targets: every moons session shows its result within 15 s, zero errors; server RSS back within
300 MiB of its warmed-up value after the crowd; under 200 MiB growth over 50 trainings.
"""

# The last line printed is one JSON object with the figures (_common.report, json.dumps).

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import psutil
from _common import ROOT, report, use_shared_datasets

sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import chromium, exception_count, open_page, streamlit_server, wait_idle  # noqa: E402

MOONS_SESSIONS, MNIST_SESSIONS, SEQUENTIAL_RUNS = 10, 3, 50


def server_rss_mib(process) -> float:
    tree = [psutil.Process(process.pid), *psutil.Process(process.pid).children(recursive=True)]
    return sum(part.memory_info().rss for part in tree) / 2**20


def server_cpu_s(process) -> float:
    """CPU seconds the server has used so far: tells the server's share of a slow crowd from
    the browsers' (which share this machine's cores in the benchmark, unlike in a class)."""
    times = psutil.Process(process.pid).cpu_times()
    return times.user + times.system


# Each tab notes (page clock, ms since the epoch) when the result's metric label first appears,
# so the figure is what each student sees, not when a polling loop got round to that tab.
RESULT_WATCH = """wanted => {
    const timer = setInterval(() => {
        const labels = document.querySelectorAll('[data-testid="stMetricLabel"]');
        if (Array.from(labels).some(label => label.textContent.trim() === wanted)) {
            window.resultShownAt = Date.now();
            clearInterval(timer);
        }
    }, 50);
}"""


def crowd(browser, url: str, addresses: list[str], result_text: str, press: str | None = None):
    """Open every session at once (press `press` in each when it appears) and wait until all
    show the result text; returns (seconds from opening each tab to its result, exception
    boxes seen)."""
    context = browser.new_context()  # tabs of one browser: each tab is its own session
    context.add_init_script(f"({RESULT_WATCH})({json.dumps(result_text)})")
    pages, opened = [], []
    for address in addresses:
        page = context.new_page()
        opened.append(time.time())
        page.goto(f"{url}{address}", wait_until="commit")
        pages.append(page)
    pressed, shown_at = set(), {}
    deadline = time.monotonic() + 300
    while len(shown_at) < len(pages) and time.monotonic() < deadline:
        time.sleep(0.5)  # a slow poll: the tabs and the server share this machine's cores
        for number, page in enumerate(pages):
            if press and number not in pressed and page.locator(f".st-key-{press} button").count():
                page.locator(f".st-key-{press} button").first.click()
                pressed.add(number)
            if number not in shown_at and (shown := page.evaluate("window.resultShownAt || 0")):
                shown_at[number] = shown / 1000
    errors = sum(exception_count(page) for page in pages)
    context.close()
    seconds = [shown_at.get(number, float("inf")) - opened[number] for number in range(len(pages))]
    return seconds, errors


def sequential(browser, url: str, process) -> dict:
    """One session, 50 trainings with a new weight seed each (no cache hits)."""
    page = open_page(browser, f"{url}/mlp_moons?epochs=1000")
    seed_box = page.locator(".st-key-moons_seed input")
    before = server_rss_mib(process)
    for seed in range(100, 100 + SEQUENTIAL_RUNS):
        seed_box.fill(str(seed))
        seed_box.press("Enter")
        wait_idle(page)
    after = server_rss_mib(process)
    errors = exception_count(page)
    page.close()
    return {"sequential_rss_growth_mib": after - before, "sequential_errors": errors}


def main():
    use_shared_datasets()
    log = Path("/tmp/concurrency-server.log")
    with streamlit_server(log) as (url, process), chromium() as browser:
        cold = server_rss_mib(process)
        warm_page = open_page(browser, f"{url}/mlp_moons?seed=99")  # loads TensorFlow, traces
        warm_page.get_by_text("Training accuracy").first.wait_for()
        warm_page.close()
        warmed = server_rss_mib(process)
        # A class opening the shared link: the default settings, all at once.
        cpu_before = server_cpu_s(process)
        moons, moons_errors = crowd(
            browser, url, ["/mlp_moons"] * MOONS_SESSIONS, "Training accuracy"
        )
        moons_server_cpu = server_cpu_s(process) - cpu_before
        # Harder than the target: every student with a different weight seed, so all ten train.
        distinct, distinct_errors = crowd(
            browser,
            url,
            [f"/mlp_moons?seed={seed}" for seed in range(1, MOONS_SESSIONS + 1)],
            "Training accuracy",
        )
        # Three students training MNIST on a subset, with different seeds (no cache hits).
        mnist_addresses = [
            f"/mnist?train_size=5000&epochs=3&seed={seed}" for seed in range(1, MNIST_SESSIONS + 1)
        ]
        mnist, mnist_errors = crowd(browser, url, mnist_addresses, "Test accuracy", "mnist_train")
        figures = {
            "moons_slowest_s": max(moons),
            "moons_mean_s": sum(moons) / len(moons),
            "moons_server_cpu_s": moons_server_cpu,
            "moons_ten_trainings_slowest_s": max(distinct),
            "mnist_slowest_s": max(mnist),
            "errors": moons_errors + distinct_errors + mnist_errors,
        }
        time.sleep(3)
        figures["rss_after_crowd_minus_warmed_mib"] = server_rss_mib(process) - warmed
        figures.update(sequential(browser, url, process))
    figures.update(cold_rss_mib=cold, warmed_rss_mib=warmed)
    print(
        f"{MOONS_SESSIONS} moons sessions at once: slowest {figures['moons_slowest_s']:.1f} s, "
        f"mean {figures['moons_mean_s']:.1f} s (each training its own seed: slowest "
        f"{figures['moons_ten_trainings_slowest_s']:.1f} s); {MNIST_SESSIONS} MNIST sessions: "
        f"slowest {figures['mnist_slowest_s']:.1f} s; errors {figures['errors']}; server RSS "
        f"{figures['rss_after_crowd_minus_warmed_mib']:+.0f} MiB after the crowd; "
        f"{SEQUENTIAL_RUNS} trainings in a row: {figures['sequential_rss_growth_mib']:+.0f} MiB"
    )
    report(figures)


if __name__ == "__main__":
    main()
