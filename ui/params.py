"""Widgets whose values live in the URL query string, so a copied link opens the page with the
same settings and seed (as TensorFlow Playground's links do), plus a presenter mode.

A page makes one `PageParams(prefix)`, draws its controls through it, then calls `sync()`.
On a session's first run a value in the URL replaces the widget's default; an unknown or
out-of-range value falls back to the default and is listed in a visible notice. Afterwards the
widgets own their values and `sync()` writes those that differ from the defaults to the URL.

Presenter mode: `?present=1` hides the sidebar and enlarges text for a projector;
`&show=units_0,l2` keeps just those controls, drawn at the top of the page.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import streamlit as st

PRESENTER_CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] {display: none;}
  .stMainBlockContainer {max-width: 96vw; font-size: 1.3rem;}
  .stMainBlockContainer p, .stMainBlockContainer li {font-size: 1.3rem;}
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: 3rem !important;}
</style>
"""
RESERVED = {"present", "show"}  # URL keys that are not widget values


@dataclass
class PageParams:
    prefix: str  # widget keys are f"{prefix}_{name}"; URL keys are just name
    defaults: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)

    def __post_init__(self):
        flag = st.query_params.get("present", "")
        self.presenting = flag.lower() in {"1", "true", "yes", "on"}
        shown = st.query_params.get("show", "")
        self.shown = {name.strip() for name in shown.split(",") if name.strip()}
        if self.presenting:
            st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
            self.top = st.container() if self.shown else None

    # ---------------------------------------------------------------- placement

    def header(self, text: str) -> None:
        """A sidebar section header (not drawn in presenter mode)."""
        if not self.presenting:
            st.sidebar.header(text)

    def _container(self, name: str):
        """Where a control goes: the sidebar, the top of the page, or nowhere (hidden)."""
        if not self.presenting:
            return st.sidebar
        return self.top if name in self.shown else None

    # ---------------------------------------------------------------- widgets

    def _widget(self, name, default, parse, draw: Callable, **draw_options):
        key = f"{self.prefix}_{name}"
        self.defaults[name] = default
        if key not in st.session_state:
            st.session_state[key] = self._from_url(name, default, parse)
        container = self._container(name)
        if container is None:  # hidden in presenter mode: the value still counts
            return st.session_state[key]
        return draw(container, key=key, **draw_options)

    def _from_url(self, name, default, parse):
        if name not in st.query_params:
            return default
        text = st.query_params[name]
        try:
            return parse(text)
        except (ValueError, TypeError, IndexError) as error:
            self.notices.append(f"`{name}={text}` ({error}); using the default, {default}.")
            return default

    def slider(self, name, label, low, high, default, step=None, **options):
        whole = all(isinstance(value, int) for value in (low, high, default, step or 1))
        parse = _number_parser(low, high, whole)
        return self._widget(
            name,
            default,
            parse,
            lambda where, **kw: where.slider(label, low, high, step=step, **kw),
            **options,
        )

    def number(self, name, label, low, high, default, **options):
        parse = _number_parser(low, high, whole=True)
        return self._widget(
            name,
            default,
            parse,
            lambda where, **kw: where.number_input(label, low, high, **kw),
            **options,
        )

    def _choice(self, kind: str, name, label, choices: Sequence, default, **options):
        """A widget picking one of `choices` (kind: select_slider, selectbox or radio)."""
        draw = lambda where, **kw: getattr(where, kind)(label, choices, **kw)  # noqa: E731
        return self._widget(name, default, _choice_parser(choices), draw, **options)

    def select_slider(self, name, label, choices: Sequence, default, **options):
        return self._choice("select_slider", name, label, choices, default, **options)

    def selectbox(self, name, label, choices: Sequence, default, **options):
        return self._choice("selectbox", name, label, choices, default, **options)

    def radio(self, name, label, choices: Sequence, default, **options):
        return self._choice("radio", name, label, choices, default, **options)

    # ---------------------------------------------------------------- after the controls

    def sync(self) -> None:
        """Show notices about rejected URL values, then write non-default values to the URL."""
        if self.notices:
            st.warning(
                "Some settings in the link were not understood and use their defaults: "
                + " ".join(self.notices),
                icon=":material/link_off:",
            )
        for name, default in self.defaults.items():
            value = st.session_state.get(f"{self.prefix}_{name}", default)
            if value == default:
                st.query_params.pop(name, None)
            else:
                st.query_params[name] = _to_text(value)

    def link_help(self) -> None:
        if self.presenting:
            return
        st.sidebar.caption(
            "The address bar holds these settings: copy it to share this exact run. Add "
            "`&present=1` for a projector, and `&show=name,name` to keep only those controls."
        )


def _to_text(value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _number_parser(low, high, whole: bool):
    def parse(text: str):
        number = float(text)
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        if whole:
            if not number.is_integer():
                raise ValueError("must be a whole number")
            return int(number)
        return number

    return parse


def _choice_parser(choices: Sequence):
    def parse(text: str):
        for choice in choices:
            if str(choice) == text or _same_number(choice, text):
                return choice
        shown = ", ".join(str(choice) for choice in choices[:8])
        raise ValueError(f"must be one of {shown}{', ...' if len(choices) > 8 else ''}")

    return parse


def _same_number(choice, text: str) -> bool:
    if isinstance(choice, bool) or not isinstance(choice, int | float):
        return False
    try:
        return float(text) == float(choice)
    except ValueError:
        return False
