"""The MLP page's Playground features (issue 14), measured; the seed's moons cell in the same run.

Run from the repository root: python bench/playground.py

- Snapshots: the chapter's setting (200 moons, 5,000 full-batch epochs) and a mini-batch one
  (batch 32, 2,000 epochs), each trained warm 7 times with and without the replay's 30
  snapshots taken inside the compiled loop; the median ratio is the overhead.
- The seed's cell (Keras fit of the same network) beside our training of it.
- The diagram of a 4 x 8 network: time to build and bytes of its spec.
- The helper that compiles the MLP page's trainings into the disk cache
  (nn_core.precompile), run first into a new, empty folder (as on a new machine or after an
  app update), to its end, as a server starts it after its warm-up: its seconds until the
  loops one change away from the chapter's setting are on disk (it compiles those first),
  and until it is done.
- In Chromium against a real server, after the warm-up: new settings at the chapter's size,
  each until its boundary is drawn and until the whole page is (the script's run has ended),
  both seen from inside the page (new_setting), from the click on the new value: relu for
  tanh, then the feature x1·x2 on (networks the warm-up compiled:
  nn_core.chapter.MOONS_WARM_NETWORKS), then sigmoid for relu and linear for sigmoid
  (networks this server never compiled, which it loads from the disk cache); between them,
  on the relu network, a scrub of the replay slider until the boundary has changed, and
  playback frames per second, first play and again.
- The same sigmoid setting on a server without the disk cache (NN_EXPLORER_XLA_CACHE=off):
  a network compiled from nothing, as on a machine whose helper has not run yet.
- A change one step from a setting far from the chapter's, after the helper compiled the
  trainings near it while the student looked, and without the disk cache (near_figures).
- That change without the disk cache again, on fresh servers, alternately with Streamlit's
  fade of the previous results put back (ui/assets/base.css turns it into one step): whole
  page seconds and the CPU seconds Chromium took meanwhile (fade_figures).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from _common import ROOT, report, run_seed_code, use_shared_datasets, wait_until_quiet

sys.path.insert(0, str(ROOT / "tests"))  # the browser helpers the tests use
from browser_helpers import wait_idle  # noqa: E402

SEED_CELL = """
import json, time
from sklearn.datasets import make_moons
from tensorflow.keras.models import Sequential
from tensorflow.keras.layers import Dense, Input
from tensorflow.keras.optimizers import SGD

x_train, y_train = make_moons(200, noise=0.40, random_state=0)
started = time.perf_counter()
model = Sequential([Input((2,)), Dense(50, activation="tanh"), Dense(1, activation="sigmoid")])
model.compile(optimizer=SGD(learning_rate=1.0), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, verbose=0, epochs=5000, batch_size=x_train.shape[0])
print(json.dumps({"fit_s": time.perf_counter() - started}))
"""


def snapshot_overhead(config, repeats: int = 7) -> tuple[float, float, float]:
    """(median seconds without snapshots, with 30, ratio) for the chapter's network."""
    from nn_core import chapter, training

    split = chapter.moons_split()
    plain, replayed = replace(config, replay_frames=0), replace(config, replay_frames=30)
    for warm in (plain, replayed):  # compile both first
        training.train_split(chapter.MOONS_NETWORK, warm, split)
    times = {0: [], 30: []}
    for _ in range(repeats):  # alternated, so a busy moment hits both alike
        for frames, setting in ((0, plain), (30, replayed)):
            started = time.perf_counter()
            training.train_split(chapter.MOONS_NETWORK, setting, split)
            times[frames].append(time.perf_counter() - started)
    without, with_snapshots = statistics.median(times[0]), statistics.median(times[30])
    return without, with_snapshots, with_snapshots / without


def diagram_figures() -> tuple[float, int]:
    from nn_core import chapter, diagram, training
    from ui.layout import vega_lite_spec

    split = chapter.moons_split()
    spec = replace(chapter.MOONS_NETWORK, hidden_units=(8, 8, 8, 8))
    result = training.train_split(spec, replace(chapter.MOONS_TRAINING, epochs=500), split)
    grid = training.plane_grid(split.x_train, diagram.THUMBNAIL_GRID)
    vega_lite_spec(diagram.network_diagram(result, grid))  # traces the predictions once
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        drawn = vega_lite_spec(diagram.network_diagram(result, grid, selected="h2.3"))
        timings.append(time.perf_counter() - started)
    return statistics.median(timings), len(json.dumps(drawn, default=str))


