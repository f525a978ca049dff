"""The app's engine: data, models and training, free of Streamlit."""

from nn_core import xla_cache

# Before TensorFlow's first XLA compilation, which reads the setting (see nn_core.xla_cache).
xla_cache.use_disk()
