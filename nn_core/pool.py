"""A process-wide pool of compiled networks, lent to one run at a time.

Why a pool: building, compiling and tracing a fresh model on every Streamlit rerun leaks a few
MB each time and costs a second of tracing. A network is checked out by one run at a time
(never shared between concurrent sessions), reset by its user, and returned afterwards, so its
traced functions are reused by the next run of that spec.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from contextlib import contextmanager, nullcontext

from nn_core.models import ModelSpec
from nn_core.networks import Network

MAX_IDLE_NETWORKS = 24  # pooled networks kept across all specs; older idle ones are dropped

_idle_networks: OrderedDict[ModelSpec, list[Network]] = OrderedDict()
_pool_lock = threading.Lock()
# At most this many networks train or predict at once. A classroom's 30 simultaneous requests
# then queue for a core instead of each building and XLA-compiling a network of its own (half
# a second of CPU each): queued runs reuse the pooled networks and take ~0.1 s apiece.
_busy_slots = threading.BoundedSemaphore(max(2, os.cpu_count() or 2))
# Long trainings (estimated at more than a few seconds) may hold all slots but one: however
# many long ones are running or queued, a short one (the chapter's settings) always finds a
# free slot at once.
_long_slots = threading.BoundedSemaphore(max(1, (os.cpu_count() or 2) - 1))


@contextmanager
def checkout(spec: ModelSpec, long: bool = False):
    """Lend a Network of this spec to one caller at a time; it returns to the pool after. A
    long training first waits for one of the long slots."""
    with _long_slots if long else nullcontext(), _busy_slots, _lend(spec) as network:
        yield network


@contextmanager
def _lend(spec: ModelSpec):
    with _pool_lock:
        idle = _idle_networks.get(spec)
        network = idle.pop() if idle else None
    if network is None:
        network = Network(spec)
    try:
        yield network
    finally:
        with _pool_lock:
            _idle_networks.setdefault(spec, []).append(network)
            _idle_networks.move_to_end(spec)
            _trim_pool()


def _trim_pool():
    """Drop the least recently used idle networks beyond the cap so memory stays bounded."""
    while sum(len(networks) for networks in _idle_networks.values()) > MAX_IDLE_NETWORKS:
        oldest_spec, networks = next(iter(_idle_networks.items()))
        networks.pop(0)
        if not networks:
            del _idle_networks[oldest_spec]
