"""What a result weighs, and the server's budget for results (issue 18)."""

import numpy as np
import pandas as pd
from scipy import sparse

from nn_core import chapter, memory, training


def test_a_trained_result_weighs_its_weights_and_curves():
    result = training.train_split(
        chapter.MOONS_NETWORK, training.TrainConfig(epochs=50), chapter.moons_split()
    )
    weights = sum(array.nbytes for array in result.weights)
    curves = int(result.history.memory_usage(deep=True).sum())
    assert weights + curves <= memory.size_in_bytes(result) <= weights + curves + 20_000


def test_sizes_of_grids_frames_sparse_matrices_and_shared_arrays():
    grid = np.zeros((200, 200), np.float32)
    assert memory.size_in_bytes((grid, grid)) == grid.nbytes  # the same array counted once
    frame = pd.DataFrame({"a": np.zeros(1000)})
    assert memory.size_in_bytes(frame) >= 8000
    matrix = sparse.random(100, 1000, density=0.01, format="csr", dtype=np.float32)
    expected = matrix.data.nbytes + matrix.indices.nbytes + matrix.indptr.nbytes
    assert memory.size_in_bytes(matrix) == expected


def test_the_budget_is_a_quarter_of_the_memory_within_bounds():
    gib = 1024**3
    assert memory.result_budget(int(2.7 * gib)) == int(2.7 * gib * 0.25)  # Community Cloud
    assert memory.result_budget(24 * gib) == memory.MAX_BUDGET
    assert memory.result_budget(gib // 8) == memory.MIN_BUDGET
    assert memory.server_memory_bytes() > 0
