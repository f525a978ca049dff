"""Try it yourself: from the end of a stroke to the shown prediction, and a typed review scored
by every trained model (targets: under 0.3 s each), measured in a real browser against a real
server, plus the engine's share of it in this process.

Run from the repository root (Debian's chromium installed):
    NN_CORE_DATA_DIR=../shared/datasets python bench/try_it.py
The chapter has no such feature, so there is no seed code to compare with.
"""

# The last line printed is one JSON object with the figures (_common.report, json.dumps).

from __future__ import annotations

import sys
import time
from pathlib import Path

from _common import ROOT, report, use_shared_datasets

sys.path.insert(0, str(ROOT / "tests"))
from browser_helpers import (
    chromium,
    click_button,
    draw_vertical_stroke,
    open_page,
    streamlit_server,
    wait_idle,
)  # noqa: E402

REVIEW = (
    "The acting was wonderful and the story moving, but the ending was a boring, predictable mess."
)


def stroke_seconds(page) -> float:
    """Clear the pad, draw a '1'; time from releasing the mouse to the prediction on screen."""
    page.locator(".st-key-mnist_draw_pad button").first.click()  # Clear
    page.get_by_text("Draw a digit on the black pad").first.wait_for()
    draw_vertical_stroke(page)
    started = time.perf_counter()
    page.mouse.up()  # the end of the stroke
    page.get_by_text("What the network sees").first.wait_for()
    return time.perf_counter() - started


def review_seconds(page, text: str) -> float:
    """Type a review; time from Ctrl+Enter to every model's verdict on screen."""
    box = page.locator(".st-key-imdb_review_text textarea").first
    box.scroll_into_view_if_needed()
    box.fill(text)
    started = time.perf_counter()
    box.press("Control+Enter")
    # The text's last word is a made-up one, shown (grey) once per model: wait for the fourth.
    page.get_by_text(text.split()[-1], exact=True).nth(3).wait_for()
    return time.perf_counter() - started


def engine_seconds() -> dict:
    """The same work without a browser: preprocessing + a model call; scoring a review."""
    from dataclasses import replace

    import numpy as np

    from nn_core import chapter, data, diagnostics, drawing, training

    mnist = data.load_mnist()
    digits = training.train(
        chapter.MNIST_NETWORK,
        replace(chapter.MNIST_TRAINING, epochs=1),
        data.flatten_images(mnist.x_train[:5000]),
        mnist.y_train[:5000],
    )
    pad = np.zeros((280, 280), np.float32)
    pad[30:250, 130:152] = 1
    started = time.perf_counter()
    training.predict(digits, drawing.as_model_input(drawing.preprocess_digit(pad)))
    draw_s = time.perf_counter() - started
    imdb = data.imdb_matrices(data.load_imdb(10_000))
    reviews = training.train_split(
        chapter.IMDB_BASELINE,
        replace(chapter.IMDB_TRAINING, epochs=2),
        imdb,
    )
    encoded = data.encode_words(data.tokenize(REVIEW), data.load_imdb_word_index(), 10_000)
    started = time.perf_counter()
    diagnostics.review_contributions(reviews, encoded, 10_000)
    return {"engine_draw_s": draw_s, "engine_review_one_model_s": time.perf_counter() - started}


def main():
    use_shared_datasets()
    with (
        streamlit_server(Path("/tmp/try-it-server.log")) as (url, _),
        chromium() as browser,
    ):
        page = open_page(browser, f"{url}/mnist?train_size=10000&epochs=3")
        click_button(page, "mnist_train")
        page.get_by_text("Draw a digit on the black pad").first.wait_for(timeout=180_000)
        wait_idle(page)
        strokes = [stroke_seconds(page) for _ in range(3)]
        page = open_page(browser, f"{url}/imdb?epochs=4")
        click_button(page, "imdb_train")  # the four presets, so four models score the review
        page.get_by_text("Try it yourself: write a review").first.wait_for(timeout=300_000)
        wait_idle(page)
        first = review_seconds(page, REVIEW + " zebraone")  # traces each model's predict once
        second = review_seconds(page, REVIEW + " Still, I loved the music. zebratwo")
    figures = {
        "stroke_to_prediction_s": min(strokes),
        "stroke_slowest_s": max(strokes),
        "first_review_four_models_s": first,
        "next_review_four_models_s": second,
        **engine_seconds(),
    }
    print(
        f"stroke -> prediction {figures['stroke_to_prediction_s']:.2f} s (slowest of 3: "
        f"{figures['stroke_slowest_s']:.2f} s); a review scored by 4 models: first "
        f"{first:.2f} s, next {second:.2f} s, in the browser"
    )
    report(figures)


if __name__ == "__main__":
    main()
