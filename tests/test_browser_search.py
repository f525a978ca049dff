"""The search panel in Chromium (issue 20): a grid search runs trial after trial with its
progress, Stop ends it between two trials' updates, and the trials that finished stay."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from browser_helpers import ROOT, exception_count, open_page, require_chromium, wait_idle

ARTIFACTS = ROOT / "test-artifacts" / "search"

require_chromium()


def test_stop_ends_a_search_and_keeps_the_finished_trials(server, browser):
    # Mini-batches of 16: each trial takes a second or two, so Stop lands mid-search.
    page = open_page(browser, f"{server}/mlp_moons?epochs=1000&batch=16", viewport=(1400, 2400))
    page.get_by_role("tab", name="Search").click()
    run = page.locator(".st-key-moons_search_run button")
    run.wait_for(timeout=60_000)
    planned = int(re.search(r"Run (\d+) trials", run.inner_text()).group(1))
    run.click()
    page.wait_for_function(  # two trials finished: the progress says the third (or later)
        """() => { const found = document.body.innerText.match(/Trial (\\d+) of/);
                   return found !== null && Number(found[1]) >= 3; }""",
        timeout=120_000,
    )
    page.locator(".st-key-moons_search_stop button").click()
    notice = page.get_by_text(re.compile(r"Stopped after \d+ of \d+ trials"))
    notice.wait_for(timeout=60_000)
    wait_idle(page)
    kept = int(re.search(r"Stopped after (\d+) of", notice.inner_text()).group(1))
    assert 2 <= kept < planned
    table = page.locator("[data-testid='stDataFrame']").last
    table.scroll_into_view_if_needed()  # (the grid writes its rows once it is on screen)
    expect(table.locator("tbody tr[role='row']")).to_have_count(kept)  # a row per kept trial
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "stopped.png"))

    # A click on a kept trial's row (one with other units than the sidebar's) shows its
    # setting on the page.
    slider = page.locator(".st-key-moons_units_0 input[type='range']")
    units = [  # (columns: trial, units, l2, ...)
        table.locator(f"tbody tr[aria-rowindex='{row + 2}'] td").nth(1).inner_text()
        for row in range(kept)
    ]
    other = [
        row for row, value in enumerate(units) if value != slider.get_attribute("aria-valuetext")
    ]
    assert other, f"every kept trial has the sidebar's units: {units}"
    box = table.bounding_box()
    row_height = box["height"] / (kept + 1)  # (the header, then a row per trial)
    page.mouse.click(box["x"] + 12, box["y"] + row_height * (other[0] + 1.5))
    expect(slider).to_have_attribute("aria-valuetext", units[other[0]], timeout=30_000)
    assert exception_count(page) == 0
