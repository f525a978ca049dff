"""Guided lessons (issue 16), measured in Chromium against a real server; the seed's moons cell
(the chapter's model.fit of the 50-unit network) in the same run, for scale.

Run from the repository root (Debian's chromium installed): python bench/lessons.py

- Prepare: "Prepare this lesson" on "The whole chapter in 45 minutes" on a new server (every
  page, MNIST and IMDB on the real datasets), from the click until the page says it is
  prepared (target: under 3 minutes).
- Then, once the server's background warm-up is over, on the prepared lesson in a new tab
  (a browser context of its own: no page's code cached yet): for each step, Next + Reveal
  until the step's reveal text is drawn (target: under 0.5 s end to end); a step on another
  page than the one before opens that page.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from _common import ROOT, report, run_seed_code, use_shared_datasets, wait_until_quiet
from playground import SEED_CELL

sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import chromium, open_page, streamlit_server, wait_idle  # noqa: E402

LESSON = "whole_chapter"


def prepare_seconds(page, server: str, name: str, steps: int) -> float:
    page.goto(f"{server}/{first_page(name)}?lesson={name}&step=1")
    page.get_by_text(f"step 1 of {steps}").first.wait_for(timeout=120_000)
    wait_idle(page)
    started = time.perf_counter()
    page.locator(".st-key-lesson_prepare button").first.click()
    page.get_by_text("Prepared: the results of all").first.wait_for(timeout=600_000)
    return time.perf_counter() - started


def first_page(name: str) -> str:
    from nn_core import lessons

    return lessons.read(ROOT / "lessons" / f"{name}.toml").steps[0].page


WATCH_RUNS = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    window.__runs = [];
    if (window.__observer) window.__observer.disconnect();
    window.__observer = new MutationObserver(() => window.__runs.push(
        [app.getAttribute('data-test-script-state'), performance.now()]));
    window.__observer.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    // From the moment the button is pressed (not from when Playwright starts to look for it,
    // scroll to it and check that it can be clicked, which takes it 50-100 ms).
    window.__clicked = null;
    document.addEventListener('pointerdown', () => { window.__clicked = performance.now(); },
        {capture: true, once: true});
}"""
SHOWN = """([text]) => {
    const app = document.querySelector("[data-testid='stApp']");
    const panel = document.querySelector(".st-key-lesson_panel");
    return app.getAttribute('data-test-script-state') === 'notRunning' && panel !== null
        && panel.innerText.includes(text) && performance.now();
}"""


def redraw_seconds(page, button: str, text: str) -> float:
    """From the press on `button` until the lesson panel shows `text` and the page's last script
    run the click caused has ended (a run that follows within 0.3 s, e.g. on the page Reveal
    opens, counts too). A fragment run fast enough to start and end in one browser frame
    leaves no trace in the app's run state: then the frame that shows `text` is the end."""
    page.evaluate(WATCH_RUNS)
    page.locator(f".st-key-{button} button").first.click()
    while True:
        shown_at = page.wait_for_function(SHOWN, arg=[text], timeout=120_000).json_value()
        count = page.evaluate("() => window.__runs.length")
        page.wait_for_timeout(300)
        if page.evaluate("() => window.__runs.length") == count:
            break
    ends = page.evaluate("() => window.__runs.filter(run => run[0] !== 'running')")
    finished = max([shown_at] + [time for _, time in ends])
    return (finished - page.evaluate("() => window.__clicked")) / 1000


def next_and_reveal_seconds(page, server: str) -> list[tuple[float, float]]:
    """Each step after the first: (Next, Reveal), each until the page is redrawn with the
    next step's question, then with its reveal text."""
    from nn_core import lessons

    lesson = lessons.read(ROOT / "lessons" / f"{LESSON}.toml")
    steps = len(lesson.steps)
    page.goto(f"{server}/{lesson.steps[0].page}?lesson={LESSON}&step=1")
    page.get_by_text(f"step 1 of {steps}").first.wait_for(timeout=120_000)
    wait_idle(page)
    seconds = []
    for number in range(2, steps + 1):
        moved = redraw_seconds(page, "lesson_next", f"step {number} of {steps}")
        shown = lesson.steps[number - 1].reveal.split("{")[0].strip()[:40]
        revealed = redraw_seconds(page, "lesson_reveal", shown)
        seconds.append((moved, revealed))
    return seconds


def main() -> None:
    use_shared_datasets()
    from nn_core import lessons

    steps = len(lessons.read(ROOT / "lessons" / f"{LESSON}.toml").steps)
    log = Path("/tmp/lessons-bench-server.log")
    figures = {}
    with streamlit_server(log) as (server, process), chromium() as browser:
        page = open_page(browser, server)
        figures[f"prepare_{LESSON}_s"] = prepare_seconds(page, server, LESSON, steps)
        wait_until_quiet(process)
        # A browser that has not opened the app before (the teacher's own, which prepared
        # the lesson, has every page's code cached): the stricter case.
        fresh = browser.new_page(viewport={"width": 1400, "height": 1000})
        times = next_and_reveal_seconds(fresh, server)
    totals = [moved + revealed for moved, revealed in times]
    figures["prepared_next_reveal_median_s"] = statistics.median(totals)
    figures["prepared_next_reveal_max_s"] = max(totals)
    figures["prepared_next_median_s"] = statistics.median(moved for moved, _ in times)
    figures["prepared_reveal_median_s"] = statistics.median(revealed for _, revealed in times)
    for number, (moved, revealed) in enumerate(times, start=2):
        figures[f"step_{number}_next_s"] = moved
        figures[f"step_{number}_reveal_s"] = revealed
    seed = run_seed_code(SEED_CELL)["fit_s"]
    figures["seed_chapter_fit_s"] = seed
    figures["seed_fit_over_prepared_next_reveal"] = seed / statistics.median(totals)
    report(figures)


if __name__ == "__main__":
    main()
