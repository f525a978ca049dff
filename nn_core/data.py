"""Datasets: seeded 2-D toy sets, MNIST and IMDB (Keras format), splits and multi-hot encoding.

MNIST and IMDB come from the folder named by the environment variable NN_CORE_DATA_DIR when it
is set (offline machines), otherwise from Keras' cache in ~/.keras/datasets, downloading there
once when the network allows it.
"""

from __future__ import annotations

import json
import os
import pickle
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.datasets import make_circles, make_moons

DATA_DIR_VARIABLE = "NN_CORE_DATA_DIR"

# The names the pages offer; "and", "or" and "xor" are the logic gates of the perceptron story;
# "plane" and "gaussian" are TensorFlow Playground's regression sets (a number per point).
TOY_DATASETS = ("moons", "circles", "xor", "spiral", "blobs", "and", "or", "plane", "gaussian")
REGRESSION_DATASETS = ("plane", "gaussian")
MULTI_CLASS_DATASETS = ("spiral", "blobs")  # the sets that take classes=3.. (up to MAX_CLASSES)
MAX_CLASSES = 5

# Keras' IMDB conventions: index 0 pads, 1 starts a review, 2 stands for an unknown word, and
# real word ranks are shifted by 3 so they do not collide with those.
IMDB_PAD, IMDB_START, IMDB_UNKNOWN, IMDB_INDEX_FROM = 0, 1, 2, 3
IMDB_SHUFFLE_SEED = 113  # the seed keras.datasets.imdb.load_data shuffles with


class DatasetError(Exception):
    """A dataset could not be loaded; the message says what to do about it."""


@dataclass(frozen=True)
class Split:
    """Training and validation parts of one dataset."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_validation: np.ndarray
    y_validation: np.ndarray


# ---------------------------------------------------------------------------- 2-D toy sets


def make_toy_dataset(
    name: str, samples: int = 200, noise: float = 0.4, seed: int = 0, classes: int = 2
) -> tuple[np.ndarray, np.ndarray]:
    """Return (points float32 [samples, 2], labels [samples]) for a named 2-D dataset: int32
    class labels 0 .. classes-1, or float32 targets for the regression sets."""
    if name not in TOY_DATASETS:
        raise ValueError(f"Unknown dataset '{name}'. Choose one of: {', '.join(TOY_DATASETS)}.")
    if samples < 2:
        raise ValueError("A dataset needs at least 2 samples.")
    if noise < 0:
        raise ValueError("Noise cannot be negative.")
    if classes != 2 and name not in MULTI_CLASS_DATASETS:
        raise ValueError(f"'{name}' has two classes; more are offered by spiral and blobs.")
    if not 2 <= classes <= MAX_CLASSES:
        raise ValueError(f"Choose 2 to {MAX_CLASSES} classes.")
    rng = np.random.default_rng(seed)
    if name == "moons":
        points, labels = make_moons(samples, noise=noise, random_state=seed)
    elif name == "circles":
        # make_circles' noise is relative to radius 1, so halve it to look like the moons' level.
        points, labels = make_circles(samples, noise=noise / 2, factor=0.5, random_state=seed)
    elif name == "spiral":
        points, labels = _spiral(samples, noise, rng, classes)
    elif name == "blobs":
        points, labels = _corner_clusters(samples, noise, rng, blob_centres(classes), BLOB_SPREAD)
    elif name in REGRESSION_DATASETS:
        points, targets = _regression(name, samples, noise, rng)
        return points.astype(np.float32), targets.astype(np.float32)
    else:
        points, labels = _logic_gate(name, samples, noise, rng)
    return points.astype(np.float32), labels.astype(np.int32)


def blob_centres(classes: int) -> np.ndarray:
    """One cluster centre per class on a circle of radius √2; two classes sit at (-1, -1)
    and (1, 1), as in TensorFlow Playground's gaussian set."""
    angles = 5 * np.pi / 4 + 2 * np.pi * np.arange(classes) / classes
    return np.sqrt(2) * np.column_stack([np.cos(angles), np.sin(angles)])


