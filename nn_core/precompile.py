"""Compile the MLP page's trainings into the disk cache, in a process of its own.

    python -m nn_core.precompile

A server starts this once its own warm-up is done (ui.warmup), at the lowest priority. Each
loop compiled here is saved by TensorFlow (nn_core.xla_cache), so that a server meeting that
network for the first time loads it in a fifth of a second instead of compiling it for about
one, and holds in memory only the networks its students use. TensorFlow keeps every
executable it compiles for the life of its process, so this process starts itself afresh
every BATCH trainings; a finished list leaves a mark, and later servers skip the work.

Its list is the chapter's setting and everything one change from it. A student soon leaves
that neighbourhood, and each change from there compiled a new loop (about a second longer to
wait); so after a student's training a server also leaves a wish (see wish): the trainings one
change from that one (chapter.moons_trainings_near), which the helper compiles first.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import sys
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

BATCH = 10  # trainings per process (its peak memory grows with each compiled loop)
WISHES = "wishes"  # the cache folder's subfolder of wishes (wish), one file each
LOCK = "precompile.lock"  # the cache folder's file whose lock a running helper holds
WISH_SECONDS = 600  # a wish older than this is dropped: its student has moved on


def mark(place: Path, trainings) -> Path:
    """The file that says this list was compiled into `place`: named by the list and by the
    engine's code, so that a new list, or loops traced differently after an update of the
    app, are compiled again."""
    return place / f"precompiled-{_digest(trainings)}.done"


def _digest(what) -> str:
    """A name for `what` and the engine's code (loops are traced anew after an app update)."""
    return hashlib.sha256(repr(what).encode() + _engine_code()).hexdigest()[:16]


@functools.cache
def _engine_code() -> bytes:
    return b"".join(source.read_bytes() for source in sorted(Path(__file__).parent.glob("*.py")))


def _compiled_mark(place: Path, spec, config, counts: tuple[int, int]) -> Path:
    """The file that says this training's loop, for these sample counts (its shapes), is in
    `place`: a wish skips what the list or an earlier wish compiled."""
    from nn_core import chapter

    return place / f"compiled-{_digest((chapter.compiled_training(spec, config), counts))}"


def _near_mark(place: Path, spec, config, counts: tuple[int, int]) -> Path:
    """The file that says the trainings one change from this one are in `place`."""
    return _compiled_mark(place, spec, config, counts).with_suffix(".near")


def wish(spec, config, training_count: int, validation_count: int) -> None:
    """Ask the helper to compile, into the disk cache, the trainings one change from this one
    (chapter.moons_trainings_near) at these sample counts, and start it unless it runs. Cheap
    (a small file) and quiet: with the disk cache off, a wish already made, or a folder it
    cannot write to, it does nothing (the student's next change then compiles, as before)."""
    from nn_core import xla_cache

    place = xla_cache.in_use()
    if os.name != "posix" or place is None:
        return
    counts = (int(training_count), int(validation_count))
    path = place / WISHES / f"{_digest((spec, config, counts))}.json"
    if path.exists() or _near_mark(place, spec, config, counts).exists():
        return
    wanted = {"spec": asdict(spec), "config": asdict(config), "counts": counts}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        written = path.with_suffix(".part")  # (renamed whole: the helper never reads half)
        written.write_text(json.dumps(wanted))
        written.replace(path)
        if not _running(place):
            _start()
    except OSError:
        pass


def needed() -> bool:
    """Whether a server should start the helper: on Linux or macOS (it lowers its priority
    and locks a file as they do), with the disk cache on and lacking the list."""
    from nn_core import chapter, xla_cache

    place = xla_cache.in_use()
    if os.name != "posix" or place is None:
        return False
    return not mark(place, chapter.moons_trainings_to_keep()).exists()


def start_in_background() -> None:
    """Start this module's work in a separate, lowest-priority process, if it is needed
    (first keeping the folder within its size)."""
    from nn_core import xla_cache

    xla_cache.keep_within()
    if needed():
        _start()


def _start():
    """Start the helper's process (returned) at the lowest priority (_lowest_priority)."""
    import subprocess

    return subprocess.Popen(
        [sys.executable, "-m", "nn_core.precompile"],
        cwd=Path(__file__).resolve().parent.parent,  # (a server may run from elsewhere)
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_lowest_priority,
        start_new_session=True,  # it outlives a server stopped meanwhile, and finishes
    )


def _lowest_priority() -> None:
    """The helper's priority, set in its process before it starts: it runs only on a core
    that nothing else wants (SCHED_IDLE, where there is one; else nice 19). Linux also
    weighs sessions against each other before it looks at their processes' nice values
    (autogroup, on by default), and the helper has a session of its own: the group's nice
    goes to 19 too. With only nice 19, it took a share of the machine from the server's
    students: while it ran, a new network's change took 1.8-3.0 s instead of 1.4-1.7 s
    (bench/playground.py's new_network_compiled)."""
    os.nice(19)
    try:
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    except (AttributeError, OSError):  # (not Linux)
        pass
    try:
        with open("/proc/self/autogroup", "w") as group:  # (absent without autogroup)
            group.write("19")
    except OSError:
        pass


