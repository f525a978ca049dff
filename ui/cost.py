"""Training-time estimates for the pages: nn_core.cost priced with this machine's speed,
measured once per server by the warm-up (until then the built-in prices are used)."""

from __future__ import annotations

import streamlit as st

from nn_core import cost
from nn_core.models import parameter_count

# Measured once per server process by the warm-up (ui.warmup, after the home page is drawn),
# not in a Streamlit cache, which a test or an admin may clear. Until then, and on a server
# whose visitors all arrive by deep links, the built-in prices (measured on this project's
# 2-core machines) are used: measuring beside a student's first trainings slowed them.
_speed = {"measured": cost.DEFAULT_SPEED}


def measure_speed() -> None:
    """Price training on this machine (about two seconds of CPU)."""
    _speed["measured"] = cost.calibrate()


def estimate(spec, config, train_count, validation_count=0, inputs_per_sample=None) -> float:
    """Seconds this training should take on this server."""
    return cost.estimate_seconds(
        spec, config, train_count, validation_count, inputs_per_sample, _speed["measured"]
    )


def confirm_long(seconds: float, spec, config, key: str) -> bool:
    """For a setting estimated above cost.LONG_SECONDS: say so and ask. True once the student
    has confirmed (a slider move never starts such a run on its own)."""
    if seconds <= cost.LONG_SECONDS:
        return True
    st.warning(
        f"This setting would train for {cost.describe(seconds)} ({config.epochs:,} epochs of "
        f"a network with {parameter_count(spec):,} parameters), so it waits for you: train "
        "it, or choose fewer epochs, a larger batch or a smaller network. A training can be "
        "stopped at any time and keeps what it has learned.",
        icon=":material/hourglass_top:",
    )
    return st.button(f"Train it ({cost.describe(seconds)})", key=key, type="primary")
