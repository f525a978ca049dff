"""The app's engine: data, models and training, free of Streamlit."""

import os

from nn_core import xla_cache

# Before TensorFlow's first XLA compilation, which reads the setting (see nn_core.xla_cache).
xla_cache.use_disk()
# Before TensorFlow is imported, which reads it: every loop loaded from that disk cache makes
# TensorFlow's C++ log print two errors that are none (a text-format parse tried before the
# binary one succeeds; tuning flags in the saved machine description, with "could lead to
# SIGILL"), which would fill a teacher's terminal. Real failures still raise in Python; set
# TF_CPP_MIN_LOG_LEVEL (0-2) to see the log.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
