"""End-to-end: a real `streamlit run` server and Debian's Chromium driven by Playwright.

Each page loads without an exception box, a slider is moved, training runs, and the result
(metric text and a chart) appears; screenshots are saved in test-artifacts/.
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
from pathlib import Path

from playwright.sync_api import expect

from browser_helpers import (
    ROOT,
    click_button,
    draw_vertical_stroke,
    exception_count,
    move_slider,
    open_page,
    require_chromium,
    slider_value,
    streamlit_server,
    wait_for_chart,
    wait_idle,
)
from nn_core import chapter

ARTIFACTS = ROOT / "test-artifacts"

require_chromium()


def shoot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_perceptron_steps_and_runs(server, browser):
    page = open_page(browser, f"{server}/perceptron")
    assert exception_count(page) == 0
    move_slider(page, "perceptron_samples", -20)
    wait_idle(page)
    assert slider_value(page, "perceptron_samples") == "80"
    click_button(page, "perceptron_step_one")
    page.get_by_text("Step 1 (epoch 1)").first.wait_for()
    click_button(page, "perceptron_run")
    page.get_by_text("Converged after").first.wait_for()
    wait_for_chart(page, "Data and the current decision line")
    wait_for_chart(page, "Misclassifications per epoch")
    assert exception_count(page) == 0
    shoot(page, "perceptron")


def test_moons_trains_on_every_slider_move(server, browser):
    page = open_page(browser, f"{server}/mlp_moons")
    page.get_by_text("Training accuracy").first.wait_for()
    move_slider(page, "moons_units_0", -11)  # 50 -> 1 unit on the choices ladder
    wait_idle(page)
    assert slider_value(page, "moons_units_0") == "1"
    page.get_by_text("Underfitting").first.wait_for()
    for title in ("Decision boundary", "Loss", "Accuracy"):
        wait_for_chart(page, title)
    assert "moons_units_0=1" in page.url  # the link carries the new setting
    assert "moons_epochs" not in page.url  # defaults stay out of it
    assert exception_count(page) == 0
    shoot(page, "moons")


def test_an_example_button_leaves_no_stale_settings_in_the_link(server, browser):
    page = open_page(browser, f"{server}/mlp_moons?moons_layers=2&moons_units_1=5&epochs=500")
    page.get_by_text("Training accuracy").first.wait_for()
    assert "moons_units_1=5" in page.url and "moons_epochs=500" in page.url  # old name read
    click_button(page, "moons_example_underfit")
    page.wait_for_url(lambda url: "moons_units_0=1" in url)
    wait_idle(page)
    page.get_by_text("Underfitting").first.wait_for()
    # One layer now: the second layer's units and the old epochs leave the link.
    assert "moons_units_1" not in page.url and "moons_layers" not in page.url
    assert "epochs" not in page.url


def test_mnist_trains_and_shows_its_results(server, browser):
    page = open_page(browser, f"{server}/mnist?epochs=2&train_size=1000")
    move_slider(page, "mnist_epochs", 1)
    wait_idle(page)
    assert slider_value(page, "mnist_epochs") == "3"
    click_button(page, "mnist_train")
    page.get_by_text("Test accuracy").first.wait_for(timeout=120_000)
    page.get_by_text("It's a").first.wait_for()
    for title in ("Loss", "Accuracy", "Confusion matrix (test set)"):
        wait_for_chart(page, title)
    page.get_by_text("Download the trained model (.keras)").first.wait_for()
    # The drawing pad's round trip: strokes in the browser -> pixels in Python -> prediction.
    page.get_by_text("Draw a digit on the black pad").first.wait_for()
    draw_vertical_stroke(page)
    page.mouse.up()
    page.get_by_text("What the network sees").first.wait_for()
    page.get_by_text("All ten probabilities").first.wait_for()
    page.locator(".st-key-mnist_draw_pad button").first.click()  # Clear
    page.get_by_text("Draw a digit on the black pad").first.wait_for()
    assert exception_count(page) == 0
    shoot(page, "mnist")


def test_imdb_trains_presets_and_compares(server, browser):
    page = open_page(browser, f"{server}/imdb?epochs=5")
    move_slider(page, "imdb_units", -1)
    wait_idle(page)
    click_button(page, "imdb_train")
    page.get_by_text("test reviews misclassified").first.wait_for(timeout=180_000)
    wait_for_chart(page, "Validation loss (diamonds: best epoch)")
    assert exception_count(page) == 0
    shoot(page, "imdb")


def test_runs_page_lists_the_session_and_rejects_bad_uploads(server, browser, tmp_path):
    page = open_page(browser, f"{server}/mlp_moons?epochs=500")
    page.get_by_text("Training accuracy").first.wait_for()
    page.get_by_role("link", name="Runs", exact=True).click()
    wait_idle(page)
    page.get_by_text("1 of 1 runs").first.wait_for()
    page.get_by_text("Import runs from a JSON export").click()
    malformed = tmp_path / "runs.json"
    malformed.write_text("{not json")
    page.locator(".st-key-runs_upload input[type='file']").set_input_files(str(malformed))
    page.get_by_text("Nothing was imported").first.wait_for()
    page.get_by_text("1 of 1 runs").first.wait_for()  # the existing run is still there
    oversized = tmp_path / "big.json"
    oversized.write_text(
        json.dumps({"format": "nn-explorer-runs", "runs": [], "pad": "x" * 6_000_000})
    )
    page.locator(".st-key-runs_upload input[type='file']").set_input_files(str(oversized))
    page.get_by_text("at most 5 MB").first.wait_for()
    # Export, then import the same file: every run is recognised, none duplicated.
    wait_idle(page)
    page.get_by_text("Download runs as JSON").first.wait_for()
    with page.expect_download() as download:
        page.locator(".st-key-runs_json button").first.click()
    exported = tmp_path / "exported.json"
    download.value.save_as(exported)
    assert json.loads(exported.read_text())["runs"][0]["run_id"] == "moons-1"
    page.locator(".st-key-runs_upload input[type='file']").set_input_files(str(exported))
    page.get_by_text("Added 0 runs; 1 was already here").first.wait_for()
    page.get_by_text("1 of 1 runs").first.wait_for()
    assert exception_count(page) == 0
    shoot(page, "runs")


def test_a_shared_link_opens_with_its_settings(server, browser):
    page = open_page(browser, f"{server}/mlp_moons?moons_units_0=3&l2=0.001&noise=banana")
    assert slider_value(page, "moons_units_0") == "3"
    assert slider_value(page, "moons_l2") == "0.001"
    page.get_by_text("not understood").first.wait_for()  # noise=banana: default plus notice
    assert exception_count(page) == 0


def test_deep_link_on_a_freshly_started_server(tiny_data_dir, browser):
    """Community Cloud restarts sleeping apps; the first visitor may arrive on /mnist."""
    with streamlit_server(ARTIFACTS / "fresh-server.log", NN_CORE_DATA_DIR=str(tiny_data_dir)) as (
        url,
        _process,
    ):
        page = open_page(browser, f"{url}/mnist")
        page.get_by_role("heading", name="MNIST: recognising handwritten digits").wait_for()
        sidebar = page.locator("[data-testid='stSidebar']")
        # Waiting assertions: read once the page has drawn its menu, not at a fixed moment.
        expect(sidebar.get_by_role("link", name="Home")).to_have_count(1)
        expect(sidebar.get_by_role("link", name="MNIST digits")).to_have_count(1)
        assert sidebar.get_by_text("streamlit app").count() == 0
        assert exception_count(page) == 0
        shoot(page, "deep-link")


def helpers_using(cache: Path) -> list[int]:
    """Processes of the disk-cache helper (nn_core.precompile) that compile into `cache`."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if b"nn_core.precompile" not in (entry / "cmdline").read_bytes():
                continue
            if f"NN_EXPLORER_XLA_CACHE={cache}".encode() in (entry / "environ").read_bytes():
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue  # not a process, or one that has just ended
    return found


