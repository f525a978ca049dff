"""Training-time estimates for the pages: nn_core.cost priced with this machine's speed,
measured once per server in the background (until then the built-in prices are used)."""

from __future__ import annotations

import threading

import streamlit as st

from nn_core import cost
from nn_core.models import parameter_count

SHORT_SECONDS = 3.0  # estimated under this: a short training, never queued behind long ones


# Measured once per server process (not in a Streamlit cache, which a test or an admin may
# clear): the first estimate starts the measurement in the background.
_speed = {"measured": cost.DEFAULT_SPEED, "started": False}
_speed_lock = threading.Lock()


def _measure() -> None:
    _speed["measured"] = cost.calibrate()


def server_speed() -> cost.Speed:
    with _speed_lock:
        if not _speed["started"]:
            _speed["started"] = True
            threading.Thread(target=_measure, name="calibrate training speed", daemon=True).start()
    return _speed["measured"]


def estimate(spec, config, train_count, validation_count=0, inputs_per_sample=None) -> float:
    """Seconds this training should take on this server."""
    speed = server_speed()
    return cost.estimate_seconds(
        spec, config, train_count, validation_count, inputs_per_sample, speed
    )


def is_long(seconds: float) -> bool:
    """A training that takes a long slot (nn_core.pool)."""
    return seconds > SHORT_SECONDS


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
