"""A real `streamlit run` server on a free localhost port and Debian's Chromium driven by
Playwright; shared by the browser tests and the benchmarks that measure through a browser."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
# As root on a closed network: no sandbox, no GPU, none of Chromium's background traffic.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    # Many tabs at once (the classroom benchmark): keep background tabs at full speed.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
RUNNING = "[data-testid='stApp'][data-test-script-state='running']"


def chromium_available() -> bool:
    return Path(CHROMIUM).exists() or shutil.which("chromium") is not None


def require_chromium() -> None:
    """At the top of a browser test module: without Chromium, skip it locally with what to
    install; in CI fail instead (CI must run the browser tests, never skip them)."""
    if chromium_available():
        return
    import pytest

    message = "Chromium is missing: apt-get install chromium (see README)."
    if os.environ.get("CI"):
        raise RuntimeError(message)
    pytest.skip(message, allow_module_level=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def streamlit_server(log_path: Path, **environment):
    """Start `streamlit run streamlit_app.py` on a free port; yield (base URL, process)."""
    port = free_port()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **environment}
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(ROOT / "streamlit_app.py"),
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process, log_path)
            yield f"http://127.0.0.1:{port}", process
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def wait_healthy(url: str, process, log_path: Path, timeout: float = 90) -> None:
    """Until the Streamlit server at `url` (or a proxy in front of it: `process`) answers its
    health check; an early exit raises with the end of its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited early:\n{log_path.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


@contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def wait_idle(page, timeout: float = 120_000) -> None:
    """Wait until the script has finished its current run (give a rerun a moment to start)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:  # a rerun usually starts within a few hundred milliseconds of the interaction
        page.wait_for_selector(RUNNING, timeout=1500)
    except PlaywrightTimeout:
        pass  # it already finished, or nothing needed to rerun
    page.wait_for_selector(IDLE, timeout=timeout)


def open_page(browser, url: str, viewport=(1400, 1000)):
    """Open a page and wait until its first script run has drawn the title and finished. On
    a freshly started, busy server the first run can begin seconds after the page loads, and
    the app reports "not running" until then: waiting for the title first means the idle
    state seen afterwards is the end of that run."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    # A ceiling, not a wait: with two test workers on two cores, a condition met well within
    # Playwright's 30 s alone once took longer (the replay test, beside a training test).
    page.set_default_timeout(90_000)
    page.goto(url)
    page.locator("h1").first.wait_for(timeout=120_000)
    wait_idle(page)
    return page


def wait_for_chart(page, title: str, timeout: float = 90_000) -> None:
    """Wait until the chart with this title is drawn. The title is pixels on the chart's canvas
    but also its aria-label; the container appears before Vega has drawn into it, so this
    waits for the canvas inside."""
    locator = page.locator(f"[data-testid='stVegaLiteChart'][aria-label='{title}'] canvas")
    locator.wait_for(timeout=timeout)


def click_button(page, key: str) -> None:
    page.locator(f".st-key-{key} button").first.click()


def move_slider(page, key: str, presses: int) -> None:
    """Move a slider or select slider by keyboard: positive presses go right."""
    thumb = page.locator(f".st-key-{key} input[type='range']").first
    thumb.focus()
    for _ in range(abs(presses)):
        thumb.press("ArrowRight" if presses > 0 else "ArrowLeft")


def slider_value(page, key: str) -> str:
    return page.locator(f".st-key-{key} input[type='range']").first.get_attribute("aria-valuetext")


def exception_count(page) -> int:
    return page.locator("[data-testid='stException']").count()


def draw_vertical_stroke(page) -> None:
    """Draw a '1' on the MNIST drawing pad with the mouse, still held down: the stroke ends
    (and the pad sends it to Python) when the caller calls page.mouse.up()."""
    pad = page.locator("canvas#draw-pad").first
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 30)
    page.mouse.down()
    page.mouse.move(box["x"] + 140, box["y"] + 250, steps=12)


def canvas_digest(page, title: str) -> str:
    """A fingerprint of what a titled chart's canvas shows now ('' while it is replaced)."""
    import hashlib

    data = page.evaluate(
        """(title) => {
          const canvas = document.querySelector(
            `[data-testid='stVegaLiteChart'][aria-label='${title}'] canvas`);
          return canvas ? canvas.toDataURL() : '';
        }""",
        title,
    )
    return hashlib.md5(data.encode()).hexdigest() if data else ""