REGRESSION_RANGE = 1.5  # the regression sets' points are uniform over [-1.5, 1.5]²
# Playground's "gaussian" regression: bumps of these signs at these centres (scaled to the
# plane above); the target is their sum, between -1 and 1.
GAUSSIAN_BUMPS = (
    ((-0.6, 0.4), 1.0),
    ((0.0, 0.4), -1.0),
    ((0.6, 0.4), 1.0),
    ((-0.6, -0.4), -1.0),
    ((0.0, -0.4), 1.0),
    ((0.6, -0.4), -1.0),
)


def regression_target(name: str, points: np.ndarray) -> np.ndarray:
    """The noise-free target of a regression set at these points [n, 2]: "plane" rises
    evenly from -1 to 1 along x1 + x2; "gaussian" is a sum of six bumps of either sign."""
    if name == "plane":
        return (points[:, 0] + points[:, 1]) / (2 * REGRESSION_RANGE)
    total = np.zeros(len(points))
    for centre, sign in GAUSSIAN_BUMPS:
        distance = np.sum((points - np.asarray(centre)) ** 2, axis=1)
        total += sign * np.exp(-distance / (2 * 0.25**2))
    return np.clip(total, -1, 1)


def _regression(name, samples, noise, rng):
    """Uniform points and their target plus Gaussian noise (noise 0.4: deviation 0.1)."""
    points = rng.uniform(-REGRESSION_RANGE, REGRESSION_RANGE, size=(samples, 2))
    return points, regression_target(name, points) + rng.normal(scale=noise / 4, size=samples)


BLOB_SPREAD = 3.0
GATE_CORNERS = ((0, 0), (0, 1), (1, 0), (1, 1))
GATE_TRUTH = {"and": (0, 0, 0, 1), "or": (0, 1, 1, 1), "xor": (0, 1, 1, 0)}


def _cluster_spread(noise: float, spread: float = 1.0) -> float:
    """Standard deviation of the corner clusters; a small floor keeps them visible as clouds
    even at noise 0."""
    return max(noise, 0.02) / 2 * spread


def _corner_clusters(samples, noise, rng, corners, spread=1.0):
    """Gaussian clusters around the given corners, one label per corner (index order)."""
    which = np.arange(samples) % len(corners)
    rng.shuffle(which)
    centres = np.asarray(corners, dtype=np.float64)[which]
    points = centres + rng.normal(scale=_cluster_spread(noise, spread), size=(samples, 2))
    return points, which


def _logic_gate(name, samples, noise, rng):
    """Clusters at the four corners of the unit square labelled by the gate's truth table."""
    points, corner_index = _corner_clusters(samples, noise, rng, GATE_CORNERS)
    return points, np.asarray(GATE_TRUTH[name])[corner_index]


def _spiral(samples, noise, rng, arms=2):
    """Interleaved spirals, one arm per class (TensorFlow Playground's hardest set has two)."""
    labels = np.arange(samples) % arms
    points = _spiral_arm(rng.uniform(0.1, 1.0, samples) * 2.0, labels, arms)
    points += rng.normal(scale=noise / 4, size=points.shape)
    return points, labels


def _spiral_arm(radius, label, arms=2):
    angle = radius * 2.5 + label * 2 * np.pi / arms
    return np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])


def noise_free_centres(name: str, noise: float, count: int = 400):
    """How a toy set is generated, as (centres per class, noise standard deviation): every
    sample is one of its class's centres, all equally likely, plus Gaussian noise of that
    standard deviation on each coordinate. Curves (moons, circles, spirals) are given as
    `count` points along them. This is what lets nn_core.diagnostics compute the best
    accuracy any classifier can reach on the data."""
    along = np.linspace(0, np.pi, count)
    if name == "moons":  # sklearn's make_moons: two half circles
        outer = np.column_stack([np.cos(along), np.sin(along)])
        inner = np.column_stack([1 - np.cos(along), 1 - np.sin(along) - 0.5])
        return [outer, inner], noise
    if name == "circles":  # make_circles(noise=noise / 2, factor=0.5), as make_toy_dataset
        turn = np.linspace(0, 2 * np.pi, count, endpoint=False)
        circle = np.column_stack([np.cos(turn), np.sin(turn)])
        return [circle, circle * 0.5], noise / 2
    if name == "spiral":
        radius = np.linspace(0.1, 1.0, count) * 2.0
        return [_spiral_arm(radius, 0), _spiral_arm(radius, 1)], noise / 4
    if name == "blobs":
        return [centre[None, :] for centre in blob_centres(2)], _cluster_spread(noise, BLOB_SPREAD)
    if name in GATE_TRUTH:
        truth, corners = np.asarray(GATE_TRUTH[name]), np.asarray(GATE_CORNERS, float)
        return [corners[truth == label] for label in (0, 1)], _cluster_spread(noise)
    raise ValueError(f"Unknown dataset '{name}'. Choose one of: {', '.join(TOY_DATASETS)}.")