def _running(place: Path) -> bool:
    """Whether a helper holds the folder's lock (starting another would cost it an import of
    TensorFlow to find that out)."""
    with open(place / LOCK, "a") as lock:
        return not _took(lock)


def _took(lock) -> bool:
    """Take the folder's lock (one helper at a time); False if a helper holds it."""
    import fcntl

    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def compile_trainings(place: Path, trainings, counts=None) -> None:
    """Train each training for one epoch on samples of these counts (the chapter's split's
    by default): compiling is the work (an epoch count is not compiled in), and TensorFlow
    saves each compiled loop. Each leaves its mark (_compiled_mark), even one that failed:
    a helper must not stop at it, nor try it again for every wish; a marked one is skipped.
    (Any samples of these counts will do, and labels of the task's type: only their shapes
    are compiled in.)"""
    from nn_core import chapter, training

    split = chapter.moons_split()
    counts = counts or (len(split.y_train), len(split.y_validation))
    x_train, x_validation = (
        np.resize(x, (count, x.shape[1]))
        for x, count in zip((split.x_train, split.x_validation), counts, strict=True)
    )
    for spec, config in trainings:
        done = _compiled_mark(place, spec, config, counts)
        if done.exists():  # (a wish's, for a training of the list, or the other way round)
            continue
        labels = [_labels_for(spec, count) for count in counts]
        samples = replace(
            split,
            x_train=x_train,
            y_train=labels[0],
            x_validation=x_validation,
            y_validation=labels[1],
        )
        try:
            training.train_split(spec, replace(config, epochs=1), samples)
        except Exception:  # noqa: BLE001 (the server meets the same error, and says it)
            pass
        done.touch()


def compile_wishes(place: Path, budget: int) -> int:
    """Compile what the wishes want, the newest first, up to `budget` trainings; a wish done
    (or too old, or unreadable) is removed. Returns how many trainings it compiled."""
    from nn_core import chapter

    compiled = 0
    for path in sorted(_wishes(place), key=_age):
        wanted = _read_wish(path)
        if wanted is None:
            path.unlink(missing_ok=True)
            continue
        spec, config, counts = wanted
        near = [
            training
            for training in chapter.moons_trainings_near(spec, config)
            if not _compiled_mark(place, *training, counts).exists()
        ]
        now = near[: budget - compiled]
        compile_trainings(place, now, counts)
        compiled += len(now)
        if len(now) < len(near):  # (the next process goes on with it)
            return compiled
        _near_mark(place, spec, config, counts).touch()
        path.unlink(missing_ok=True)
    return compiled


def _wishes(place: Path) -> list[Path]:
    return list((place / WISHES).glob("*.json"))


def _age(path: Path) -> float:
    try:
        return time.time() - path.stat().st_mtime
    except OSError:  # (removed meanwhile)
        return float("inf")


def _read_wish(path: Path):
    """(spec, config, counts) of a wish file; None if it is unreadable or too old."""
    from nn_core.models import ModelSpec
    from nn_core.training import TrainConfig

    if _age(path) > WISH_SECONDS:
        return None
    try:
        wanted = json.loads(path.read_text())
        counts = tuple(int(count) for count in wanted["counts"])
        return ModelSpec(**wanted["spec"]), TrainConfig(**wanted["config"]), counts
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _labels_for(spec, count: int):
    """`count` labels of this network's task (their values do not matter here, only their
    type): targets for a regression, two classes otherwise."""
    labels = np.arange(count) % 2
    return labels.astype("float32") if spec.regression else labels


def main() -> None:
    from nn_core import chapter, xla_cache

    place = xla_cache.in_use()
    if place is None:
        return
    trainings = chapter.moons_trainings_to_keep()
    done = mark(place, trainings)
    first = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with open(place / LOCK, "a") as lock:
        if not _took(lock):  # (two servers started together)
            return
        # (wishes add loops while a class works: every new part looks at the folder's size)
        if xla_cache.keep_within():
            first = 0  # (the list's loops went too)
        budget = BATCH - compile_wishes(place, BATCH)  # what students use now comes first
        for spec, config in trainings[first : first + budget]:
            if done.exists() or _wishes(place):  # (a wish made meanwhile goes first)
                break
            compile_trainings(place, [(spec, config)])
            first += 1
        if first >= len(trainings):
            done.touch()
    # Looked at once the lock is free: a wish made while this process held it (its server
    # saw a helper running, and started none) is found here.
    if _wishes(place) or not done.exists():
        # A fresh process for the next part: this one's compiled loops leave with it.
        os.execv(sys.executable, [sys.executable, "-m", "nn_core.precompile", str(first)])


if __name__ == "__main__":
    main()
