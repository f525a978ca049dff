"""Home page: what each experiment teaches and where to start."""

import streamlit as st

from ui.layout import setup_page

setup_page(
    "Neural-network explorer",
    ":material/neurology:",
    "The chapter **Artificial Neural Networks** as live experiments: every network here is a "
    "real Keras model trained while you watch, on the same data as the chapter. Pick a page "
    "in the sidebar; each one starts with the chapter's own settings.",
)

st.markdown(
    """
| page | what it teaches | try first |
|---|---|---|
| **Perceptron** | Rosenblatt's learning rule, one update at a time; why it fails on XOR | step through AND, then switch to XOR |
| **Inside a network** | one neuron, activation functions and their slopes, why hidden layers need non-linearity, the forward pass as matrix products, universal approximation | turn a neuron's weights, then fit a sine with 1, then 30 units |
| **How it learns** | gradient descent and the learning rate, backpropagation step by step, weight initialisation, batch size | raise the learning rate until descent zig-zags, then diverges |
| **MLP on moons** | underfitting and overfitting; L1/L2 and dropout | hidden units 1, then 50, then add dropout |
| **MNIST digits** | a digit classifier, its errors, what its hidden units see | train with the defaults, then draw a digit |
| **IMDB reviews** | overfitting on real text, and three ways to fight it | train the four presets, then write a review |
| **Runs** | every run of your session side by side, as TensorBoard's HParams view | pin a run and compare the others with it |
"""
)
st.info(
    "Training is deterministic: the same settings and seed give the same curves. Every page "
    "keeps its settings in the address bar, so a copied link reproduces the run; add "
    "`&present=1` for a projector, and `&show=units_0,l2` to keep only those controls.",
    icon=":material/info:",
)
