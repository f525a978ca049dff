"""Training histories (one row per epoch) made light enough to draw and to keep."""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_CURVE_POINTS = 400  # longer histories are thinned so a 10,000-epoch curve stays light


def thin_history(history: pd.DataFrame, max_points: int = MAX_CURVE_POINTS) -> pd.DataFrame:
    """Every k-th epoch (always keeping the last) so long runs draw quickly."""
    if len(history) <= max_points:
        return history
    step = int(np.ceil(len(history) / max_points))
    keep = np.unique(np.r_[np.arange(0, len(history), step), len(history) - 1])
    return history.iloc[keep]
