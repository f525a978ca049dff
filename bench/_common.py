"""Helpers shared by the benchmarks: run the seed's code in its own process, report JSON."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
QUIET_TENSORFLOW = {"TF_CPP_MIN_LOG_LEVEL": "3"}
os.environ.update(QUIET_TENSORFLOW)
sys.path.insert(0, str(ROOT))


def use_shared_datasets() -> None:
    """Without NN_CORE_DATA_DIR, read the datasets from ../shared/datasets (the copies beside
    the clone); a server started afterwards inherits the setting."""
    os.environ.setdefault("NN_CORE_DATA_DIR", str(ROOT.parent / "shared" / "datasets"))


def run_seed_code(code: str) -> dict:
    """Run the seed notebook's code in a fresh Python process (so its memory and warm-up do not
    mix with ours); the code must print one JSON object as its last line."""
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **QUIET_TENSORFLOW},
        check=False,
    )
    if completed.returncode != 0:
        raise SystemExit(f"The seed's code failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def peak_rss_mib() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def wait_until_quiet(process, share: float = 0.1, window: float = 2.0, timeout=300) -> None:
    """Until the server process uses under `share` of a core over `window` seconds: its
    background warm-up (compiling the MLP page's networks after the first visit, and after
    any training it waited for) is over. A class arrives at a warmed server; a figure timed
    while the warm-up still ran measured the warm-up too."""
    import time

    import psutil

    server = psutil.Process(process.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.cpu_percent(interval=window) < 100 * share:
            return
    raise SystemExit(f"The server was still busy after {timeout} s")


def report(figures: dict) -> None:
    """The convention for bench/: the last line of output is one JSON object."""
    print(
        json.dumps(
            {
                key: round(value, 4) if isinstance(value, float) else value
                for key, value in figures.items()
            }
        )
    )
