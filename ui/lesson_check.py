"""A lesson's settings checked against the pages themselves, when a teacher uploads it: each
step's page runs up to its controls with the step's settings applied, and every setting the
page does not have, or whose value its control does not accept, is named with its line. These
are the checks a link's values get (ui.params), so a lesson and a link agree on what a setting
may be, and no list of settings is kept twice.

The pages run under Streamlit's AppTest in a separate process (`python -m ui.lesson_check`,
the lesson's text on stdin, JSON on stdout): the server's own sessions and caches are not
touched, and nothing is trained: PageParams.sync() stops a page in CHECK_ONLY mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECK_SECONDS = 180  # at most, for the whole lesson (each page's first run imports its engine)


def problems(text: str, name: str) -> list[str]:
    """'Line N (step K): …' for each setting a step's page does not accept (none: [])."""
    process = subprocess.run(
        [sys.executable, "-m", "ui.lesson_check", name],
        input=text,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=CHECK_SECONDS,
        check=False,
    )
    lines = process.stdout.strip().splitlines()
    if process.returncode != 0 or not lines:
        tail = process.stderr.strip().splitlines()[-1:] or ["no output"]
        raise RuntimeError(f"the settings could not be checked ({tail[0]})")
    return json.loads(lines[-1])


def _check(text: str, name: str) -> list[str]:
    """In the checking process: run each step's page, collect what its controls said."""
    from streamlit.testing.v1 import AppTest

    from nn_core import lessons
    from ui.lesson import PAGE_PATHS
    from ui.params import CHECK_NOTICES, CHECK_ONLY, LESSON_SETTINGS

    found = []
    for number, step in enumerate(lessons.parse(text, name).steps, start=1):
        if not step.settings:
            continue
        prefix = lessons.PAGES[step.page]
        app = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=CHECK_SECONDS)
        app.session_state[CHECK_ONLY] = True
        app.session_state[LESSON_SETTINGS] = {
            f"{prefix}_{setting}": value for setting, value in step.settings.items()
        }
        app.switch_page(PAGE_PATHS[step.page])
        app.run()
        where = f"Line {step.settings_line} (step {number}, {step.page.replace('_', ' ')} page)"
        if app.exception:
            found.append(f"{where}: the page could not be opened ({app.exception[0].message}).")
            continue
        if CHECK_NOTICES not in app.session_state:  # stopped before its controls
            found.append(f"{where}: the page stopped before its controls; is its dataset there?")
            continue
        found.extend(f"{where}: {notice}" for notice in app.session_state[CHECK_NOTICES])
    return found


if __name__ == "__main__":
    print(json.dumps(_check(sys.stdin.read(), sys.argv[1])))