def test_a_server_stopped_during_its_warm_up_exits_after_the_network_it_compiles(
    tiny_data_dir, browser, tmp_path
):
    """A host restarting the app (SIGTERM) or a teacher's Ctrl+C during the warm-up: the server
    ends after the network being compiled. It used to compile the page's other networks first
    (24 s) and then start the disk-cache helper, which outlives it."""
    cache = tmp_path / "compiled"
    settings = {
        "NN_CORE_DATA_DIR": str(tiny_data_dir),
        "NN_EXPLORER_WARM_UP": "1",
        "NN_EXPLORER_XLA_CACHE": str(cache),
    }
    with streamlit_server(ARTIFACTS / "stopped-server.log", **settings) as (url, process):
        open_page(browser, f"{url}/")  # its first visitor starts the warm-up
        compiled = lambda: list(cache.glob("xla_compile_cache__*"))  # noqa: E731
        deadline = time.monotonic() + 180  # a ceiling: TensorFlow's import, then a compile
        while not compiled() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert compiled(), "the warm-up compiled nothing"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=180)
        started = helpers_using(cache)
        for pid in started:  # (a failing run's helper would run on for minutes)
            os.kill(pid, signal.SIGKILL)
    assert not started
    assert len(compiled()) < len(chapter.moons_networks_to_compile())