# Watches a chart's canvas from inside the page: on each browser frame after something drew
# on it, a 48 x 48 copy and its checksum. (Polling toDataURL of the whole canvas from the
# bench every 10 ms took the page's main thread from the replay it measured: the first play
# then counted 1-5 frames a second. Copying the canvas on every frame, drawn or not, still
# took Chromium 0.09 of a core while a change's training wanted both: a student's browser
# does none of this.)
WATCH_CANVAS = """(title) => {
  if (!window.__drawHooked) {  // note on each canvas when anything draws on it
    window.__drawHooked = true;
    const prototype = CanvasRenderingContext2D.prototype;
    for (const name of ['clearRect', 'fillRect', 'drawImage', 'fill', 'stroke', 'fillText']) {
      const draw = prototype[name];
      prototype[name] = function (...parts) {
        this.canvas.__drawn = true;
        return draw.apply(this, parts);
      };
    }
  }
  window.__pictures = []; window.__watching = true;
  const watcher = (window.__watcher = (window.__watcher || 0) + 1);  // one loop at a time
  const small = document.createElement('canvas'); small.width = 48; small.height = 48;
  const context = small.getContext('2d', {willReadFrequently: true});
  let first = true;
  const look = () => {
    const canvas = document.querySelector(
      `[data-testid='stVegaLiteChart'][aria-label='${title}'] canvas`);
    if (canvas && (first || canvas.__drawn)) {
      first = false; canvas.__drawn = false;
      context.clearRect(0, 0, 48, 48);
      context.drawImage(canvas, 0, 0, 48, 48);
      const pixels = context.getImageData(0, 0, 48, 48).data;
      let sum = 0;
      for (let i = 0; i < pixels.length; i += 1) sum = (sum * 31 + pixels[i]) | 0;
      const last = window.__pictures[window.__pictures.length - 1];
      if (!last || last[1] !== sum) window.__pictures.push([performance.now(), sum]);
    }
    if (window.__watching && window.__watcher === watcher) requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
}"""
# The bench's waits for what the page noted (the times are the page's own, so looking ten
# times a second loses nothing, and leaves the cores to the server and the page).
POLL_MS = 100


# Notes, from inside the page, each time the script starts or ends a run (the app's
# data-test-script-state), so a run's end is timed as it happens, even one that ended before
# the bench looked.
WATCH_RUNS = """() => {
  window.__runs = [];
  const app = document.querySelector("[data-testid='stApp']");
  new MutationObserver(() => window.__runs.push(
    [performance.now(), app.getAttribute('data-test-script-state')]
  )).observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
}"""
# Notes when the student's input reaches the page: the first press of a pointer or a key.
# A figure counts from there, not from Playwright's call, which spends some 30 ms on its
# checks and scrolling before it presses.
WATCH_INPUT = """() => {
  window.__input = null;
  if (window.__inputHooked) return;
  window.__inputHooked = true;
  const note = (event) => { if (window.__input === null) window.__input = event.timeStamp; };
  document.addEventListener('pointerdown', note, true);
  document.addEventListener('keydown', note, true);
}"""
# When the first run since WATCH_RUNS ended (null until then).
RUN_END = """() => {
  const runs = window.__runs;
  const end = runs.findIndex(([_, state], index) =>
    state === 'notRunning' && index > 0 && runs[index - 1][1] === 'running');
  return end < 0 ? null : runs[end][0];
}"""


