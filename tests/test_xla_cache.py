"""Compiled training loops kept on disk (nn_core.xla_cache) and the helper that fills it
(nn_core.precompile): a later process loads what an earlier one compiled, with the same
result; a damaged file costs a compilation, never a training."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from nn_core import chapter, models
from nn_core.networks import OPTIMIZERS
from nn_core.xla_cache import DeterministicNames

ROOT = Path(__file__).resolve().parent.parent

# Trains the sigmoid network on x1·x2 (a loop the suite's other tests do not compile) and
# prints its metrics and weights. SHIFT first traces other functions, makes Keras layers and
# trains other networks, so that TensorFlow's, Keras' and XLA's counters of what the process
# made stand elsewhere than in the first process.
TRAIN = """
import json, os, sys
from dataclasses import replace
import nn_core, tensorflow as tf, keras
from nn_core import chapter, training
for index in range(int(os.environ["SHIFT"])):
    tf.function(lambda x: x * 3.0).get_concrete_function(tf.constant(1.0))
    keras.layers.Dense(3)
    if index < 2:
        other = replace(chapter.MOONS_NETWORK, hidden_units=(index + 1,) * (index + 1))
        training.train_split(other, replace(chapter.MOONS_TRAINING, epochs=2),
                             chapter.moons_split())
spec = replace(chapter.MOONS_NETWORK, activation="sigmoid", hidden_units=(5, 3),
               input_size=3, input_features=("x1", "x2", "x1_x2"))
config = replace(chapter.moons_training_for(spec), epochs=300)
result = training.train_split(spec, config, chapter.moons_split())
print(json.dumps({"metrics": result.metrics,
                  "weights": [w.tolist() for w in result.weights]}))
"""


def run_python(code: str, cache: Path | str, **environment) -> str:
    """The last line `code` prints, run in a new process that keeps loops in `cache` (or
    "off"), with TensorFlow's log as a user's server has it (the suite quiets it)."""
    inherited = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**inherited, "NN_EXPLORER_XLA_CACHE": str(cache), **environment},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    # A loop loaded from disk must not fill the terminal with TensorFlow's false alarms.
    assert "SIGILL" not in done.stderr and "Error parsing" not in done.stderr
    return done.stdout.strip().splitlines()[-1]


def run_training(cache: Path, shift: int) -> dict:
    return json.loads(run_python(TRAIN, cache, SHIFT=str(shift)))


def kept_files(cache: Path) -> dict[str, int]:
    return {path.name: path.stat().st_size for path in cache.glob("*.pb")}


def test_a_loop_compiled_by_one_process_is_loaded_by_another_and_a_damaged_file_recompiles(
    tmp_path,
):
    first = run_training(tmp_path, shift=0)
    kept = kept_files(tmp_path)
    assert kept, "the first process saved its compiled loop"
    second = run_training(tmp_path, shift=7)
    # The second process saved its two other networks' loops; had it compiled the loop of
    # the first one again, TensorFlow would have saved a third file.
    assert len(set(kept_files(tmp_path)) - set(kept)) == 2
    assert second == first
    # A damaged file (as a failing disk would leave it) costs a compilation, not a training.
    for path in tmp_path.glob("*.pb"):
        path.write_bytes(path.read_bytes()[:1000])
    assert run_training(tmp_path, shift=0) == first
    sizes = kept_files(tmp_path)
    assert sizes and all(size > 1000 for size in sizes.values()), "saved afresh"


def test_two_traces_of_one_loop_in_a_process_get_numbers_of_their_own():
    """A network made again after the pool dropped it traces its loops again: the same
    names twice in one process would clash in TensorFlow's function library."""
    numbers = DeterministicNames(lambda: None, "a loop")
    first = numbers._first_number(())
    assert numbers._first_number(()) != first
    assert DeterministicNames(lambda: None, "another loop")._first_number(()) != first


def test_the_helper_s_list_holds_every_network_the_mlp_page_offers_at_the_chapter_s_size():
    kept = {chapter.compiled_training(*training) for training in chapter.moons_trainings_to_keep()}
    for inputs in (
        chapter.MOONS_NETWORK,
        replace(chapter.MOONS_NETWORK, input_size=2, input_features=("x1", "x1_x2")),
    ):
        for activation in models.ACTIVATIONS:
            for depth in range(chapter.MOONS_MAX_LAYERS + 1):
                for units in chapter.MOONS_UNIT_CHOICES:
                    spec = replace(inputs, activation=activation, hidden_units=(units,) * depth)
                    training = (spec, chapter.moons_training_for(spec))
                    assert chapter.compiled_training(*training) in kept, spec
    assert len(kept) == len(chapter.moons_trainings_to_keep()), "one training per loop"