def choose_section(page, prefix: str, label: str) -> None:
    page.locator(f".st-key-{prefix}_section button", has_text=label).first.click()
    wait_idle(page)


def test_inside_a_network_neuron_and_forward_pass(server, browser):
    page = open_page(browser, f"{server}/inside_a_network")
    wait_for_chart(page, "Output of one neuron")
    move_slider(page, "inside_w1", 5)  # 1.0 -> 1.5
    wait_idle(page)
    assert "inside_w1=1.5" in page.url
    page.get_by_text("1.5\\,x_1", exact=False).first.wait_for(state="attached")
    choose_section(page, "inside", "Forward pass")
    page.get_by_text("largest difference is").first.wait_for()
    move_slider(page, "inside_w11", -3)
    wait_idle(page)
    assert "inside_w11=0.2" in page.url and exception_count(page) == 0
    choose_section(page, "inside", "Universal approximation")
    wait_for_chart(page, "Fit, target and the contribution of each unit (orange)")
    assert exception_count(page) == 0
    shoot(page, "inside-a-network")
    # A student's own curve: drawn on the pad, fitted by the network.
    page.goto(
        f"{server}/inside_a_network?inside_section=Universal+approximation"
        "&inside_target=your+points&inside_units=10"
    )
    page.get_by_text("Draw a curve from left to right").first.wait_for()
    draw_wave(page)
    page.get_by_text("Mean squared error after").first.wait_for()
    wait_for_chart(page, "Fit, target and the contribution of each unit (orange)")
    assert exception_count(page) == 0
    shoot(page, "inside-a-network-drawn-curve")


def draw_wave(page) -> None:
    """Draw one wave across the curve pad with the mouse, as a student would."""
    import math

    pad = page.locator("canvas#curve-pad").first
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + box["height"] / 2)
    page.mouse.down()
    for step in range(61):
        x = box["x"] + 5 + step * (box["width"] - 10) / 60
        y = box["y"] + box["height"] / 2 - math.sin(step / 60 * 2 * math.pi) * box["height"] / 3
        page.mouse.move(x, y)
    page.mouse.up()


def test_how_it_learns_descent_and_backpropagation(server, browser):
    page = open_page(browser, f"{server}/how_it_learns?learns_learning_rate=1.0")
    page.get_by_text("Diverged").first.wait_for()
    wait_for_chart(page, "Loss surface and the path of gradient descent")
    choose_section(page, "learns", "Backpropagation")
    click_button(page, "learns_go_forward")
    page.get_by_text("Press Backward one step").first.wait_for()
    click_button(page, "learns_go_backward")
    page.get_by_text("Backward, step 1 of").first.wait_for()
    graph = page.locator("svg", has_text="loss L (y = 1)").first
    graph.wait_for()
    assert "∂L/∂y'" in graph.text_content()  # the first gradient, written on the loss node
    assert "learns_stage=2" in page.url and exception_count(page) == 0
    shoot(page, "how-it-learns")


