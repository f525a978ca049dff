"""Warm the server up in the background once the home page has been drawn for its first
visitor (Community Cloud wakes a sleeping app on a visit): import TensorFlow, compile and pool
the chapter's moons network, and measure the machine's training speed (ui.cost), while the
visitor reads. Started after drawing: a TensorFlow import beside the first page's run slowed
that page by two seconds. Pages that need TensorFlow sooner import it themselves; the imports are
shared, so nothing is done twice."""

from __future__ import annotations

import threading
import time

_started = threading.Event()
finished = threading.Event()  # set once the warm-up is over (benchmarks wait for it)
TIDY_SECONDS = 30  # how often the server hands freed memory back (nn_core.memory)


def warm_up_in_background() -> None:
    """Start the warm-up once per server process (cheap on every later call)."""
    if _started.is_set():
        return
    _started.set()
    # Not a daemon (a thread started from Streamlit's script thread would inherit that): a
    # process must not exit with TensorFlow running in a thread, which aborts it.
    threading.Thread(target=_warm_up, name="warm up", daemon=False).start()


def _warm_up() -> None:
    from nn_core import chapter, training  # TensorFlow: seconds, off the page's thread
    from ui.cost import lower_priority, measure_speed

    lower_priority()
    try:
        training.train_split(chapter.MOONS_NETWORK, chapter.MOONS_TRAINING, chapter.moons_split())
        measure_speed()
    finally:
        finished.set()


_tidying = threading.Event()


def keep_tidy() -> None:
    """Start, once per server, a thread that hands freed memory back every TIDY_SECONDS (cheap
    on every later call; every page calls it, since a class may arrive by deep links)."""
    if _tidying.is_set():
        return
    _tidying.set()
    # A daemon: nothing of TensorFlow runs in it, and it must not keep the server from exiting.
    threading.Thread(target=_tidy_up_now_and_then, name="tidy up", daemon=True).start()


def _tidy_up_now_and_then() -> None:
    from nn_core.memory import release_free_memory
    from ui.cost import lower_priority

    lower_priority()
    while True:
        time.sleep(TIDY_SECONDS)
        release_free_memory()
