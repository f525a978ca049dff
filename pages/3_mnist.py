"""MNIST digits (being built)."""

from ui.layout import setup_page

setup_page("MNIST digits", ":material/construction:", "This experiment is being built.")
