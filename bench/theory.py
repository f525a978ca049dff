"""Theory pages ("Inside a network", "How it learns"): how long each control takes to answer,
end to end in Chromium: from the key press (or click) to the page's script run finished and the
browser's next two frames drawn. Targets: under 0.3 s for the small computations, under 1.5 s
for controls that train networks. The chapter has no code for these sections, so there is no
seed run to compare with.

Run from the repository root: python bench/theory.py
"""

# The last line printed is one JSON object with the figures (_common.report, json.dumps).

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from _common import ROOT, report

# (figure name, page path, widget key to press ArrowRight on or button key to click, trains?,
# presses: each press must change the value, so as many as the control has values left)
CONTROLS = (
    ("neuron_weight", "/inside_a_network", "slider:inside_w1", False, 3),
    (
        "activation_probe",
        "/inside_a_network?inside_section=Activation+functions",
        "slider:inside_z",
        False,
        3,
    ),
    (
        "forward_weight",
        "/inside_a_network?inside_section=Forward+pass",
        "slider:inside_w11",
        False,
        3,
    ),
    (
        "descent_learning_rate",
        "/how_it_learns?learns_learning_rate=0.01",
        "slider:learns_learning_rate",
        False,
        3,
    ),
    (
        "backprop_step",
        "/how_it_learns?learns_section=Backpropagation",
        "button:learns_go_backward",
        False,
        3,
    ),
    (
        "approximation_units",
        "/inside_a_network?inside_section=Universal+approximation",
        "slider:inside_units",
        True,
        3,
    ),
    (
        "nonlinear_epochs",
        "/inside_a_network?inside_section=Why+non-linear&inside_epochs=500",
        "slider:inside_epochs",
        True,
        3,
    ),
    (
        "init_epochs",
        "/how_it_learns?learns_section=Weight+initialisation&learns_init_epochs=200",
        "slider:learns_init_epochs",
        True,
        3,
    ),
    (
        "batch_epochs",
        "/how_it_learns?learns_section=Batch+size&learns_batch_epochs=10",
        "slider:learns_batch_epochs",
        True,
        2,
    ),
)


COUNT_RUNS = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  window.finishedRuns = 0;
  new MutationObserver(() => {
    if (app.dataset.testScriptState === "notRunning") window.finishedRuns += 1;
  }).observe(app, {attributes: true, attributeFilter: ["data-test-script-state"]});
}"""


def answer_seconds(page, control: str) -> float:
    """Seconds from the press to the end of the script run it caused (counted by a mutation
    observer, which also sees runs too short to poll for) and two frames drawn after it."""
    kind, key = control.split(":")
    widget = "input[type='range']" if kind == "slider" else "button"
    target = page.locator(f".st-key-{key} {widget}").first
    if kind == "slider":
        target.focus()
    runs = page.evaluate("window.finishedRuns")
    started = time.perf_counter()
    target.press("ArrowRight") if kind == "slider" else target.click()
    page.wait_for_function(f"window.finishedRuns > {runs}", timeout=120_000)
    page.evaluate("new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))")
    return time.perf_counter() - started


def main():
    sys.path.insert(0, str(ROOT / "tests"))
    from browser_helpers import chromium, open_page, streamlit_server, wait_idle

    figures, lines = {}, []
    with streamlit_server(Path("/tmp/theory-server.log")) as (url, _), chromium() as browser:
        for name, path, control, trains, repeats in CONTROLS:
            page = open_page(browser, url + path)
            page.evaluate(COUNT_RUNS)
            if control.startswith("button"):  # the stepper starts at the forward pass
                page.locator(".st-key-learns_go_forward button").first.click()
                wait_idle(page)
            seconds = [answer_seconds(page, control) for _ in range(repeats)]
            figures[f"{name}_median_s"] = statistics.median(seconds)
            figures[f"{name}_slowest_s"] = max(seconds)
            target = 1.5 if trains else 0.3
            lines.append(
                f"{name:24s} median {statistics.median(seconds):.3f} s, slowest "
                f"{max(seconds):.3f} s (target {target} s{', trains' if trains else ''})"
            )
            page.close()
    print("\n".join(lines))
    report(figures)


if __name__ == "__main__":
    main()