def new_setting(page, change, title: str = "Decision boundary") -> tuple[float, float]:
    """Seconds from the press that change() makes (WATCH_INPUT) until the browser shows a new
    picture in the titled chart, as the page's own watcher (WATCH_CANVAS) saw it, and until
    the whole page is drawn: the script's run has ended, and the boundary is new. (Fetching
    the whole canvas as a PNG every 10 ms instead, as this bench once did, took Chromium and
    the bench most of a core, which the server's training then lacked on this two-core
    machine; and waiting for the run's end afterwards added 1.5 s whenever the run had
    already ended.)"""
    page.evaluate(WATCH_CANVAS, title)
    page.evaluate(WATCH_RUNS)
    page.evaluate(WATCH_INPUT)
    page.wait_for_function("() => window.__pictures.length > 0")  # the picture before
    change()
    started = page.evaluate("() => window.__input")
    if started is None:
        raise SystemExit("The change reached the page without a press of a pointer or key.")
    page.wait_for_function("() => window.__pictures.length > 1", timeout=60_000, polling=POLL_MS)
    page.wait_for_function(RUN_END, timeout=60_000, polling=POLL_MS)
    pictures = page.evaluate("() => { window.__watching = false; return window.__pictures; }")
    ended = page.evaluate(RUN_END)
    wait_idle(page)
    boundary = (pictures[1][0] - started) / 1000
    # (the browser can draw a chart just after the run's end: Vega renders asynchronously)
    return boundary, max(boundary, (ended - started) / 1000)


def option_of(page, key: str, option: str):
    """Open the selectbox with this widget key until `option` shows (its list opens on
    ArrowDown), and return that option: the click on it is the change a figure times from,
    as a student's click is (opening the list asks nothing of the server)."""
    wanted = page.get_by_role("option", name=option, exact=True)
    page.locator(f".st-key-{key} input").focus()
    while not wanted.count():  # (a key pressed as the focus arrives can be missed)
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(50)
    return wanted


def to_activation(page, name: str) -> tuple[float, float]:
    return new_setting(page, option_of(page, "moons_activation", name).click)


def play_fps(page) -> float:
    """Frames per second of one play of the replay: the distinct pictures of the boundary the
    browser showed, over the time from the first change to the last."""
    page.evaluate(WATCH_CANVAS, "Decision boundary")
    page.locator(".st-key-moons_play button").click()
    progress = page.locator("[data-testid='stProgress']").first
    progress.wait_for()
    progress.wait_for(state="detached", timeout=120_000)
    pictures = page.evaluate("() => { window.__watching = false; return window.__pictures; }")
    changes = pictures[1:]  # (the first is the picture before the play)
    seconds = (changes[-1][0] - changes[0][0]) / 1000
    return len({checksum for _, checksum in changes}) / seconds


@contextmanager
def mlp_page(query: str = "", **environment):
    """A server's MLP page (at the setting in `query`) in Chromium, and the server's process,
    once the server's warm-up is over: it compiles (or loads) the page's networks in the
    background after a restart; a class arrives after it, so the figures do too."""
    from browser_helpers import chromium, open_page, streamlit_server

    log = Path("/tmp/nn_explorer_playground_bench.log")
    with streamlit_server(log, **environment) as (url, process), chromium() as browser:
        page = open_page(browser, f"{url}/mlp_moons?{query}", viewport=(1400, 1400))
        page.locator(
            "[data-testid='stVegaLiteChart'][aria-label='Decision boundary'] canvas"
        ).wait_for(timeout=120_000)
        wait_until_quiet(process)
        wait_idle(page)
        yield page, process


def browser_figures() -> dict:
    with mlp_page() as (page, _):
        activation = to_activation(page, "relu")
        scrubs = []
        for _ in range(5):
            page.locator("[class*='st-key-moons_replay_'] input[type='range']").first.focus()
            scrubs.append(new_setting(page, lambda: page.keyboard.press("ArrowLeft"))[0])
            wait_idle(page)
        first_play = play_fps(page)
        wait_idle(page)
        again = play_fps(page)
        wait_idle(page)
        feature = new_setting(
            page, lambda: page.locator(".st-key-moons_feature_x1_x2 label").click()
        )
        from_disk = to_activation(page, "sigmoid")
        from_disk_linear = to_activation(page, "linear")
    with mlp_page(NN_EXPLORER_XLA_CACHE="off") as (page, _):
        page.locator(".st-key-moons_feature_x1_x2 label").click()
        wait_idle(page)
        compiled = to_activation(page, "sigmoid")
    return {
        "new_activation_boundary_s": activation[0],
        "new_activation_whole_page_s": activation[1],
        "new_feature_boundary_s": feature[0],
        "new_feature_whole_page_s": feature[1],
        "new_network_from_disk_boundary_s": from_disk[0],
        "new_network_from_disk_whole_page_s": from_disk[1],
        "new_network_from_disk_linear_boundary_s": from_disk_linear[0],
        "new_network_from_disk_linear_whole_page_s": from_disk_linear[1],
        "new_network_compiled_boundary_s": compiled[0],
        "new_network_compiled_whole_page_s": compiled[1],
        "scrub_redraw_median_s": statistics.median(scrubs),
        "scrub_redraw_max_s": max(scrubs),
        "play_fps_first": first_play,
        "play_fps_again": again,
    }


