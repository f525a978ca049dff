"""Values that a widget shows and the server sets as well: the MLP page's big-plot node (set
by a click on the diagram) and its replay frame (set when a replay ends or a link names it).

Streamlit's browser sends the value of every widget it has drawn with each rerun it asks for.
A rerun asked for before the browser has drawn a value the server set (a chart under the
pointer reports the pointer leaving while the page is being redrawn) carries the widget's old
value, and Streamlit takes it as the user's: the server's value is undone. So the value lives
in a plain session key, and the widget's key changes each time the server sets the value; an
old value then arrives for a key that is no longer drawn, and changes nothing. (Streamlit
still runs that old widget's on_change, as a value it no longer holds counts as a change:
`take` ignores a change made on a key that is not the current one.)"""

from __future__ import annotations

import streamlit as st


def value(name: str, default=None):
    return st.session_state.get(name, default)


def set_value(name: str, new_value) -> None:
    """The server's own change: shown by a widget with a new key."""
    st.session_state[name] = new_value
    st.session_state[_generation(name)] = st.session_state.get(_generation(name), 0) + 1


def _widget_key(name: str) -> str:
    """The key of the widget that shows `name` now."""
    return f"{name}_{st.session_state.get(_generation(name), 0)}"


def widget(name: str) -> dict:
    """The keywords of the widget that shows `name` now: its key, and `take` as its
    on_change (the widget's value is given by the caller, from value(name))."""
    key = _widget_key(name)
    return {"key": key, "on_change": take, "args": (name, key)}


def take(name: str, key: str) -> None:
    """The user's change, made on the widget with that key (if it is still the one drawn)."""
    if key == _widget_key(name):
        st.session_state[name] = st.session_state[key]


def _generation(name: str) -> str:
    return f"{name}__generation"
