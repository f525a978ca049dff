"""Memory in bytes: what a stored result weighs, and how much the server may spend on them.

Streamlit Community Cloud stops an app at about 2.7 GB; counting results (256 of them) says
nothing about bytes, since a result can be a 200x200 grid or an MNIST model with its test
predictions.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd

MIB = 1024 * 1024
MIN_BUDGET, MAX_BUDGET = 64 * MIB, 1024 * MIB
BUDGET_SHARE = 0.25  # of the server's memory: TensorFlow itself takes ~1 GB of the rest


def size_in_bytes(value, seen: set[int] | None = None) -> int:
    """Bytes held by a result: arrays, data frames, sparse matrices, strings, and whatever
    dataclasses, tuples, lists and dicts hold of them (each object counted once)."""
    seen = set() if seen is None else seen
    if id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, np.ndarray):
        if value.dtype == object:  # e.g. IMDB's reviews: an array of word-index lists
            return value.nbytes + sum(size_in_bytes(item, seen) for item in value.ravel())
        return value.nbytes
    if isinstance(value, pd.DataFrame | pd.Series):
        return int(np.sum(value.memory_usage(deep=True)))
    if hasattr(value, "indptr") and hasattr(value, "data"):  # a scipy sparse matrix
        return sum(
            size_in_bytes(getattr(value, part), seen) for part in ("data", "indices", "indptr")
        )
    if isinstance(value, str | bytes):
        return sys.getsizeof(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        parts = [getattr(value, field.name) for field in dataclasses.fields(value)]
        return sum(size_in_bytes(part, seen) for part in parts)
    if isinstance(value, dict):
        return sum(size_in_bytes(item, seen) for pair in value.items() for item in pair)
    if isinstance(value, list) and value and isinstance(value[0], int | float):
        return sys.getsizeof(value) + len(value) * sys.getsizeof(value[0])  # numbers: ~28 B each
    if isinstance(value, list | tuple | set | frozenset):
        return sum(size_in_bytes(item, seen) for item in value)
    return sys.getsizeof(value)


def server_memory_bytes() -> int:
    """The memory this process may use: its container's limit (cgroup v2 or v1) if it has
    one, else the machine's."""
    for limit_file in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(limit_file).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # "max" or a huge number: no limit
            return int(text)
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def result_budget(memory_bytes: int | None = None) -> int:
    """Bytes for stored results and loaded datasets: a quarter of the server's memory, at
    least 64 MiB and at most 1 GiB (on Community Cloud's 2.7 GB: about 690 MB)."""
    memory = server_memory_bytes() if memory_bytes is None else memory_bytes
    return int(np.clip(memory * BUDGET_SHARE, MIN_BUDGET, MAX_BUDGET))


M_ARENA_MAX = -8  # glibc's mallopt parameter: how many C heaps threads may share


def limit_heaps(count: int = 2) -> None:
    """Let the threads created from now on share `count` C heaps. By default glibc gives up to
    8 per core, and each keeps memory its thread freed: a class of 30 (a script thread each
    per run) left the server ~200 MiB higher than with two (bench/classroom.py)."""
    try:
        ctypes.CDLL("libc.so.6").mallopt(M_ARENA_MAX, count)
    except (OSError, AttributeError):  # not glibc: its own allocator decides
        pass


def freeze_long_lived() -> None:
    """Once a server has imported its engine (TensorFlow, Keras, Altair) and compiled the
    chapter's network: those objects live as long as it does, so Python's full collections
    stop walking them (gc.freeze), which made each such collection a stall of 0.2 s or more.
    (An object frozen here and dropped later is never collected: call it before making
    objects that are meant to go, such as pooled networks beyond the chapter's.)"""
    gc.collect()
    gc.freeze()


def release_free_memory() -> None:
    """Collect garbage and hand the C heap's free pages back to the system. Streamlit runs
    each session's page in threads of its own, and glibc gives threads heaps of their own
    that keep freed memory: without this, a server stayed ~900 MB above its warmed level
    after a class of 30 had left.
    Only the young generations are collected: a full collection walks every object of a
    warmed server (TensorFlow's, the stored results' and charts') and held the interpreter
    for 0.2-0.6 s, every page of every session frozen meanwhile (a lesson's reveal took that
    much longer when it met one). Older garbage goes in Python's own full collections."""
    gc.collect(1)
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (macOS, musl): nothing to hand back
        pass