def test_the_helper_compiles_what_a_single_change_of_the_chapter_s_setting_needs_first():
    """A student changes one thing at a time: those loops reach the disk first."""
    trainings = chapter.moons_trainings_to_keep()
    changes = [chapter.changes_from_chapter(*training) for training in trainings]
    assert changes == sorted(changes) and changes[:2] == [0, 1]
    first = trainings[: changes.count(0) + changes.count(1)]
    assert len(first) < 30  # about a minute of the helper's work
    chapters_form = models.compiled_form(chapter.MOONS_NETWORK)
    for activation in models.ACTIVATIONS:
        wanted = replace(chapters_form, activation=activation)
        assert any(models.compiled_form(spec) == wanted for spec, _ in first), activation
    assert any(spec.input_features for spec, _ in first)
    assert any(config.optimizer == "adam" for _, config in first)


# The helper's main() on the first trainings of its list only (the whole list is minutes of
# CPU): it trains them, leaves its mark, and a second start does nothing.
HELPER = """
import sys
from nn_core import chapter, precompile
trainings = chapter.moons_trainings_to_keep()
few = [trainings[0], trainings[-1]] + [t for t in trainings if t[0].regression][:1]
chapter.moons_trainings_to_keep = lambda: few
precompile.main()
print(precompile.needed())
"""


def test_the_helper_compiles_its_trainings_to_disk_and_marks_the_list_done(tmp_path):
    assert run_python(HELPER, tmp_path) == "False", "not needed once done"
    assert len(kept_files(tmp_path)) == 3
    assert len(list(tmp_path.glob("precompiled-*.done"))) == 1


@pytest.mark.parametrize("setting", ["off", "OFF"])
def test_the_disk_cache_can_be_switched_off(monkeypatch, setting):
    from nn_core import xla_cache

    monkeypatch.setenv("NN_EXPLORER_XLA_CACHE", setting)
    assert xla_cache.directory() is None


def test_a_folder_grown_past_its_size_is_emptied(tmp_path, monkeypatch):
    from nn_core import xla_cache

    monkeypatch.setenv("TF_XLA_FLAGS", f"--tf_xla_persistent_cache_directory={tmp_path}")
    (tmp_path / "a.pb").write_bytes(b"x" * 600)
    xla_cache.keep_within(max_bytes=1000)
    assert (tmp_path / "a.pb").exists(), "within its size: kept"
    (tmp_path / "b.pb").write_bytes(b"x" * 600)
    xla_cache.keep_within(max_bytes=1000)
    assert not list(tmp_path.iterdir())


def test_the_trainings_near_a_setting_are_each_one_change_and_one_loop_away():
    """What the helper compiles while a student looks at a result: every kind of change the
    MLP page offers, each one step from the student's setting, each a loop of its own."""
    spec = replace(chapter.MOONS_NETWORK, activation="relu", hidden_units=(8, 8))
    config = replace(chapter.moons_training_for(spec), optimizer="adam")
    near = chapter.moons_trainings_near(spec, config)
    loops = [chapter.compiled_training(*training) for training in near]
    assert len(set(loops)) == len(loops), "one training per loop"
    assert chapter.compiled_training(spec, config) not in loops
    assert all(chapter.changes_between((spec, config), training) == 1 for training in near)
    changed = {
        "activation": {other.activation for other, _ in near} == set(models.ACTIVATIONS),
        "units": {models.padded_width(other.hidden_units) for other, _ in near} >= {8, 16, 128},
        "layers": {len(other.hidden_units) for other, _ in near} == {1, 2, 3},
        "features": any(other.input_features for other, _ in near),
        "dropout": any(other.dropout_rate for other, _ in near),
        "optimizer": {other.optimizer for _, other in near} == set(OPTIMIZERS),
        "batch size": {other.batch_size for _, other in near} >= {None, 8, 128},
        "early stopping": any(other.patience for _, other in near),
    }
    assert all(changed.values()), changed
    # The nearest width first: a slider moves a step at a time.
    widths = [models.padded_width(other.hidden_units) for other, _ in near]
    assert widths.index(16) < widths.index(128)


