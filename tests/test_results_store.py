"""The server's result store (ui.results.ResultStore): one computation per key, a lookup that
waits a moment for a computation under way (an interrupted training storing itself), and a
budget in bytes that evicts the oldest results but never one a live session is showing."""

import threading

import numpy as np
import pytest

from ui.results import SHOWN_PER_SESSION, ResultStore


def test_identical_requests_compute_once():
    store = ResultStore(max_bytes=10**6)
    calls = []
    release = threading.Event()

    def make():
        calls.append(1)
        release.wait(5)
        return "result"

    threads = [threading.Thread(target=store.compute, args=("key", make)) for _ in range(3)]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join()
    assert calls == [1] and store.lookup("key") == "result"


def computing_in_session_a(store: ResultStore, result: str):
    """Session A starts computing "key" in a thread, which returns `result` once release is
    set; returns (worker, release)."""
    started, release = threading.Event(), threading.Event()

    def make():
        started.set()
        release.wait(5)
        return result

    worker = threading.Thread(target=store.compute, args=("key", make, "session A"))
    worker.start()
    started.wait(5)
    return worker, release


def test_a_lookup_waits_for_its_own_sessions_computation_but_not_forever():
    store = ResultStore(max_bytes=10**6)
    worker, release = computing_in_session_a(store, "partial result")
    # Another session's page is not held up by a classmate's training: no wait at all.
    assert store.lookup("key", "session B", settle_seconds=60) is None
    assert store.lookup("key", "session A", settle_seconds=0.05) is None  # gives up
    threading.Timer(0.1, release.set).start()
    assert store.lookup("key", "session A", settle_seconds=5) == "partial result"  # waited
    worker.join()
    store.forget("key")
    assert store.lookup("key") is None


def array(kib: int) -> np.ndarray:
    return np.zeros(kib * 256, np.float32)  # kib KiB


def test_the_byte_budget_evicts_the_oldest_results_first():
    store = ResultStore(max_bytes=100 * 1024)
    for name in "abcde":
        store.compute(name, lambda: array(30))  # 30 KiB each: three fit
    assert [store.lookup(name, settle_seconds=0) is not None for name in "abcde"] == [
        False,
        False,
        True,
        True,
        True,
    ]
    assert store.used_bytes <= 100 * 1024
    store.lookup("c")  # used again: now the youngest
    store.compute("f", lambda: array(30))
    assert store.lookup("c") is not None and store.lookup("d") is None


def test_datasets_count_against_the_budget():
    store = ResultStore(max_bytes=100 * 1024)
    store.compute("a", lambda: array(30))
    store.compute("b", lambda: array(30))
    store.reserve("mnist", 60 * 1024)
    assert store.lookup("a") is None and store.lookup("b") is not None
    assert store.used_bytes == 90 * 1024


def test_a_result_a_live_session_shows_is_never_evicted():
    live = {"student-1"}
    store = ResultStore(max_bytes=100 * 1024, is_live=lambda holder: holder in live)
    store.compute("shown", lambda: array(60), holder="student-1")
    for index in range(5):  # other students' results push the budget
        store.compute(index, lambda: array(30), holder=f"student-{index + 2}")
    assert store.lookup("shown") is not None  # still shown by student 1
    # Beyond the budget only by what live sessions show: each keeps its last results.
    assert len([key for key in range(5) if store.lookup(key, settle_seconds=0) is not None]) >= 1
    live.clear()  # student 1 left: the next result may evict it
    store.compute("new", lambda: array(30))
    assert store.lookup("shown") is None
    assert SHOWN_PER_SESSION >= 8  # a page's results (boundary, curves, sweep) all stay


def test_a_page_waiting_for_a_classmates_identical_training_can_give_up():
    """Session B asks for the key session A is computing: B waits (hearing on_wait now and
    then, where the page redraws its notice and Streamlit raises a Stop), and may give up."""
    store = ResultStore(max_bytes=10**6)
    worker, release = computing_in_session_a(store, "A's result")
    heard = []

    def give_up_on_third_call():
        heard.append(1)
        if len(heard) == 3:
            raise KeyboardInterrupt("B pressed Stop")

    with pytest.raises(KeyboardInterrupt):
        store.compute("key", lambda: "B's result", "session B", give_up_on_third_call)
    assert len(heard) == 3 and worker.is_alive()  # A's training went on
    release.set()
    worker.join()
    assert store.compute("key", lambda: "B's result", "session B") == "A's result"


def test_results_shrink_to_the_newest_once_no_live_session_uses_them():
    live = {"session A"}
    store = ResultStore(max_bytes=10**6, is_live=lambda holder: holder in live)
    for key in "abcd":
        store.compute(key, lambda: np.zeros(1000), "session A")  # 8,000 bytes each
    assert not store.shrink_when_unused(8_000)  # session A is still here: nothing goes
    assert all(store.lookup(key, settle_seconds=0) is not None for key in "abcd")
    live.clear()  # the class has left
    assert store.shrink_when_unused(8_000)
    kept = [key for key in "abcd" if store.lookup(key, settle_seconds=0) is not None]
    assert kept == ["d"] and store.used_bytes == 8_000