# A setting two changes and more from the chapter's, so outside the helper's list: relu, two
# layers of 8 units, Adam at 0.01.
FAR = (
    "moons_activation=relu&moons_layers=2&moons_units_0=8&moons_units_1=8"
    "&moons_optimizer=Adam&moons_learning_rate=0.01"
)


def near_figures() -> dict:
    """A student's change one step from a setting far from the chapter's (FAR; sigmoid for
    relu), on a server whose disk-cache helper compiled the trainings one change away while
    the student looked at the first result (the server's wish: nn_core.precompile.wish), and
    on a server without the disk cache, where it compiles. The helper's folder starts with
    its list marked done, so it compiles the wish alone; its seconds count from the wish to
    the mark that says the trainings near it are done."""
    from nn_core import chapter, precompile

    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        precompile.mark(cache, chapter.moons_trainings_to_keep()).touch()
        wish, near = f"{precompile.WISHES}/*.json", "compiled-*.near"
        # (the wish may be done and gone before the server's warm-up is over)
        made = _when_made(cache, (wish, near))
        with mlp_page(query=FAR, NN_EXPLORER_XLA_CACHE=str(cache)) as (page, process):
            deadline = time.monotonic() + 900
            while near not in made and time.monotonic() < deadline:
                time.sleep(0.2)
            _wait_for_helpers_to_end()
            wait_until_quiet(process)
            from_disk = to_activation(page, "sigmoid")
    with mlp_page(query=FAR, NN_EXPLORER_XLA_CACHE="off") as (page, _):
        compiled = to_activation(page, "sigmoid")
    return {
        "near_wish_helper_s": made[near] - made[wish],
        "near_change_from_disk_boundary_s": from_disk[0],
        "near_change_from_disk_whole_page_s": from_disk[1],
        "near_change_compiled_boundary_s": compiled[0],
        "near_change_compiled_whole_page_s": compiled[1],
    }


# Streamlit's own fade of a running page's previous results, which ui/assets/base.css
# replaces by one step: put back, for the comparison in fade_figures.
STREAMLIT_FADE = """(css) => {
  const style = document.createElement('style');
  style.textContent = css;
  document.head.appendChild(style);
}"""
# (More specific than the app's rule, which comes later in the page: the app's styles are in
# its body.)
FADE_CSS = (
    ", ".join(
        f"html body {selector}"
        for selector in (
            "[data-stale='true']",
            "[data-testid='stExpander'] details",
            "[data-testid='stExpander'] summary",
            "[data-testid='stTabs'] [role='tablist']",
        )
    )
    + " { transition-duration: 1s !important; }"
)


def fade_figures(rounds: int = 3) -> dict:
    """The never-compiled change of near_figures (sigmoid for relu on FAR, disk cache off) on
    fresh servers, alternately as the app draws it and with Streamlit's fade put back (the
    order alternates too): mean whole-page seconds, and Chromium's CPU seconds over the
    change."""
    seconds, chromium = {"fade": [], "one_step": []}, {"fade": [], "one_step": []}
    for round_number in range(rounds):
        order = ("fade", "one_step") if round_number % 2 == 0 else ("one_step", "fade")
        for how in order:
            with mlp_page(query=FAR, NN_EXPLORER_XLA_CACHE="off") as (page, _):
                if how == "fade":
                    page.evaluate(STREAMLIT_FADE, FADE_CSS)
                before = _chromium_cpu_seconds()
                seconds[how].append(to_activation(page, "sigmoid")[1])
                chromium[how].append(_chromium_cpu_seconds() - before)
    return {
        "far_change_compiled_with_fade_whole_page_s": statistics.mean(seconds["fade"]),
        "far_change_compiled_one_step_whole_page_s": statistics.mean(seconds["one_step"]),
        "far_change_with_fade_chromium_cpu_s": statistics.mean(chromium["fade"]),
        "far_change_one_step_chromium_cpu_s": statistics.mean(chromium["one_step"]),
        "fade_samples": seconds,
    }