# A student's training far from the chapter's setting, at sample counts of their own: the
# server's wish, then the helper (its list cut to nothing, its trainings near to two).
WISH = """
import sys
from dataclasses import replace
from nn_core import chapter, precompile, xla_cache
spec = replace(chapter.MOONS_NETWORK, activation="relu", hidden_units=(8, 8))
config = replace(chapter.moons_training_for(spec), optimizer="adam")
near = chapter.moons_trainings_near(spec, config)[:2]
chapter.moons_trainings_near = lambda spec, config: near
chapter.moons_trainings_to_keep = lambda: []
precompile._start = lambda: None  # (main runs here, below)
precompile.wish(spec, config, 101, 43)
precompile.wish(spec, config, 101, 43)  # (the same wish twice: one file)
wishes = xla_cache.in_use() / precompile.WISHES
(wishes / "unreadable.json").write_text("{")
precompile.main()
print(len(list(wishes.glob("*.json"))))
"""

# A server later meeting the near training with those counts.
NEAR = """
from dataclasses import replace
import numpy as np
from nn_core import chapter, training
spec = replace(chapter.MOONS_NETWORK, activation="sigmoid", hidden_units=(8, 8))
config = replace(chapter.moons_training_for(spec), optimizer="adam", epochs=20)
split = chapter.moons_split()
x, y = np.resize(split.x_train, (144, 2)), np.arange(144) % 2
training.train(spec, config, x[:101], y[:101], x[101:], y[101:])
print("trained")
"""


def test_a_wish_has_the_helper_compile_the_trainings_near_a_student_s_to_disk(tmp_path):
    assert run_python(WISH, tmp_path) == "0", "every wish done (or dropped) and removed"
    assert len(kept_files(tmp_path)) == 2
    assert len(list(tmp_path.glob("compiled-*.near"))) == 1
    near = chapter.moons_trainings_near(
        replace(chapter.MOONS_NETWORK, activation="relu", hidden_units=(8, 8)),
        replace(chapter.moons_training_for(chapter.MOONS_NETWORK), optimizer="adam"),
    )
    assert near[0][0].activation == "tanh" and near[1][0].activation == "sigmoid"
    kept = kept_files(tmp_path)
    assert run_python(NEAR, tmp_path) == "trained"
    assert kept_files(tmp_path) == kept, "loaded from disk: nothing compiled and saved anew"


def test_a_training_on_the_mlp_page_leaves_its_wish_unless_background_work_is_off(monkeypatch):
    """ui.warmup.compile_near, which the MLP page calls after each training: the wish names
    the student's setting and sample counts (in a thread: the page is drawn meanwhile)."""
    import threading

    from nn_core import precompile
    from ui import warmup

    wished = []
    monkeypatch.setattr(precompile, "wish", lambda *wish: wished.append(wish))
    split = chapter.moons_split()
    spec, config = chapter.MOONS_NETWORK, chapter.moons_training_for(chapter.MOONS_NETWORK)
    monkeypatch.setenv("NN_EXPLORER_WARM_UP", "0")  # as the test suite runs its servers
    warmup.compile_near(spec, config, split)
    monkeypatch.delenv("NN_EXPLORER_WARM_UP")
    warmup.compile_near(spec, config, split)
    for thread in threading.enumerate():
        if thread.name == "wish":
            thread.join(30)
    assert wished == [(spec, config, 140, 60)]


@pytest.mark.skipif(sys.platform != "linux", reason="priorities are read from Linux's /proc")
def test_the_helper_runs_only_on_a_core_nothing_else_wants(tmp_path, monkeypatch):
    """The helper has a session of its own, which Linux weighs against the server's before
    it looks at nice values (autogroup): its session's nice, not only its own, is the lowest,
    and it runs as SCHED_IDLE."""
    from nn_core import precompile

    monkeypatch.setenv("NN_EXPLORER_XLA_CACHE", str(tmp_path))
    helper = precompile._start()
    try:
        assert os.getpriority(os.PRIO_PROCESS, helper.pid) == 19
        assert os.sched_getscheduler(helper.pid) == os.SCHED_IDLE
        assert os.getsid(helper.pid) != os.getsid(0)
        group = Path(f"/proc/{helper.pid}/autogroup")
        if group.exists():  # (a kernel without autogroup has no such file)
            assert group.read_text().split()[-1] == "19"
    finally:
        helper.kill()
        helper.wait()
