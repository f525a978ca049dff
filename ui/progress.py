"""The live training display: a progress bar and loss curves that grow epoch by epoch."""

from __future__ import annotations

import time

import pandas as pd
import streamlit as st

from nn_core import charts
from ui.layout import show_chart


class TrainingProgress:
    """Callable as nn_core's on_epoch_end; redraws at most every `interval` seconds so the
    browser is not flooded by short epochs."""

    def __init__(self, label: str = "Training", interval: float = 0.4, show_curves: bool = True):
        self.label = label
        self.interval = interval
        self.bar = st.progress(0.0, text=f"{label}…")
        self.curves = st.empty() if show_curves else None
        self._last_draw = 0.0

    def __call__(self, epochs_done: int, epochs: int, history: pd.DataFrame) -> None:
        now = time.monotonic()
        if epochs_done < epochs and now - self._last_draw < self.interval:
            return
        self._last_draw = now
        self.bar.progress(
            epochs_done / epochs, text=f"{self.label}: epoch {epochs_done} of {epochs}"
        )
        if self.curves is not None and epochs_done < epochs:
            show_chart(
                charts.learning_curves(history, "loss", height=230), self.curves, width="stretch"
            )

    def clear(self) -> None:
        self.bar.empty()
        if self.curves is not None:
            self.curves.empty()
