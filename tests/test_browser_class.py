"""Class mode in Chromium, as a class uses it: two app servers (replicas) on one PostgreSQL
database. The teacher starts a class on one, a student joins and shares a run through the
other, and the teacher's live board shows it without a reload. The student's runs and class
survive a reload (the browser's anonymous cookie)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest

from browser_helpers import (
    ROOT,
    exception_count,
    free_port,
    open_page,
    require_chromium,
    streamlit_server,
    wait_healthy,
    wait_idle,
)
from postgres_server import postgres_url, require_postgres

ARTIFACTS = ROOT / "test-artifacts" / "class"
ALL_PICTURES_LOADED = """() => [...document.querySelectorAll('img')]
    .every(picture => picture.complete && picture.naturalWidth > 0)"""

require_chromium()


@pytest.fixture(scope="module")
def replicas(tiny_data_dir):
    """Two servers on one PostgreSQL database, with the same cookie secret, as deploy/ runs
    them: (first URL, second URL)."""
    require_postgres()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with postgres_url() as database:
        settings = {
            "NN_CORE_DATA_DIR": str(tiny_data_dir),
            "NN_CLASS_DB_URL": database,
            "STREAMLIT_SERVER_COOKIE_SECRET": "the-same-secret-on-every-replica",
        }
        with (
            streamlit_server(ARTIFACTS / "first.log", **settings) as (first, _),
            streamlit_server(ARTIFACTS / "second.log", **settings) as (second, _),
        ):
            yield first, second


@contextmanager
def sticky_proxy(first: str, second: str):
    """deploy/haproxy.cfg in front of the two servers (its addresses and port made local)."""
    haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(haproxy).exists():
        message = "HAProxy is missing: apt-get install haproxy (see README)."
        if os.environ.get("CI"):
            raise RuntimeError(message)
        pytest.skip(message)
    port = free_port()
    config = (ROOT / "deploy" / "haproxy.cfg").read_text()
    config = config.replace("bind :8080", f"bind 127.0.0.1:{port}")
    config = config.replace("app1:8501", first.removeprefix("http://"))
    config = config.replace("app2:8501", second.removeprefix("http://"))
    config = "\n".join(line for line in config.splitlines() if "server app3" not in line)
    path = ARTIFACTS / "haproxy.cfg"
    path.write_text(config + "\n")
    log_path = ARTIFACTS / "haproxy.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen([haproxy, "-f", str(path)], stdout=log, stderr=log)
    try:
        # (Not at once: on a busy machine the browser asked before HAProxy was listening.)
        wait_healthy(f"http://127.0.0.1:{port}", process, log_path)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def cell(table, text: str):
    """A table cell holding exactly `text` (the grid draws on a canvas; its cells are also in
    an accessible table that is not drawn)."""
    return table.locator("td[role='gridcell']").filter(has_text=re.compile(f"^{text}$")).first


def test_a_run_shared_through_one_server_appears_on_the_board_of_the_other(replicas, browser):
    first, second = replicas
    teacher = open_page(browser, f"{first}/class")
    teacher.get_by_label("Class title").fill("Monday: ANN chapter")
    teacher.get_by_role("button", name="Start a class").click()
    teacher.get_by_text("Scan to join").wait_for(timeout=60_000)
    code = re.search(r"Class ([A-Z2-9]{8})", teacher.inner_text("body")).group(1)
    teacher.get_by_text("No runs shared yet").wait_for()

    student = open_page(browser, f"{second}/class?join={code}")
    student.get_by_label("Your nickname").fill("ada")
    student.get_by_role("button", name="Join").click()
    student.get_by_text(f"You are in class {code} as ada").wait_for(timeout=60_000)
    student.get_by_role("link", name="MLP on moons", exact=True).click()
    share = student.get_by_role("button", name="Share moons-1 with the class")
    share.wait_for(timeout=120_000)
    wait_idle(student)
    share.click()
    student.get_by_text(f"Shared with class {code} as ada").wait_for(timeout=30_000)

    # The teacher's board (the other server) refreshes by itself within a few seconds.
    teacher.get_by_text("1 shared run from 1 student").wait_for(timeout=30_000)
    table = teacher.locator("[data-testid='stDataFrame']").first
    cell(table, "ada").wait_for(state="attached")
    teacher.screenshot(path=str(ARTIFACTS / "board.png"), full_page=True)

    # A reload starts a new session: the browser's cookie brings back its runs and its class.
    student.goto(f"{second}/runs")
    runs_table = student.locator("[data-testid='stDataFrame']").first
    cell(runs_table, "moons-1").wait_for(state="attached", timeout=60_000)
    assert "No runs yet" not in student.inner_text("body")
    student.goto(f"{second}/class")
    student.get_by_text(f"You are in class {code} as ada").wait_for(timeout=60_000)
    assert exception_count(teacher) == 0 and exception_count(student) == 0


def test_the_sticky_proxy_keeps_each_browser_on_one_server(replicas, browser):
    """Through deploy/haproxy.cfg: each browser gets a cookie naming its server, and its
    session (websocket, pictures served from that server's memory) works as on one server."""
    with sticky_proxy(*replicas) as proxy:
        servers = set()
        for _ in range(4):
            page = open_page(browser, f"{proxy}/class")
            page.get_by_label("Class title").fill("Through the proxy")
            page.get_by_role("button", name="Start a class").click()
            page.get_by_text("Scan to join").wait_for(timeout=60_000)
            wait_idle(page)
            loaded = page.evaluate(ALL_PICTURES_LOADED)
            cookies = {cookie["name"]: cookie["value"] for cookie in page.context.cookies()}
            servers.add(cookies["NN_SERVER"])
            assert loaded and exception_count(page) == 0
            page.context.close()
        assert servers == {"app1", "app2"}  # round robin for new browsers, then sticky
