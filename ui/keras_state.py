"""Stop Streamlit from wiping Keras' state after every script run.

Streamlit's script runner calls keras.backend.clear_session() at the end of each run (its
"problem modules" cleanup). With TensorFlow that resets the default graph, empties the eager
kernel cache and runs a full garbage collection: about half a second of CPU per rerun (most of
the time of a perceptron step or a scored review), and a reset of global state while another
session may be training. This app never builds models per rerun (nn_core pools them), so it
has nothing for that cleanup to free. Matplotlib figures are still closed, as Streamlit does.
"""

from __future__ import annotations

import sys

from streamlit.runtime.scriptrunner import script_runner


def _clean_without_keras() -> None:
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


def keep_keras_state() -> None:
    """Replace Streamlit's cleanup hook (a private function, looked up at each run's end);
    if a Streamlit version no longer has it, there is nothing to replace."""
    if hasattr(script_runner, "_clean_problem_modules"):
        script_runner._clean_problem_modules = _clean_without_keras
