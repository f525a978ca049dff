"""nn_core.data: toy sets, splits, Keras-format loaders and their error messages."""

import json

import numpy as np
import pytest

from nn_core import data


@pytest.mark.parametrize("name", data.TOY_DATASETS)
def test_toy_datasets_are_seeded_and_shaped(name):
    points, labels = data.make_toy_dataset(name, 120, 0.2, seed=3)
    again, _ = data.make_toy_dataset(name, 120, 0.2, seed=3)
    assert points.shape == (120, 2) and points.dtype == np.float32
    if name in data.REGRESSION_DATASETS:  # a number per point, about -1 .. 1
        assert labels.dtype == np.float32 and np.abs(labels).max() < 1.6
    else:
        assert set(np.unique(labels)) == {0, 1}
    np.testing.assert_array_equal(points, again)


@pytest.mark.parametrize("name", data.MULTI_CLASS_DATASETS)
def test_spiral_and_blobs_take_more_classes(name):
    points, labels = data.make_toy_dataset(name, 150, 0.2, seed=0, classes=3)
    assert set(np.unique(labels)) == {0, 1, 2} and np.bincount(labels).min() == 50
    with pytest.raises(ValueError, match="more are offered by spiral and blobs"):
        data.make_toy_dataset("moons", 100, 0.2, classes=3)
    with pytest.raises(ValueError, match="Choose 2 to 5 classes"):
        data.make_toy_dataset(name, 100, 0.2, classes=6)


def test_logic_gates_follow_their_truth_tables():
    for name, truth in {"and": [0, 0, 0, 1], "or": [0, 1, 1, 1], "xor": [0, 1, 1, 0]}.items():
        points, labels = data.make_toy_dataset(name, 400, 0.05, seed=0)
        corners = np.rint(points).astype(int)
        for corner_index, (x, y) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
            at_corner = (corners[:, 0] == x) & (corners[:, 1] == y)
            assert (labels[at_corner] == truth[corner_index]).all(), name


def test_bad_toy_settings_raise_readable_errors():
    with pytest.raises(ValueError, match="Unknown dataset"):
        data.make_toy_dataset("banana")
    with pytest.raises(ValueError, match="at least 2 samples"):
        data.make_toy_dataset("moons", 1)


def test_split_holds_out_the_share_and_rejects_impossible_ones():
    points, labels = data.make_toy_dataset("moons", 200, 0.4)
    split = data.split_train_validation(points, labels, 0.3, seed=1)
    assert len(split.x_validation) == 60 and len(split.x_train) == 140
    with pytest.raises(ValueError, match="validation share"):
        data.split_train_validation(points, labels, 1.0)
    with pytest.raises(ValueError, match="no training or no validation"):
        data.split_train_validation(points[:2], labels[:2], 0.1)


def test_mnist_loads_from_the_offline_folder(offline_data):
    mnist = data.load_mnist()
    assert mnist.x_train.shape == (600, 28, 28) and mnist.x_train.dtype == np.uint8
    assert mnist.y_test.shape == (200,)
    scaled = data.scale_images(mnist.x_test[:3])
    assert scaled.shape == (3, 784) and scaled.max() <= 1.0 and scaled.dtype == np.float32


def test_missing_offline_file_says_how_to_fix_it(tmp_path, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(data.DatasetError, match="NN_CORE_DATA_DIR") as error:
        data.load_mnist()
    assert "mnist.npz" in str(error.value)


def test_corrupt_file_is_named_in_the_error(tmp_path, monkeypatch):
    (tmp_path / "mnist.npz").write_bytes(b"this is not a zip file")
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(data.DatasetError, match="damaged") as error:
        data.load_mnist()
    assert str(tmp_path / "mnist.npz") in str(error.value)


def test_wrong_layout_is_reported(tmp_path, monkeypatch):
    np.savez(tmp_path / "mnist.npz", x_train=np.zeros((2, 5, 5)), y_train=np.zeros(2))
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(data.DatasetError, match="lacks x_test"):
        data.load_mnist()


def test_imdb_is_encoded_as_keras_load_data_does(tmp_path, monkeypatch):
    # Four reviews of raw ranks; Keras shuffles with seed 113, prefixes 1, adds 3, and maps
    # indices >= num_words to 2.
    raw = np.empty(4, dtype=object)
    raw[:] = [[1, 2], [3], [4, 50], [5, 6, 7]]
    labels = np.array([0, 1, 0, 1])
    np.savez(tmp_path / "imdb.npz", x_train=raw, y_train=labels, x_test=raw, y_test=labels)
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, str(tmp_path))
    imdb = data.load_imdb(vocabulary_size=10)
    order = np.arange(4)
    np.random.RandomState(113).shuffle(order)
    for position, original in enumerate(order):
        expected = [1] + [rank + 3 if rank + 3 < 10 else 2 for rank in raw[original]]
        assert imdb.train.review(position).tolist() == expected
        assert imdb.train.labels[position] == labels[original]


def test_multi_hot_matches_the_chapters_vectorize_sequences(offline_data):
    imdb = data.load_imdb(vocabulary_size=12)
    matrix = data.multi_hot(imdb.train, 12)
    dense = np.zeros((len(imdb.train), 12))  # the chapter's vectorize_sequences
    for row in range(len(imdb.train)):
        dense[row, imdb.train.review(row)] = 1.0
    np.testing.assert_array_equal(matrix.toarray(), dense)
    assert matrix.dtype == np.float32


def test_reviews_decode_back_to_words(offline_data):
    word_index = data.load_imdb_word_index()
    imdb = data.load_imdb(vocabulary_size=100)
    text = data.decode_review(imdb.train.review(0), data.words_by_index(word_index))
    assert text.startswith("? ")
    assert set(text.split()[1:]) <= set(word_index)


def test_corrupt_word_index_is_reported(tmp_path, monkeypatch):
    (tmp_path / "imdb_word_index.json").write_text(json.dumps(["not", "a", "dict"]))
    monkeypatch.setenv(data.DATA_DIR_VARIABLE, str(tmp_path))
    with pytest.raises(data.DatasetError, match="imdb_word_index.json"):
        data.load_imdb_word_index()


def test_no_network_and_no_local_copy_says_how_to_fix_it(tmp_path, monkeypatch):
    """The real download path, pointed at a port where nothing listens (as offline)."""
    monkeypatch.delenv(data.DATA_DIR_VARIABLE, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # an empty Keras cache
    monkeypatch.setattr(data, "MNIST_ORIGIN", "http://127.0.0.1:9/mnist.npz")
    with pytest.raises(data.DatasetError, match="Could not download 'mnist.npz'") as error:
        data.load_mnist()
    assert data.DATA_DIR_VARIABLE in str(error.value)
