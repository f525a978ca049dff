"""Warm the server up in the background once the home page has been drawn for its first
visitor (Community Cloud wakes a sleeping app on a visit): import TensorFlow, compile and pool
the chapter's moons network, and measure the machine's training speed (ui.cost), while the
visitor reads. Started after drawing: a TensorFlow import beside the first page's run slowed
that page by two seconds. Pages that need TensorFlow sooner import it themselves; the imports are
shared, so nothing is done twice."""

from __future__ import annotations

import importlib
import json
import logging
import os
import pkgutil
import threading
import time
from dataclasses import replace

from nn_core.memory import freeze_long_lived, limit_heaps, release_free_memory

_started = threading.Event()
finished = threading.Event()  # set once the warm-up is over (benchmarks wait for it)
_stopping = threading.Event()  # the server is exiting: the warm-up ends after its network
TIDY_SECONDS = 30  # how often the server hands freed memory back (nn_core.memory)


def warm_up_in_background() -> None:
    """Start the warm-up once per server process (cheap on every later call).
    NN_EXPLORER_WARM_UP=0 turns it off: the test suite does (its servers and pages spent
    minutes of CPU compiling networks no test asked for; its tests wait for what they check)."""
    if _started.is_set() or _turned_off():
        return
    _started.set()
    # Not a daemon (a thread started from Streamlit's script thread would inherit that): a
    # process must not exit with TensorFlow running in a thread, which aborts it. So Python
    # waits for it when the server exits (Ctrl+C, a host's SIGTERM): told just before (the
    # hook concurrent.futures uses too), it ends after the network it is compiling, instead
    # of compiling all the others first (a server stopped early took 24 s to exit).
    threading._register_atexit(_stopping.set)
    threading.Thread(target=_warm_up, name="warm up", daemon=False).start()


def _turned_off() -> bool:
    return os.environ.get("NN_EXPLORER_WARM_UP") == "0"


_engine_imported = threading.Lock()


def import_engine() -> None:
    """Import TensorFlow and every nn_core module, one thread at a time. Two threads importing
    them at once (a page opened while the warm-up starts) met Python's import-deadlock
    detector, which fails one of them half-imported."""
    with _engine_imported:
        import nn_core

        for module in pkgutil.iter_modules(nn_core.__path__):
            importlib.import_module(f"nn_core.{module.name}")


def _warm_up() -> None:
    import_engine()  # TensorFlow: seconds, off the page's thread
    from nn_core import chapter, pool, precompile, training
    from nn_core.networks import start_thread_pools
    from ui.cost import measure_speed

    start_thread_pools()  # at the normal priority, before this thread gives it up
    lower_priority()
    split = chapter.moons_split()
    # As the MLP page trains: with the replay's snapshots, which is another compiled loop.
    try:
        training.train_split(
            chapter.MOONS_NETWORK, chapter.moons_training_for(chapter.MOONS_NETWORK), split
        )
        measure_speed()
    finally:
        finished.set()
    # Before the networks below: a network frozen here that the pool drops later would stay.
    freeze_long_lived()
    # Then the MLP page's other networks, one epoch each (compiling is what costs: ~1.5 s of
    # CPU a network, at the lowest priority here; an epoch count is not compiled in): see
    # nn_core.chapter.MOONS_WARM_NETWORKS. Each waits until no student's training runs or
    # waits, and takes one short slot of several: a student's training never queues behind
    # this. (The page shades the plane with NumPy: nn_core.diagram.network_outputs.)
    for spec in chapter.moons_networks_to_compile():
        if _stopping.is_set():
            return
        pool.wait_until_idle()
        training.train_split(spec, replace(chapter.moons_training_for(spec), epochs=1), split)
    # The rest of the page's networks go to the disk cache, compiled by a process of its own
    # that leaves with their memory (a server then loads each in a fifth of a second).
    if not _stopping.is_set():
        precompile.start_in_background()


def compile_near(spec, config, split) -> None:
    """After a student's training on the MLP page: the disk-cache helper compiles the trainings
    one change from it (nn_core.precompile.wish) while the student looks at this one, so that
    their next change loads its loop instead of compiling it. In a thread of its own (it may
    start the helper), not before the page is drawn; off where the warm-up is (the tests)."""
    if _turned_off():
        return
    from nn_core import precompile

    counts = len(split.y_train), len(split.y_validation)
    threading.Thread(
        target=precompile.wish, args=(spec, config, *counts), name="wish", daemon=True
    ).start()


_tidying = threading.Event()


def keep_tidy() -> None:
    """Start, once per server, a thread that hands freed memory back every TIDY_SECONDS (cheap
    on every later call; every page calls it, since a class may arrive by deep links)."""
    if _tidying.is_set():
        return
    _tidying.set()
    limit_heaps()
    # A daemon: nothing of TensorFlow runs in it, and it must not keep the server from exiting.
    threading.Thread(target=_tidy_up_now_and_then, name="tidy up", daemon=True).start()


_tidy_tasks = []  # what else runs at each tidy-up (ui.results adds its store's shrinking)


def on_tidy(task) -> None:
    """Run task() at every tidy-up. (A registration, not an import in the tidy thread:
    importing beside a page's imports can meet Python's import-deadlock detector.)"""
    _tidy_tasks.append(task)


def _tidy_up_now_and_then() -> None:
    lower_priority()
    while True:
        time.sleep(TIDY_SECONDS)
        for task in list(_tidy_tasks):
            task()
        release_free_memory()
        if os.environ.get("NN_EXPLORER_MEMORY_LOG"):
            _log_memory()


def lower_priority() -> None:
    """This thread yields the cores to students' trainings (Linux: a thread has its own nice
    value); elsewhere it runs as it is."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
    except (AttributeError, OSError):
        pass


def _log_memory() -> None:
    """One line in the server's log: what holds its memory (set NN_EXPLORER_MEMORY_LOG=1)."""
    import psutil
    from streamlit.runtime import Runtime

    from nn_core.pool import idle_count
    from ui.results import stored_bytes

    runtime = Runtime.instance() if Runtime.exists() else None
    sessions = len(runtime._session_mgr.list_active_sessions()) if runtime else 0
    figures = {
        "rss_mib": round(psutil.Process().memory_info().rss / 2**20),
        "results_mib": round(stored_bytes() / 2**20, 1),
        "pooled_networks": idle_count(),
        "sessions": sessions,
    }
    logging.getLogger("nn_explorer.memory").warning(json.dumps(figures))
