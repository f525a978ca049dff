"""Issue 'try it yourself': a drawn digit made MNIST-like, and a typed review tokenised as the
dataset was."""

import base64
import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from scipy import ndimage

from nn_core import chapter, data, diagnostics, drawing, training


def canvas_url(gray: np.ndarray) -> str:
    """A grey image as the drawing pad sends it: a PNG data URL."""
    buffer = io.BytesIO()
    Image.fromarray((gray * 255).astype(np.uint8)).convert("RGBA").save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def test_a_drawn_one_is_centred_by_its_centre_of_mass():
    pad = np.zeros((280, 280), np.float32)
    pad[30:250, 40:62] = 1.0  # a vertical bar far left of centre, as a hurried "1"
    digit = drawing.preprocess_digit(drawing.gray_from_data_url(canvas_url(pad)))
    assert digit.shape == (28, 28)
    row, column = ndimage.center_of_mass(digit)
    assert abs(row - 13.5) <= 1 and abs(column - 13.5) <= 1
    rows = np.flatnonzero(digit.max(axis=1) > 0.1)
    assert 19 <= rows[-1] - rows[0] + 1 <= 21  # the long side fills the 20-pixel box
    assert digit.max() <= 1 and digit.min() >= 0


@pytest.mark.parametrize("blank", [np.zeros((280, 280)), np.full((280, 280), 0.01)])
def test_an_empty_drawing_is_refused_with_a_message(blank):
    with pytest.raises(ValueError, match="empty"):
        drawing.preprocess_digit(blank)


def test_bad_images_are_refused_with_a_message():
    with pytest.raises(ValueError, match="PNG data URL"):
        drawing.gray_from_data_url("hello")
    with pytest.raises(ValueError, match="not an image"):
        drawing.gray_from_photo(b"definitely not a picture")


def test_a_photo_of_dark_ink_on_paper_is_inverted():
    photo = np.full((300, 200), 0.9, np.float32)  # light paper
    photo[60:240, 90:110] = 0.1  # dark stroke
    buffer = io.BytesIO()
    Image.fromarray((photo * 255).astype(np.uint8)).save(buffer, format="JPEG")
    gray = drawing.gray_from_photo(buffer.getvalue())
    assert gray[150, 100] > 0.8 and gray[10, 10] < 0.1


def rendered_digits(count: int, seed: int):
    """Digits rendered from a font with random size, offset and slant, made MNIST-like by the
    same recipe: real glyph shapes, no dataset needed."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for index in range(count):
        label = index % 10
        pad = Image.new("L", (280, 280))
        font = ImageFont.load_default(size=int(rng.integers(150, 220)))
        ImageDraw.Draw(pad).text(
            (int(rng.integers(40, 110)), int(rng.integers(0, 40))), str(label), fill=255, font=font
        )
        pad = pad.rotate(float(rng.uniform(-12, 12)))
        images.append(drawing.preprocess_digit(np.asarray(pad, np.float32) / 255))
        labels.append(label)
    return np.stack(images), np.array(labels)


def test_digits_through_the_drawing_path_are_classified_as_through_the_normal_path():
    train_images, train_labels = rendered_digits(600, seed=0)
    spec = replace(chapter.MNIST_NETWORK, hidden_units=(32,))
    raw = np.round(train_images * 255).astype(np.uint8).reshape(len(train_images), 784)
    config = training.TrainConfig(optimizer="adam", learning_rate=0.003, epochs=15, batch_size=64)
    result = training.train(spec, config, raw, train_labels)
    test_images, test_labels = rendered_digits(20, seed=1)
    normal = training.predict(result, drawing.as_model_input(test_images)).argmax(axis=1)
    assert np.mean(normal == test_labels) >= 0.8  # the model did learn the rendered digits
    for image, expected in zip(test_images, normal, strict=True):
        # As a student would: the 28x28 digit drawn ten times larger on the pad.
        pad = np.kron(image, np.ones((10, 10), np.float32))
        digit = drawing.preprocess_digit(drawing.gray_from_data_url(canvas_url(pad)))
        drawn = training.predict(result, drawing.as_model_input(digit)).argmax(axis=1)[0]
        assert drawn == expected


def test_the_review_tokeniser_matches_the_dataset(offline_data):
    word_index = data.load_imdb_word_index()
    imdb = data.load_imdb(vocabulary_size=10_000)
    by_index = data.words_by_index(word_index)
    for number in range(5):
        indices = imdb.train.review(number).tolist()
        words = data.decode_review(indices[1:], by_index).split()
        # Typed the way people type: capitals and punctuation, which the tokeniser removes.
        text = (
            " ".join(
                f"{word.capitalize()}," if position % 3 == 0 else word
                for position, word in enumerate(words)
            )
            + "!"
        )
        encoded = data.encode_words(data.tokenize(text), word_index, 10_000)
        assert encoded == indices


def test_unknown_words_and_rare_words_become_the_unknown_index():
    word_index = {"the": 1, "film": 2, "rare": 20}
    encoded = data.encode_words(data.tokenize("The FILM, rare... qwerty's"), word_index, 10)
    assert encoded == [1, 4, 5, 2, 2]


def test_each_word_contribution_is_the_change_without_it(offline_data):
    imdb = data.load_imdb(vocabulary_size=100)
    matrices = data.imdb_matrices(imdb)
    spec = chapter.imdb_preset("smaller 8-8", vocabulary_size=100)
    config = replace(chapter.IMDB_TRAINING, learning_rate=0.01, epochs=5, batch_size=64)
    result = training.train(spec, config, matrices.x_train, matrices.y_train)
    word_index = data.load_imdb_word_index()
    encoded = data.encode_words(
        data.tokenize("the movie was great and loved it zzz"), word_index, 100
    )
    probability, contributions = diagnostics.review_contributions(result, encoded, 100)
    assert data.IMDB_UNKNOWN not in contributions
    great = word_index["great"] + data.IMDB_INDEX_FROM
    without = [index for index in encoded if index != great]
    matrix = data.multi_hot(data.reviews_from_lists([without]), 100)
    expected = probability - training.predict(result, matrix)[0, 0]
    assert contributions[great] == pytest.approx(expected, abs=1e-6)
    assert contributions[great] > 0  # the fixture's positive word pushes towards positive
