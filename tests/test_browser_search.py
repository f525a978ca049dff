"""The search panel in Chromium (issue 20): a grid search runs trial after trial with its
progress, Stop ends it between two trials' updates, and the trials that finished stay; a click
on a trial's row sets the sidebar; a class study in SQLite outlives its server."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from browser_helpers import (
    ROOT,
    exception_count,
    open_page,
    require_chromium,
    streamlit_server,
    wait_idle,
)

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
    click_row(page, table, other[0], kept)
    expect(slider).to_have_attribute("aria-valuetext", units[other[0]], timeout=30_000)
    assert exception_count(page) == 0


def click_row(page, table, row: int, rows: int) -> None:
    """Click the table's row (0: the first trial) near its left edge, where the grid's row
    selection is."""
    box = table.bounding_box()
    row_height = box["height"] / (rows + 1)  # (the header, then a row per trial)
    page.mouse.click(box["x"] + 12, box["y"] + row_height * (row + 1.5))


def test_a_click_on_an_mnist_trial_sets_the_sidebar_to_its_setting(server, browser):
    page = open_page(browser, f"{server}/mnist?train_size=1000&epochs=1", viewport=(1400, 2400))
    page.locator(".st-key-mnist_search_open summary").click()
    run = page.locator(".st-key-mnist_search_run button")
    run.wait_for(timeout=60_000)
    run.click()
    table = page.locator("[data-testid='stDataFrame']").last
    table.wait_for(timeout=120_000)
    wait_idle(page)
    table.scroll_into_view_if_needed()
    rows = table.locator("tbody tr[role='row']")
    expect(rows).to_have_count(9)  # the default grid: 3 widths x 3 learning rates
    last = rows.last.locator("td")  # (columns: trial, units, learning_rate, ...)
    units, learning_rate = last.nth(1).inner_text(), last.nth(2).inner_text()
    click_row(page, table, 8, 9)
    slider = page.locator(".st-key-mnist_units_0 input[type='range']")
    expect(slider).to_have_attribute("aria-valuetext", units, timeout=30_000)
    rate = page.locator(".st-key-mnist_learning_rate input[type='range']")
    assert float(rate.get_attribute("aria-valuetext")) == float(learning_rate)
    assert exception_count(page) == 0


def test_a_class_study_in_sqlite_survives_a_restart_of_the_server(tiny_data_dir, tmp_path, browser):
    """The teacher makes the MLP page's search the class study and a student runs its trials
    (Optuna's storage in the class's SQLite file); the server stops, a new one starts on the
    same file, and the student's reloaded Class page still shows every trial."""
    settings = {"NN_CORE_DATA_DIR": str(tiny_data_dir), "NN_CLASS_DB": str(tmp_path / "class.db")}
    with streamlit_server(ARTIFACTS / "before_restart.log", **settings) as (server, _):
        teacher = open_page(browser, f"{server}/class")
        teacher.get_by_label("Class title").fill("Search together")
        teacher.get_by_role("button", name="Start a class").click()
        teacher.get_by_text("Scan to join").wait_for(timeout=60_000)
        code = re.search(r"Class ([A-Z2-9]{8})", teacher.inner_text("body")).group(1)
        search_tab(teacher)
        teacher.get_by_role("button", name="Make this search the class study").click()
        teacher.get_by_text("Class study started").wait_for(timeout=60_000)

        student = open_page(browser, f"{server}/class?join={code}", viewport=(1400, 2400))
        student.get_by_label("Your nickname").fill("ada")
        student.get_by_role("button", name="Join").click()
        student.get_by_text(f"You are in class {code} as ada").wait_for(timeout=60_000)
        search_tab(student)
        student.get_by_role("button", name="Run 3 trials of the class study").click()
        table = student.locator("[data-testid='stDataFrame']").last
        table.wait_for(timeout=180_000)
        wait_idle(student)
        student.screenshot(path=str(ARTIFACTS / "study_before_restart.png"), full_page=True)
        assert exception_count(teacher) == 0 and exception_count(student) == 0

    with streamlit_server(ARTIFACTS / "after_restart.log", **settings) as (server, _):
        student.goto(f"{server}/class")  # a new session: the cookie brings back the class
        student.get_by_text("3 trials by 1 student").wait_for(timeout=60_000)
        wait_idle(student)
        student.screenshot(path=str(ARTIFACTS / "study_after_restart.png"), full_page=True)
        assert exception_count(student) == 0


def search_tab(page) -> None:
    """From the Class page, the MLP page's Search tab in the same session (the menu's link)."""
    page.get_by_role("link", name="MLP on moons", exact=True).click()
    page.get_by_role("tab", name="Search").wait_for(timeout=120_000)
    wait_idle(page)
    page.get_by_role("tab", name="Search").click()