def _chromium_cpu_seconds() -> float:
    import psutil

    total = 0.0
    for process in psutil.process_iter(["name", "cpu_times"]):
        if (process.info["name"] or "").startswith("chrom") and process.info["cpu_times"]:
            total += process.info["cpu_times"].user + process.info["cpu_times"].system
    return total


def _when_made(folder: Path, patterns, timeout: float = 900) -> dict:
    """pattern -> the modification time of the first file in `folder` that matches it, filled
    in by a thread as the files appear (a pattern stays out until one does)."""
    made = {}

    def watch():
        deadline = time.monotonic() + timeout
        while len(made) < len(patterns) and time.monotonic() < deadline:
            for pattern in patterns:
                found = list(folder.glob(pattern))
                if found and pattern not in made:
                    made[pattern] = found[0].stat().st_mtime
            time.sleep(0.05)

    threading.Thread(target=watch, daemon=True).start()
    return made


def _wait_for_helpers_to_end(timeout: float = 120) -> None:
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        helpers = [
            process
            for process in psutil.process_iter(["cmdline"])
            if "nn_core.precompile" in " ".join(process.info["cmdline"] or ())
        ]
        if not helpers:
            return
        time.sleep(0.2)
    raise SystemExit(f"The disk-cache helper still ran after {timeout} s")


def helper_figures() -> dict:
    """The helper's seconds until the loops one change away from the chapter's setting are on
    disk (each training writes one file, and the folder starts empty), and until its end."""
    from nn_core import chapter, xla_cache

    near = sum(
        chapter.changes_from_chapter(*training) <= 1
        for training in chapter.moons_trainings_to_keep()
    )
    folder = xla_cache.in_use()
    started = time.perf_counter()
    helper = subprocess.Popen([sys.executable, "-m", "nn_core.precompile"], cwd=ROOT)
    near_seconds = None
    while helper.poll() is None:
        if near_seconds is None and len(list(folder.glob("*.pb"))) >= near:
            near_seconds = time.perf_counter() - started
        time.sleep(0.2)
    if helper.returncode:
        raise SystemExit(f"The helper failed ({helper.returncode})")
    return {
        "disk_cache_helper_near_loops": near,
        "disk_cache_helper_near_s": near_seconds,
        "disk_cache_helper_s": time.perf_counter() - started,
    }


def main() -> None:
    use_shared_datasets()
    # A new folder of compiled loops, as on a new machine (the servers below inherit it).
    os.environ["NN_EXPLORER_XLA_CACHE"] = tempfile.mkdtemp(prefix="nn-xla-bench-")
    from nn_core import chapter, training

    helper = helper_figures()

    seed = run_seed_code(SEED_CELL)
    started = time.perf_counter()
    training.train_split(chapter.MOONS_NETWORK, chapter.MOONS_TRAINING, chapter.moons_split())
    ours_cold = time.perf_counter() - started
    full = snapshot_overhead(chapter.MOONS_TRAINING)
    mini = snapshot_overhead(replace(chapter.MOONS_TRAINING, epochs=2000, batch_size=32))
    diagram_seconds, diagram_bytes = diagram_figures()
    figures = {
        "seed_fit_s": seed["fit_s"],
        "ours_cold_fit_s": ours_cold,
        "seed_over_ours": seed["fit_s"] / ours_cold,
        "full_batch_s": full[0],
        "full_batch_with_snapshots_s": full[1],
        "snapshot_overhead_full_batch": full[2] - 1,
        "mini_batch_s": mini[0],
        "mini_batch_with_snapshots_s": mini[1],
        "snapshot_overhead_mini_batch": mini[2] - 1,
        "diagram_4x8_s": diagram_seconds,
        "diagram_4x8_kB": diagram_bytes / 1000,
        **helper,
        **browser_figures(),
        **near_figures(),
        **fade_figures(),
    }
    report(figures)


if __name__ == "__main__":
    main()
