"""The server's result store (ui.results.ResultStore): one computation per key, and a lookup
that waits a moment for a computation under way (an interrupted training storing itself)."""

import threading

from ui.results import ResultStore


def test_identical_requests_compute_once():
    store = ResultStore(max_entries=4)
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


def test_a_lookup_waits_for_a_computation_under_way_but_not_forever():
    store = ResultStore(max_entries=4)
    started, release = threading.Event(), threading.Event()

    def make():
        started.set()
        release.wait(5)
        return "partial result"

    worker = threading.Thread(target=store.compute, args=("key", make))
    worker.start()
    started.wait(5)
    assert store.lookup("key", settle_seconds=0.05) is None  # still computing: gives up
    threading.Timer(0.1, release.set).start()
    assert store.lookup("key", settle_seconds=5) == "partial result"  # waited for it
    worker.join()
    store.forget("key")
    assert store.lookup("key") is None
