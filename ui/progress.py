"""The live training display: a progress bar and loss curves that grow epoch by epoch."""

from __future__ import annotations

import itertools
import time

import pandas as pd
import streamlit as st

# Streamlit's signals that the script must end now: any interaction in the browser (the Stop
# button, another control) or the session closing (the tab was closed or left). They are
# raised inside st.* calls, here in the middle of a training.
from streamlit.runtime.scriptrunner_utils.exceptions import RerunException, StopException

from nn_core import charts
from nn_core.training import STOP
from ui.layout import show_chart

_stop_keys = (f"stop-training-{number}" for number in itertools.count())
WAITING = "waiting for a free slot while other trainings run first (Stop leaves the queue)"


class TrainingProgress:
    """Callable as nn_core's on_epoch_end: a progress bar, growing loss curves (redrawn at
    most every `interval` seconds) and a Stop button. When the page is interrupted (Stop,
    another control, the tab closed) the training stops and keeps what it has learned; the
    interruption is kept in `interruption` for the caller to raise once that is stored."""

    def __init__(self, label: str = "Training", interval: float = 0.4, show_curves: bool = True):
        self.label = label
        self.interval = interval
        self.interruption: Exception | None = None
        self.bar = st.progress(0.0, text=f"{label}…")
        self.stop = st.empty()
        # A click reruns the page, which interrupts this run at its next progress update.
        self.stop.button("Stop", icon=":material/stop_circle:", key=next(_stop_keys))
        self.curves = st.empty() if show_curves else None
        self._last_draw = 0.0

    def __call__(self, epochs_done: int, epochs: int, history: pd.DataFrame):
        try:
            self._draw(epochs_done, epochs, history)
        except (RerunException, StopException) as interruption:
            self.interruption = interruption
            return STOP
        return None

    def _draw(self, epochs_done: int, epochs: int, history: pd.DataFrame) -> None:
        if epochs_done == 0:  # queued behind other long trainings (nn_core.pool)
            self.bar.progress(0.0, text=f"{self.label}: {WAITING}")
            return
        self.bar.progress(
            epochs_done / epochs, text=f"{self.label}: epoch {epochs_done:,} of {epochs:,}"
        )
        now = time.monotonic()
        if self.curves is None or epochs_done == epochs or now - self._last_draw < self.interval:
            return
        self._last_draw = now
        show_chart(
            charts.learning_curves(history, "loss", height=230), self.curves, width="stretch"
        )

    def clear(self) -> None:
        for element in (self.bar, self.stop, self.curves):
            if element is not None:
                element.empty()