def test_presenter_mode_on_every_page_hides_the_sidebar(server, browser):
    """Home and Runs have no controls to place, but a projected link still hides the menu."""
    for path in ("/", "/runs", "/inside_a_network"):
        page = open_page(browser, f"{server}{path}?present=1", viewport=(1920, 1080))
        expect(page.locator("[data-testid='stSidebar']")).to_be_hidden()
        assert exception_count(page) == 0
        page.close()
    page = open_page(browser, f"{server}/runs", viewport=(1920, 1080))
    expect(page.locator("[data-testid='stSidebar']")).to_be_visible()  # and only then


# Issue 18's worst case (spiral, 2,000 samples, 4 x 100 units, batch 8, 10,000 epochs) with a
# learning rate that keeps it training: at SGD's 1.0 it may diverge (and stop by itself) in
# under a minute on some CPUs, before the test presses Stop.
WORST_CASE = (
    "moons_dataset=Spiral&moons_samples=2000&moons_layers=4&moons_units_0=100&moons_units_1=100"
    "&moons_units_2=100&moons_units_3=100&moons_batch=8&moons_epochs=10000"
    "&moons_learning_rate=0.01"
)


def test_a_long_setting_asks_first_and_stop_keeps_what_was_learned(server, browser):
    page = open_page(browser, f"{server}/mlp_moons?{WORST_CASE}")
    expect(page.get_by_text("This setting would train for about")).to_be_visible()
    assert page.get_by_test_id("stMetric").count() == 0  # nothing started on its own
    click_button(page, "moons_confirm_long")
    stop = page.get_by_role("button", name="Stop", exact=True)
    expect(stop).to_be_visible(timeout=60_000)
    # Training is under way: its progress is reported (the epoch changes several times a second).
    expect(page.get_by_text(re.compile(r"epoch [\d,]+ of 10,000"))).to_be_visible(timeout=60_000)
    stop.click()
    wait_idle(page)
    expect(page.get_by_text("Training stopped at epoch")).to_be_visible()
    expect(page.get_by_role("button", name="Train all 10,000 epochs")).to_be_visible()
    assert page.get_by_test_id("stMetric").count() >= 5  # the partial result is shown
    wait_for_chart(page, "Decision boundary")
    assert exception_count(page) == 0
    shoot(page, "stopped-training")


def test_a_closed_tab_frees_its_slot_for_the_next_long_training(server, browser):
    """Two students confirm long settings: the second waits for the long lane and says so;
    when the first closes the tab, that training stops and the second one starts."""
    first = open_page(browser, f"{server}/mlp_moons?{WORST_CASE}&moons_seed=11")
    click_button(first, "moons_confirm_long")
    started = re.compile(r"epoch [\d,]+ of 10,000")
    expect(first.get_by_text(started)).to_be_visible(timeout=60_000)
    second = open_page(browser, f"{server}/mlp_moons?{WORST_CASE}&moons_seed=12")
    click_button(second, "moons_confirm_long")
    expect(second.get_by_text("waiting for a free slot")).to_be_visible(timeout=30_000)
    first.close()
    expect(second.get_by_text(started)).to_be_visible(timeout=60_000)
    second.get_by_role("button", name="Stop", exact=True).click()
    wait_idle(second)
    expect(second.get_by_text("Training stopped at epoch")).to_be_visible()
    assert exception_count(second) == 0


def test_a_diverging_learning_rate_stops_with_a_sentence(server, browser):
    page = open_page(
        browser,
        f"{server}/mlp_moons?moons_layers=4&moons_units_0=100&moons_units_1=100"
        "&moons_units_2=100&moons_units_3=100&moons_learning_rate=3.0",
    )
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_contain_text("Training stopped at epoch")
    expect(error).to_contain_text("lower learning rate than 3")
    assert exception_count(page) == 0


def test_a_student_cannot_clear_the_servers_caches(server, browser):
    """Streamlit's 'Clear caches' (its menu, and the 'c' key) would drop every classmate's
    results: under the app's toolbarMode ('minimal', .streamlit/config.toml) neither exists.
    In developer mode the same key press opens the dialog, so this test can fail."""
    page = open_page(browser, f"{server}/perceptron")
    page.locator("h1").first.click()
    page.keyboard.press("c")
    page.keyboard.press("C")
    # The dialog would open on the next frames after the key: let two frames render first.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text("Clear caches")).to_have_count(0)
    expect(page.get_by_test_id("stMainMenu")).to_have_count(0)