PLANE_PADDING = 0.5  # the chapter's plot_decision_boundary pads the data's extent by 0.5


def plane_bounds(points: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
    """(x range, y range) of the plane a 2-D data set is drawn on: its extent plus padding."""
    low, high = points.min(axis=0) - PLANE_PADDING, points.max(axis=0) + PLANE_PADDING
    return (float(low[0]), float(high[0])), (float(low[1]), float(high[1]))


def validation_count(samples: int, validation_share: float) -> int:
    """How many of `samples` a validation share holds out; ValueError if that leaves no
    training or no validation samples (checked without splitting anything)."""
    if not 0 <= validation_share < 1:
        raise ValueError("The validation share must be at least 0 and below 1.")
    held_out = int(round(samples * validation_share))
    if validation_share > 0 and (held_out < 1 or held_out >= samples):
        raise ValueError(
            f"With {samples} samples a {validation_share:.0%} validation share leaves no "
            "training or no validation samples: use more samples or another share."
        )
    return held_out


def split_train_validation(
    x: np.ndarray, y: np.ndarray, validation_share: float, seed: int = 0
) -> Split:
    """Shuffle with the seed and hold out validation_share of the samples (0 keeps them all)."""
    held_out = validation_count(len(x), validation_share)
    order = np.random.default_rng(seed).permutation(len(x))
    validation, train = order[:held_out], order[held_out:]
    return Split(x[train], y[train], x[validation], y[validation])


# ---------------------------------------------------------------------------- files


def _dataset_file(file_name: str, origin: str) -> Path:
    """Path of a Keras-format file: the offline folder, else Keras' cache (downloading there)."""
    folder = os.environ.get(DATA_DIR_VARIABLE)
    if folder:
        path = Path(folder).expanduser() / file_name
        if not path.is_file():
            raise DatasetError(
                f"{DATA_DIR_VARIABLE} is set to '{folder}', but '{path}' does not exist. "
                f"Put the Keras-format file '{file_name}' there, or unset {DATA_DIR_VARIABLE} "
                "to download it through Keras."
            )
        return path
    from keras.utils import get_file  # imported late: only this path needs Keras

    try:
        # KERAS_HOME is read here, not only when Keras was imported, so it can be changed.
        return Path(get_file(file_name, origin=origin, cache_dir=os.environ.get("KERAS_HOME")))
    except Exception as error:  # Keras raises several kinds for a failed download.
        raise DatasetError(
            f"Could not download '{file_name}' ({error}). Connect to the internet once, or "
            f"set the environment variable {DATA_DIR_VARIABLE} to a folder holding "
            f"Keras-format copies ('mnist.npz', 'imdb.npz', 'imdb_word_index.json')."
        ) from error


def _read_npz(path: Path, keys: tuple[str, ...], allow_pickle: bool = False) -> dict:
    """Read the given arrays from an .npz file, or say clearly that the file is damaged."""
    try:
        with np.load(path, allow_pickle=allow_pickle) as archive:
            missing = [key for key in keys if key not in archive.files]
            if missing:
                raise DatasetError(
                    f"'{path}' is not in the expected Keras layout: it lacks {', '.join(missing)}."
                )
            return {key: archive[key] for key in keys}
    except DatasetError:
        raise
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, pickle.UnpicklingError) as error:
        raise DatasetError(
            f"'{path}' is damaged or not an .npz file ({error}). Delete it and download it "
            "again, or replace it with a good copy."
        ) from error


# ---------------------------------------------------------------------------- MNIST

MNIST_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"


