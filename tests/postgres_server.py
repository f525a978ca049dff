"""A throwaway PostgreSQL server for the store tests and the class benchmark: Debian's
PostgreSQL 15 binaries, a new cluster in a temporary folder, a free localhost port, stopped
and deleted afterwards. PostgreSQL refuses to run as root, so as root the cluster belongs to
the `postgres` user that Debian's package creates."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from browser_helpers import free_port


def binaries() -> Path | None:
    """The newest installed PostgreSQL's bin folder (Debian: /usr/lib/postgresql/15/bin)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def require_postgres() -> None:
    """Before a test that needs PostgreSQL: without it, skip locally with what to install; in
    CI fail instead (CI must run the PostgreSQL tests, never skip them)."""
    if binaries() is not None:
        return
    import pytest

    message = "PostgreSQL is missing: apt-get install postgresql (see README)."
    if os.environ.get("CI"):
        raise RuntimeError(message)
    pytest.skip(message)


@contextmanager
def postgres_url():
    """Yield a SQLAlchemy URL of a new, empty PostgreSQL database."""
    bin_folder = binaries()
    if bin_folder is None:
        raise RuntimeError("PostgreSQL is not installed: apt-get install postgresql (see README).")
    folder = Path(tempfile.mkdtemp(prefix="nn-postgres-"))
    data = folder / "data"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    port = free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "check": True}
    subprocess.run(
        _as_owner([str(bin_folder / "initdb"), "-D", str(data), "-U", "nn", "--auth=trust"]),
        **quiet,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_owner(
            [
                str(bin_folder / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-w",
                "-l",
                str(folder / "log"),
                "start",
            ]
        ),
        **quiet,
    )
    try:
        _wait_until_ready(bin_folder, port)
        yield f"postgresql+psycopg://nn@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner([str(bin_folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_ready(bin_folder: Path, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = subprocess.run(
            [str(bin_folder / "pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
        )
        if ready.returncode == 0:
            return
        time.sleep(0.1)
    raise RuntimeError(f"PostgreSQL did not start on port {port} within {timeout:.0f} s.")
