"""The MLP page's Playground features in Chromium (issue 14): a replay that plays and scrubs,
the network diagram, your own data by clicks and CSV files, and the Keras code tab."""

from __future__ import annotations

import time

from browser_helpers import (
    ROOT,
    canvas_digest,
    exception_count,
    open_page,
    require_chromium,
    wait_for_chart,
    wait_idle,
)
from nn_core import diagram as diagram_module  # noqa: E402 - after the path set-up

ARTIFACTS = ROOT / "test-artifacts" / "playground"

require_chromium()

BOUNDARY = "Decision boundary"
CHART = "[data-testid='stVegaLiteChart']"
PROGRESS = "[data-testid='stProgress']"
# Notes, from inside the page, the transition of each element as Streamlit marks it stale (a
# run has started), however short the run.
WATCH_STALE = """() => {
  window.__staleTransitions = [];
  new MutationObserver((changes) => {
    for (const change of changes) {
      if (change.target.getAttribute('data-stale') !== 'true') continue;
      const style = getComputedStyle(change.target);
      window.__staleTransitions.push([style.transitionDuration, style.transitionDelay]);
    }
  }).observe(document.body, {attributes: true, attributeFilter: ['data-stale'], subtree: true});
}"""


def test_the_replay_plays_through_the_training_and_the_slider_scrubs_it(server, browser):
    page = open_page(browser, f"{server}/mlp_moons?moons_epochs=500", viewport=(1400, 1400))
    wait_for_chart(page, BOUNDARY)
    wait_for_chart(page, "The network (click a node)")
    final = canvas_digest(page, BOUNDARY)
    page.locator(".st-key-moons_play button").click()
    page.locator(PROGRESS).first.wait_for()  # playing: a progress bar stands for the slider
    seen = set()
    deadline = time.monotonic() + 120
    while page.locator(PROGRESS).count() and time.monotonic() < deadline:
        seen.add(canvas_digest(page, BOUNDARY))
        page.wait_for_timeout(50)
    seen.discard("")
    assert page.locator(PROGRESS).count() == 0, "the replay did not reach its end"
    assert len(seen - {final}) >= 5, f"only {len(seen)} distinct boundaries while playing"
    wait_idle(page)
    # Back at the last frame: the final boundary; Home on the slider: the initial weights.
    page.locator("[class*='st-key-moons_replay_'] input[type='range']").first.focus()
    page.keyboard.press("Home")
    wait_idle(page)
    page.wait_for_function(
        """(final) => {
          const canvas = document.querySelector(
            "[data-testid='stVegaLiteChart'][aria-label='Decision boundary'] canvas");
          return canvas && canvas.toDataURL().length > 0;
        }""",
        arg=final,
    )
    assert canvas_digest(page, BOUNDARY) not in ("", final)
    assert exception_count(page) == 0
    page.wait_for_function("() => location.search.includes('moons_replay=0')")  # in the link
    page.screenshot(path=str(ARTIFACTS / "replay.png"))
    # Pointing at the diagram's first hidden node draws that node's output large, until the
    # pointer leaves it; a click keeps it there.
    diagram = page.locator(f"{CHART}[aria-label='The network (click a node)'] canvas")
    box = diagram.bounding_box()
    node = (diagram_module.LEFT_MARGIN + diagram_module.COLUMN_GAP, diagram_module.NODE_PIXELS)
    on_node = (box["x"] + 5 + node[0], box["y"] + 32 + node[1])  # padding, title
    page.mouse.move(*on_node)
    wait_for_chart(page, "layer 1, unit 1: its output (blue high, orange low)")
    page.mouse.move(box["x"] + box["width"] - 5, box["y"] + box["height"] - 5)
    wait_for_chart(page, BOUNDARY)
    assert "moons_node" not in page.url, "a node pointed at is not kept in the link"
    page.mouse.click(*on_node)
    wait_for_chart(page, "layer 1, unit 1: its output (blue high, orange low)")
    page.get_by_text("Shading: what layer 1, unit 1 outputs").first.wait_for()
    page.wait_for_function("() => location.search.includes('moons_node=h1.1')")
    # The link opens the same view in a new session: that node, at that replay frame.
    again = open_page(browser, page.url, viewport=(1400, 1400))
    wait_for_chart(again, "layer 1, unit 1: its output (blue high, orange low)")
    thumb = again.locator("[class*='st-key-moons_replay_'] [data-testid='stSliderThumbValue']")
    assert thumb.first.inner_text() == "start"


