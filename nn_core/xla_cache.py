"""Compiled training loops kept on disk, so a network any earlier server compiled loads in a
fifth of a second instead of compiling for about one.

TensorFlow can save each XLA executable it compiles and load it in a later process
(`--tf_xla_persistent_cache_directory`). Its key is the traced function's signature and HLO,
both of which carry names TensorFlow numbers from a process-wide counter (ops.uid): a function
traced after a different history gets other names, and the entry is never found. So our
training loops are traced under names of their own (DeterministicNames): numbers drawn from a
digest of what the loop is (network, optimizer, watch mode, argument shapes), the same in
every process. (The names inside must not count either: nn_core.networks names each
optimizer by its choice, not "sgd_3".) The HLO's fingerprint stays part of the key, and
TensorFlow compares the whole HLO when it loads, so a loaded executable is always the one this
trace would compile; a name that matched a different loop would only miss.

Set NN_EXPLORER_XLA_CACHE to another directory, or to "off" to compile everything afresh.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import platform
import shutil
import threading
from importlib import metadata
from pathlib import Path

OFF = "off"
_FLAG = "--tf_xla_persistent_cache_directory="
MAX_BYTES = 1 << 30  # the folder's most (the helper's list takes about 85 MB)
# Our names' numbers start far above any the process counter reaches (it counts ops and
# functions: millions at most), so they never meet a name TensorFlow numbered itself.
FIRST_NUMBER = 10**15
NUMBERS_PER_TRACE = 10**5


def directory() -> Path | None:
    """Where compiled loops are kept: NN_EXPLORER_XLA_CACHE, or a folder in the user's cache
    named for this TensorFlow and this processor (an executable is machine code for them);
    None when switched off."""
    chosen = os.environ.get("NN_EXPLORER_XLA_CACHE", "")
    if chosen.lower() == OFF:
        return None
    if chosen:
        return Path(chosen)
    version = _tensorflow_version()
    machine = hashlib.sha256(_processor_description().encode()).hexdigest()[:12]
    return Path.home() / ".cache" / "nn_explorer" / f"xla-tf{version}-{machine}"


def _tensorflow_version() -> str:
    """The installed TensorFlow's version, without importing it (requirements.txt installs
    tensorflow-cpu, or tensorflow on macOS)."""
    for name in ("tensorflow-cpu", "tensorflow"):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "unknown"


def _processor_description() -> str:
    """The processor's model and instruction sets (Linux), else what platform knows."""
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        wanted = [line for line in lines if line.startswith(("model name", "flags"))]
        return "\n".join(dict.fromkeys(wanted)) or platform.processor()
    except OSError:
        return f"{platform.machine()} {platform.processor()}"


def use_disk() -> Path | None:
    """Ask TensorFlow to keep compiled loops in directory(). TensorFlow reads the setting at
    its first XLA compilation, so this runs when nn_core is imported; a folder that cannot be
    made leaves it off (everything still compiles, as before). The setting replaces one
    inherited from a parent process (a bench's server may be told "off")."""
    place = directory()
    try:
        if place is not None:
            place.mkdir(parents=True, exist_ok=True)
    except OSError:
        place = None
    flags = [
        flag for flag in os.environ.get("TF_XLA_FLAGS", "").split() if not flag.startswith(_FLAG)
    ]
    if place is not None:
        flags.append(f"{_FLAG}{place}")
    os.environ["TF_XLA_FLAGS"] = " ".join(flags)
    return place


def in_use() -> Path | None:
    """The directory TensorFlow was told to keep compiled loops in, if any."""
    for flag in os.environ.get("TF_XLA_FLAGS", "").split():
        if flag.startswith(_FLAG):
            return Path(flag[len(_FLAG) :])
    return None


def clear() -> bool:
    """Forget every kept loop (a damaged file makes TensorFlow fail the loop that reads it,
    and which file it was is not said): they compile again as they are needed. False when
    there is no such folder (the failure had another cause)."""
    place = in_use()
    if place is None or not place.is_dir():
        return False
    for entry in place.iterdir():
        if entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
    return True


def keep_within(max_bytes: int = MAX_BYTES) -> bool:
    """Empty the folder once it holds more than max_bytes: every new data shape (a student's
    own points, another sample count) compiles and keeps a loop of its own, and the folder
    must not grow for ever. The helper then fills it again (nn_core.precompile). True if it
    emptied it."""
    place = in_use()
    if place is None or not place.is_dir():
        return False
    if sum(entry.stat().st_size for entry in place.iterdir() if entry.is_file()) > max_bytes:
        return clear()
    return False


# ------------------------------------------------------------------ names of our own

_local = threading.local()
_traces_started: dict[str, int] = {}  # digest -> traces begun under it in this process
_traces_lock = threading.Lock()


def _install() -> None:
    """Route TensorFlow's name counter through this module: a thread tracing one of our
    loops draws our numbers, every other caller TensorFlow's own."""
    from tensorflow.python.framework import ops

    if getattr(ops.uid, "nn_explorer", False):
        return
    process_counter = ops.uid

    def uid() -> int:
        numbers = getattr(_local, "numbers", None)
        return numbers() if numbers is not None else process_counter()

    uid.nn_explorer = True
    ops.uid = uid


class DeterministicNames:
    """Calls `function` (a tf.function), and if the call traces it, traces it under numbers
    drawn from `what` and the arguments' shapes: the same loop gets the same names, and so
    the same disk entry, in every process. A second trace of the same loop in one process
    (a network made again after the pool dropped it) gets numbers of its own, so two
    functions never share a name."""

    def __init__(self, function, what: str):
        _install()
        self.function = function
        self.what = what

    def __call__(self, *arguments):
        _local.numbers = self._numbers_for(arguments)
        try:
            return self.function(*arguments)
        finally:
            _local.numbers = None

    def _numbers_for(self, arguments):
        """A source of numbers that picks its start only when the trace asks for one (a call
        that does not trace costs nothing here)."""
        numbers = None

        def next_number() -> int:
            nonlocal numbers
            if numbers is None:
                numbers = itertools.count(self._first_number(arguments))
            return next(numbers)

        return next_number

    def _first_number(self, arguments) -> int:
        import tensorflow as tf

        shapes = [
            (str(value.dtype), tuple(value.shape)) if hasattr(value, "shape") else repr(value)
            for value in tf.nest.flatten(arguments)
        ]
        digest = hashlib.sha256(f"{self.what}|{shapes}".encode()).hexdigest()
        with _traces_lock:
            instance = _traces_started.get(digest, 0)
            _traces_started[digest] = instance + 1
        slot = int(digest[:12], 16) % (10**9)
        return FIRST_NUMBER + (slot * 1000 + instance % 1000) * NUMBERS_PER_TRACE
