"""IMDB reviews (being built)."""

from ui.layout import setup_page

setup_page("IMDB reviews", ":material/construction:", "This experiment is being built.")
