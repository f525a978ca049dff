"""Compile the MLP page's trainings into the disk cache, in a process of its own.

    python -m nn_core.precompile

A server starts this once its own warm-up is done (ui.warmup), at the lowest priority. Each
loop compiled here is saved by TensorFlow (nn_core.xla_cache), so that a server meeting that
network for the first time loads it in a fifth of a second instead of compiling it for about
one, and holds in memory only the networks its students use. TensorFlow keeps every
executable it compiles for the life of its process, so this process starts itself afresh
every BATCH trainings; a finished list leaves a mark, and later servers skip the work.
"""

from __future__ import annotations

import hashlib
import os
import sys
from dataclasses import replace
from pathlib import Path

BATCH = 10  # trainings per process (its peak memory grows with each compiled loop)


def mark(place: Path, trainings) -> Path:
    """The file that says this list was compiled into `place`: named by the list and by the
    engine's code, so that a new list, or loops traced differently after an update of the
    app, are compiled again."""
    digest = hashlib.sha256(repr(trainings).encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(source.read_bytes())
    return place / f"precompiled-{digest.hexdigest()[:16]}.done"


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
    import subprocess

    from nn_core import xla_cache

    xla_cache.keep_within()
    if needed():
        subprocess.Popen(
            [sys.executable, "-m", "nn_core.precompile"],
            cwd=Path(__file__).resolve().parent.parent,  # (a server may run from elsewhere)
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: os.nice(19),
            start_new_session=True,  # it outlives a server stopped meanwhile, and finishes
        )


def compile_trainings(trainings, first: int, count: int) -> None:
    """Train each of trainings[first:first + count] for one epoch: compiling is the work
    (an epoch count is not compiled in), and TensorFlow saves each compiled loop."""
    from nn_core import chapter, training

    split = chapter.moons_split()
    for spec, config in trainings[first : first + count]:
        labels = [_labels_for(spec, y) for y in (split.y_train, split.y_validation)]
        task_split = replace(split, y_train=labels[0], y_validation=labels[1])
        training.train_split(spec, replace(config, epochs=1), task_split)


def _labels_for(spec, labels):
    """The moons labels as this network's task reads them (their values do not matter here,
    only their type): targets for a regression, classes 0..n-1 for n outputs."""
    if spec.regression:
        return labels.astype("float32")
    return labels % max(2, spec.output_units)


def main() -> None:
    import fcntl

    from nn_core import chapter, xla_cache

    place = xla_cache.in_use()
    if place is None:
        return
    trainings = chapter.moons_trainings_to_keep()
    done = mark(place, trainings)
    first = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    with open(place / "precompile.lock", "w") as lock:
        try:  # one helper at a time (two servers started together)
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        if done.exists():
            return
        compile_trainings(trainings, first, BATCH)
        following = first + BATCH
        if following >= len(trainings):
            done.touch()
            return
    # A fresh process for the next part: this one's compiled loops leave with it.
    os.execv(sys.executable, [sys.executable, "-m", "nn_core.precompile", str(following)])


if __name__ == "__main__":
    main()