@dataclass(frozen=True)
class Mnist:
    """MNIST as Keras ships it: uint8 images [n, 28, 28] and uint8 labels [n]."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_mnist() -> Mnist:
    """Load MNIST (offline folder, Keras cache or download); raise DatasetError on failure."""
    path = _dataset_file("mnist.npz", MNIST_ORIGIN)
    arrays = _read_npz(path, ("x_train", "y_train", "x_test", "y_test"))
    for part in ("train", "test"):
        images, labels = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if images.ndim != 3 or images.shape[1:] != (28, 28) or len(images) != len(labels):
            raise DatasetError(
                f"'{path}' does not hold 28x28 images with one label each "
                f"(x_{part} has shape {images.shape}, y_{part} {labels.shape})."
            )
    return Mnist(**arrays)


def scale_images(images: np.ndarray) -> np.ndarray:
    """Pixel values 0-255 -> 0-1 as float32, flattened to [n, 784] (the chapter's preprocessing)."""
    return flatten_images(images).astype(np.float32) / 255.0


def flatten_images(images: np.ndarray) -> np.ndarray:
    """[n, 28, 28] -> [n, 784], still uint8 (a view, no copy): the chapter's Flatten layer."""
    return images.reshape(len(images), -1)


# ---------------------------------------------------------------------------- IMDB

IMDB_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb.npz"
IMDB_WORD_INDEX_ORIGIN = (
    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/imdb_word_index.json"
)


@dataclass(frozen=True)
class Reviews:
    """Reviews as one flat array of word indices plus offsets (review i is
    word_indices[offsets[i]:offsets[i + 1]]); far lighter than lists of Python ints."""

    word_indices: np.ndarray  # int32 [total words]
    offsets: np.ndarray  # int64 [reviews + 1]
    labels: np.ndarray  # int32 [reviews], 1 = positive

    def __len__(self) -> int:
        return len(self.labels)

    def review(self, index: int) -> np.ndarray:
        return self.word_indices[self.offsets[index] : self.offsets[index + 1]]

    def subset(self, start: int, stop: int) -> Reviews:
        """Reviews start..stop-1, sharing no memory with the original offsets."""
        first, last = self.offsets[start], self.offsets[stop]
        return Reviews(
            self.word_indices[first:last],
            self.offsets[start : stop + 1] - first,
            self.labels[start:stop],
        )


@dataclass(frozen=True)
class Imdb:
    train: Reviews
    test: Reviews
    vocabulary_size: int


def load_imdb(vocabulary_size: int = 10_000) -> Imdb:
    """Load IMDB exactly as keras.datasets.imdb.load_data(num_words=vocabulary_size) does:
    shuffled with seed 113, each review prefixed by 1, ranks shifted by 3, rare words -> 2."""
    if not 10 <= vocabulary_size <= 100_000:
        raise ValueError("The vocabulary size must be between 10 and 100,000 words.")
    path = _dataset_file("imdb.npz", IMDB_ORIGIN)
    arrays = _read_npz(path, ("x_train", "y_train", "x_test", "y_test"), allow_pickle=True)
    # Keras draws both permutations from one generator, train first.
    generator = np.random.RandomState(IMDB_SHUFFLE_SEED)
    parts = []
    for part in ("train", "test"):
        order = np.arange(len(arrays[f"x_{part}"]))
        generator.shuffle(order)
        sequences, labels = arrays[f"x_{part}"][order], arrays[f"y_{part}"][order]
        parts.append(_encode_reviews(path, sequences, labels, vocabulary_size))
    return Imdb(parts[0], parts[1], vocabulary_size)


def _encode_reviews(path, sequences, labels, vocabulary_size) -> Reviews:
    try:
        lengths = np.fromiter((len(review) + 1 for review in sequences), np.int64, len(sequences))
        flat = np.concatenate([np.asarray([0, *review], dtype=np.int64) for review in sequences])
    except (TypeError, ValueError) as error:
        raise DatasetError(f"'{path}' does not hold reviews as lists of word ranks.") from error
    if len(sequences) != len(labels):
        raise DatasetError(f"'{path}' has {len(sequences)} reviews but {len(labels)} labels.")
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    flat += IMDB_INDEX_FROM
    flat[offsets[:-1]] = IMDB_START
    flat[flat >= vocabulary_size] = IMDB_UNKNOWN
    return Reviews(flat.astype(np.int32), offsets, np.asarray(labels, dtype=np.int32))


def load_imdb_word_index() -> dict[str, int]:
    """word -> rank (1 = most frequent), as keras.datasets.imdb.get_word_index() returns it."""
    path = _dataset_file("imdb_word_index.json", IMDB_WORD_INDEX_ORIGIN)
    try:
        word_index = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DatasetError(f"'{path}' is damaged or not JSON ({error}).") from error
    if not isinstance(word_index, dict) or not all(
        isinstance(rank, int) for rank in word_index.values()
    ):
        raise DatasetError(f"'{path}' is not a JSON object mapping words to ranks.")
    return word_index


def words_by_index(word_index: dict[str, int]) -> dict[int, str]:
    """Dataset index -> word, the inverse of load_imdb_word_index (indices are rank + 3)."""
    return {rank + IMDB_INDEX_FROM: word for word, rank in word_index.items()}


def decode_review(word_indices, words: dict[int, str]) -> str:
    """Turn dataset indices back into words (`words` from words_by_index); markers and unknown
    words become '?' as in the chapter."""
    return " ".join(words.get(int(index), "?") for index in word_indices)


# Keras' text_to_word_sequence filters (the dataset's tokenisation): the apostrophe is kept.
_PUNCTUATION = str.maketrans(
    {character: " " for character in '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'}
)


def tokenize(text: str) -> list[str]:
    """Lower case, punctuation except apostrophes removed, split on white space."""
    return text.lower().translate(_PUNCTUATION).split()


def encode_words(words: list[str], word_index: dict[str, int], vocabulary_size: int) -> list[int]:
    """Words -> dataset indices: 1 starts the review, known words are rank + 3, and words
    outside the vocabulary (or unknown) become 2, as in the dataset."""
    encoded = [IMDB_START]
    for word in words:
        index = word_index.get(word, vocabulary_size) + IMDB_INDEX_FROM
        encoded.append(index if index < vocabulary_size else IMDB_UNKNOWN)
    return encoded


def reviews_from_lists(reviews: list[list[int]]) -> Reviews:
    """Index lists (as encode_words makes them) -> Reviews, e.g. to multi-hot them."""
    lengths = np.array([len(review) for review in reviews], dtype=np.int64)
    flat = (
        np.concatenate([np.asarray(review, np.int32) for review in reviews])
        if reviews
        else np.zeros(0, np.int32)
    )
    return Reviews(
        flat, np.concatenate([[0], np.cumsum(lengths)]), np.zeros(len(reviews), np.int32)
    )


def multi_hot(reviews: Reviews, vocabulary_size: int) -> sparse.csr_matrix:
    """The chapter's vectorize_sequences as a sparse 0/1 CSR matrix: no dense float64 matrix."""
    rows = len(reviews)
    ones = np.ones(len(reviews.word_indices), dtype=np.float32)
    # Copies: sum_duplicates sorts the index arrays in place, and they belong to the dataset.
    matrix = sparse.csr_matrix(
        (ones, reviews.word_indices.copy(), reviews.offsets.copy()),
        shape=(rows, vocabulary_size),
    )
    matrix.sum_duplicates()
    matrix.data[:] = 1.0  # a word seen twice is still just "present"
    return matrix


@dataclass(frozen=True)
class ImdbMatrices:
    """IMDB as the chapter trains on it: multi-hot CSR matrices, the first validation_size
    training reviews held out for validation."""

    x_train: sparse.csr_matrix
    y_train: np.ndarray
    x_validation: sparse.csr_matrix
    y_validation: np.ndarray
    x_test: sparse.csr_matrix
    y_test: np.ndarray


def imdb_matrices(imdb: Imdb, validation_size: int | None = None) -> ImdbMatrices:
    """validation_size defaults to the chapter's 10,000 (or 40% of a smaller training set)."""
    if validation_size is None:
        validation_size = min(10_000, len(imdb.train) * 2 // 5)
    if not 0 < validation_size < len(imdb.train):
        raise ValueError(f"Hold out between 1 and {len(imdb.train) - 1} reviews for validation.")
    train = multi_hot(imdb.train, imdb.vocabulary_size)
    labels = imdb.train.labels
    return ImdbMatrices(
        train[validation_size:],
        labels[validation_size:],
        train[:validation_size],
        labels[:validation_size],
        multi_hot(imdb.test, imdb.vocabulary_size),
        imdb.test.labels,
    )