def test_a_running_page_dims_its_results_in_one_step(server, browser):
    """Streamlit fades the previous results of a running page over a second; a browser that
    composites in software redrew the page at every frame of it, half a core taken from the
    training (ui/assets/base.css). They still dim, after the same half second."""
    page = open_page(browser, f"{server}/mlp_moons?moons_epochs=500")
    wait_for_chart(page, BOUNDARY)
    wait_idle(page)
    page.evaluate(WATCH_STALE)
    page.locator(".st-key-moons_feature_x1_x2 label").click()
    page.wait_for_function("() => window.__staleTransitions.length > 0")
    wait_idle(page)
    transitions = page.evaluate("() => window.__staleTransitions")
    assert {tuple(transition) for transition in transitions} == {("0s", "0.5s")}, transitions
    assert exception_count(page) == 0


def click_plane(page, fraction_x: float, fraction_y: float, expected: int) -> None:
    """Click the drawing plane at a place given as fractions of its canvas, until the page
    counts `expected` points (a click that lands while the page is still being redrawn is
    not seen by the chart)."""
    canvas = page.locator(
        "[data-testid='stVegaLiteChart'][aria-label='Your data (click to add or remove)'] canvas"
    )
    canvas.wait_for()
    for _attempt in range(5):
        box = canvas.bounding_box()
        # Inside the plot: right of the y axis, below the title, above the x axis and legend.
        page.mouse.click(box["x"] + 50 + 300 * fraction_x, box["y"] + 30 + 280 * fraction_y)
        wait_idle(page)
        try:
            page.wait_for_function(
                "(n) => document.body.innerText.includes(`${n} points, classes`)",
                arg=expected,
                timeout=10_000,
            )
            return
        except Exception:  # noqa: BLE001 - clicked too early: click again
            continue
    raise AssertionError(f"clicks on the plane did not add point {expected}")


def point_count(page) -> int:
    text = page.get_by_text("points, classes").first.inner_text()
    return int(text.split()[0])


def test_own_data_by_clicks_and_csv_files(server, browser, tmp_path):
    # The dataset as the app's own links write it (a hand-written `=own` opens the page too,
    # but the address bar drops it until the control is next changed: see ui/params.py).
    own = "moons_dataset=Your+own+data+%28draw+or+CSV%29"
    page = open_page(browser, f"{server}/mlp_moons?{own}", viewport=(1400, 1400))
    page.get_by_text("Add at least four points").first.wait_for()
    assert point_count(page) == 0
    for index, (x, y) in enumerate([(0.2, 0.3), (0.3, 0.7), (0.7, 0.3), (0.8, 0.7)]):
        if index == 2:  # two of class 0, then two of class 1
            page.locator(".st-key-moons_own_class button").nth(1).click()
            wait_idle(page)
        click_plane(page, x, y, expected=index + 1)
    wait_for_chart(page, BOUNDARY)  # four points of two classes: it trains
    bad = tmp_path / "bad.csv"
    bad.write_text("x1,x2,label\n0,0,0\n1,oops,1\n")
    uploader = page.locator(".st-key-moons_own_csv input[type='file']")
    uploader.set_input_files(str(bad))
    page.get_by_text("Row 3: x2 is 'oops', not a number.").first.wait_for()
    assert point_count(page) == 4  # nothing drawn is lost
    good = tmp_path / "good.csv"
    good.write_text("x1,x2,label\n-1,-1,0\n1.5,1.5,1\n-1.2,0.5,0\n")
    uploader.set_input_files(str(good))
    page.get_by_text("added 3 points").first.wait_for()
    assert point_count(page) == 7
    assert exception_count(page) == 0
    page.screenshot(path=str(ARTIFACTS / "own-data.png"))
    # The drawn points are in the link: a new session opening it trains on the same seven.
    page.wait_for_function("() => location.search.includes('moons_points=')")
    again = open_page(browser, page.url, viewport=(1400, 1400))
    wait_for_chart(again, BOUNDARY)
    assert point_count(again) == 7


def test_the_keras_code_tab_shows_runnable_code(server, browser):
    page = open_page(browser, f"{server}/mlp_moons?moons_units_0=8")
    page.get_by_role("tab", name="Keras code").click()
    wait_idle(page)
    code = page.locator("[data-testid='stCode']").first
    code.wait_for()
    text = code.inner_text()
    assert "keras.Sequential" in text and 'keras.layers.Dense(8, activation="tanh")' in text
    assert exception_count(page) == 0
