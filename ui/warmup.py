"""Warm the server up in the background once the home page has been drawn for its first
visitor (Community Cloud wakes a sleeping app on a visit): import TensorFlow, compile and pool
the chapter's moons network, and measure the machine's training speed (ui.cost), while the
visitor reads. Started after drawing: a TensorFlow import beside the first page's run slowed
that page by two seconds. Pages that need TensorFlow sooner import it themselves; the imports are
shared, so nothing is done twice."""

from __future__ import annotations

import threading

_started = threading.Event()
finished = threading.Event()  # set once the warm-up is over (benchmarks wait for it)


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
