"""Widgets whose values live in the URL, so a copied link opens the page with the same settings
and seed (as TensorFlow Playground's links do), plus a presenter mode.

What Streamlit does (`bind="query-params"` on every widget drawn through PageParams): a value
in the URL seeds the widget on a session's first run; every change, and every value set
through st.session_state (the example buttons), is written back; a parameter whose widget
returns to its default, or is no longer drawn (units of a removed layer), leaves the URL. The
parameter's name is the widget's key, e.g. `?moons_units_0=3`.

What this module adds:
- A visible notice for values a link gets wrong. Streamlit drops them silently; here each
  one is checked first, named in a warning, and the default is used.
- Links made before the binding used short names (`?units_0=3`). They are still understood:
  on the first run each short name is read, checked, handed to its widget and rewritten in
  the URL under the bound name. The binding writes a choice as the control shows it
  (`moons_dataset=Circles`, `inside_section=Forward+pass`); a hand-written link may use the
  choice's own name (`circles`) too: the page opens with it, though the address bar drops
  that one value until the control is next changed (Streamlit's browser side discards a
  bound parameter it cannot read).
- Presenter mode: `?present=1` hides the sidebar and enlarges text for a projector;
  `&show=units_0,l2` keeps just those controls, drawn at the top of the page. Hidden controls
  are not drawn, so their values come from the link (and stay in it) without a widget.

A page makes one `PageParams(prefix)`, draws its controls through it, then calls `sync()`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode

import streamlit as st

from ui.layout import presenting

BOUND = "query-params"
# Settings a lesson step applies (ui.lesson): widget key -> value as a link writes it. Each
# is checked as a link's value is, when its control is next drawn.
LESSON_SETTINGS = "lesson_pending_settings"
# A lesson setting that puts a control back at its default (ui.lesson: the step's other
# controls).
TO_DEFAULT = "lesson: the control's default"
# Checking a lesson's settings (ui.lesson_check): the page stops after its controls, and what
# they said about the settings is kept here.
CHECK_ONLY = "lesson_check_only"
CHECK_NOTICES = "lesson_check_notices"


@dataclass
class PageParams:
    prefix: str  # widget keys (and URL names) are f"{prefix}_{name}"; `show=` takes the name
    notices: list = field(default_factory=list)
    home: object = None  # where controls go outside presenter mode (None: the sidebar)
    # name -> (URL name, value as the URL writes it, or None at the default): the link
    # "Present this view" is made of these.
    values: dict = field(default_factory=dict)
    # URL name -> text of what the page keeps in the URL itself, beyond its controls (drawn
    # points, the replay's frame): the presenter link carries these too.
    carried: dict = field(default_factory=dict)

    def __post_init__(self):
        self.presenting = presenting()
        shown = st.query_params.get("show", "")
        self.shown = {name.strip() for name in shown.split(",") if name.strip()}
        if self.presenting:  # (ui.layout.setup_page applied presenter mode's styles)
            # The controls under discussion side by side, above the page's charts.
            self.top = st.container(horizontal=True, gap="large") if self.shown else None

    # ---------------------------------------------------------------- placement

    def header(self, text: str) -> None:
        """A sidebar section header (not drawn in presenter mode)."""
        if not self.presenting:
            st.sidebar.header(text)

    @contextmanager
    def inside(self, container):
        """Draw the controls made in this block in `container` (e.g. next to a section's
        chart) instead of the sidebar; presenter mode still hides all but `show=`."""
        before, self.home = self.home, container
        try:
            yield container
        finally:
            self.home = before

    def _container(self, name: str):
        """Where a control goes: the sidebar (or `inside` one), the top of the page, or
        nowhere (hidden)."""
        if not self.presenting:
            return self.home or st.sidebar
        return self.top if name in self.shown else None

    # ---------------------------------------------------------------- widgets

    def _widget(self, name, default, check: Callable, draw: Callable, to_text=str, **options):
        """check(text) -> value parses a URL value or raises ValueError saying what is wrong;
        to_text(value) is how the binding writes a value in the URL."""
        key = f"{self.prefix}_{name}"
        container = self._container(name)
        pending = st.session_state.get(LESSON_SETTINGS, {})
        if key in pending and pending[key] == TO_DEFAULT:
            del pending[key]
            st.session_state[key] = default
        elif key in pending:
            self._from_lesson(name, key, pending.pop(key), check, to_text(default))
        elif key not in st.session_state:  # the session's first run of this widget
            value = self._from_link(name, key, default, check, to_text, container is not None)
            if value is not None:
                st.session_state[key] = value
        # The page's controls, which a lesson step puts back to their defaults.
        st.session_state.setdefault(f"{self.prefix}__controls", set()).add(key)
        if container is None:  # hidden in presenter mode: the value still counts
            value = st.session_state.get(key, default)
        else:
            options.setdefault("on_change", self._changed)
            options.setdefault("args", (name,))
            value = draw(container, key=key, value_or_index=default, **options)
        self.values[name] = (key, None if value == default else to_text(value))
        return value

    def _from_lesson(self, name, key, text, check, default_text) -> None:
        try:
            st.session_state[key] = check(text)
        except (ValueError, TypeError, IndexError) as error:
            using = "" if st.session_state.get(CHECK_ONLY) else f"; using {default_text}"
            self.notices.append(f"the lesson's `{name} = {text}`: {error}{using}.")

    def _changed(self, name: str) -> None:
        """Widget callback: remember the controls this session changed, latest last."""
        changed = st.session_state.setdefault(f"{self.prefix}__changed", [])
        if name in changed:
            changed.remove(name)
        changed.append(name)

    def _from_link(self, name, key, default, check, to_text, drawn: bool):
        """The value a link gives this control, or None to leave it to Streamlit (a bound
        parameter it will read itself) or to the default."""
        for url_name in (key, name):
            if url_name not in st.query_params:
                continue
            text = st.query_params[url_name]
            try:
                value = check(text)
            except (ValueError, TypeError, IndexError) as error:
                shown = to_text(default)
                self.notices.append(f"`{url_name}={text}` ({error}); using the default, {shown}.")
                del st.query_params[url_name]
                return None
            if url_name == key and drawn and text == to_text(value):
                return None  # as the binding writes it: Streamlit seeds the widget itself
            del st.query_params[url_name]
            if url_name == name and value != default:
                # An old short name: the link keeps the value under the bound name.
                st.query_params[key] = to_text(value)
            # Else the bound name with a value written another way than the binding writes it
            # (`moons_dataset=circles` for the shown "Circles"): the page opens with it, but
            # the browser drops such a parameter from the address bar on load, until the
            # control is next changed. Links the app makes are always in the bound form.
            return value
        return None

    def slider(self, name, label, low, high, default, step=None, **options):
        whole = all(isinstance(value, int) for value in (low, high, default, step or 1))
        check = _number_checker(low, high, whole)

        def draw(where, value_or_index, **kw):
            return where.slider(label, low, high, value_or_index, step=step, bind=BOUND, **kw)

        return self._widget(name, default, check, draw, **options)

    def number(self, name, label, low, high, default, **options):
        def draw(where, value_or_index, **kw):
            return where.number_input(label, low, high, value_or_index, bind=BOUND, **kw)

        return self._widget(name, default, _number_checker(low, high, whole=True), draw, **options)

    def checkbox(self, name, label, default: bool, **options) -> bool:
        def draw(where, value_or_index, **kw):
            return where.checkbox(label, value_or_index, bind=BOUND, **kw)

        to_text = lambda value: "true" if value else "false"  # noqa: E731 (as Streamlit writes it)
        return self._widget(name, default, _bool_checker, draw, to_text, **options)

    def _choice(self, kind: str, name, label, choices: Sequence, default, **options):
        """A widget picking one of `choices` (kind: select_slider, selectbox, radio or
        segmented_control)."""
        shown = options.get("format_func", str)

        def draw(where, value_or_index, **kw):
            if kind == "select_slider":
                return where.select_slider(label, choices, value_or_index, bind=BOUND, **kw)
            if kind == "segmented_control":  # required: a click on the chosen one keeps it
                return where.segmented_control(
                    label, choices, default=value_or_index, required=True, bind=BOUND, **kw
                )
            index = list(choices).index(value_or_index)
            return getattr(where, kind)(label, choices, index, bind=BOUND, **kw)

        to_text = lambda value: str(shown(value))  # noqa: E731
        return self._widget(
            name, default, _choice_checker(choices, shown), draw, to_text, **options
        )

    def select_slider(self, name, label, choices: Sequence, default, **options):
        return self._choice("select_slider", name, label, choices, default, **options)

    def selectbox(self, name, label, choices: Sequence, default, **options):
        return self._choice("selectbox", name, label, choices, default, **options)

    def radio(self, name, label, choices: Sequence, default, **options):
        return self._choice("radio", name, label, choices, default, **options)

    def segmented(self, name, label, choices: Sequence, default, **options):
        """A row of buttons picking exactly one choice."""
        return self._choice("segmented_control", name, label, choices, default, **options)

    # ---------------------------------------------------------------- beyond the controls

    def from_link_once(self, url_name: str, check: Callable):
        """What the link gives a value the page keeps in the URL itself (not a control's), on
        the session's first run only, checked by check(text) -> value; None when absent, or
        when wrong (then named in the notice, and dropped from the URL)."""
        read = st.session_state.setdefault(f"{self.prefix}__read_from_link", set())
        first = url_name not in read
        read.add(url_name)  # later runs: the URL holds what the page itself wrote there
        if not first or url_name not in st.query_params:
            return None
        text = st.query_params[url_name]
        try:
            return check(text)
        except (ValueError, TypeError) as error:
            self.notices.append(f"`{url_name}={_shortened(text)}` ({error}); left out.")
            del st.query_params[url_name]
            return None

    def keep_in_link(self, url_name: str, text: str | None) -> None:
        """Write a value the page keeps in the URL itself (None: leave it out)."""
        self.carried[url_name] = text
        if text is None:
            if url_name in st.query_params:
                del st.query_params[url_name]
        elif st.query_params.get(url_name) != text:
            st.query_params[url_name] = text

    # ---------------------------------------------------------------- after the controls

    def sync(self, every_control_drawn: bool = False) -> None:
        """Show a notice about values the link got wrong (Streamlit keeps the URL itself).
        every_control_drawn: the page has drawn all its controls, and kept in the URL what it
        keeps there itself, so a parameter of this page's that none of them read is wrong."""
        if every_control_drawn:
            self._leave_out_unread()
        pending = st.session_state.get(LESSON_SETTINGS, {})
        for key in [key for key in pending if key.startswith(f"{self.prefix}_")]:
            if pending[key] == TO_DEFAULT:  # a control this run did not draw (e.g. units_3)
                del pending[key]
                continue
            name = key.removeprefix(f"{self.prefix}_")
            ignored = "" if st.session_state.get(CHECK_ONLY) else "; ignored"
            self.notices.append(
                f"the lesson's `{name}` is not a setting of this page (or not one it shows "
                f"with the step's other settings){ignored}."
            )
            del pending[key]
        if st.session_state.get(CHECK_ONLY):
            st.session_state.setdefault(CHECK_NOTICES, []).extend(self.notices)
            st.stop()
        if self.notices:
            st.warning(
                "Some settings in the link were not understood: " + " ".join(self.notices),
                icon=":material/link_off:",
            )

    def _leave_out_unread(self) -> None:
        """On a session's first run: name, and drop from the URL, each of this page's
        parameters that no control read, e.g. `moons_units_4` (there are 4 layers at most)
        or `moons_units_1` with one hidden layer. Streamlit would keep it in the address bar,
        and in every link copied from there, though it changes nothing on the page."""
        checked = f"{self.prefix}__link_checked"
        if st.session_state.get(checked):
            return
        st.session_state[checked] = True
        read = {key for key, _ in self.values.values()} | set(self.carried)
        for url_name in list(st.query_params):
            if url_name.startswith(f"{self.prefix}_") and url_name not in read:
                self.notices.append(
                    f"`{url_name}={_shortened(st.query_params[url_name])}` is not a setting "
                    "of this page, or not one it has with the link's other settings; left out."
                )
                del st.query_params[url_name]

    def link_help(self) -> None:
        """How to share the page, and a link that opens this view in presenter mode."""
        if self.presenting:
            return
        st.sidebar.link_button(
            "Present this view",
            self.presenter_link(),
            icon=":material/co_present:",
            help="Opens this exact view for a projector: no sidebar, large text, and only the "
            "controls you changed last.",
        )
        st.sidebar.caption(
            "The address bar holds these settings: copy it to share this exact run. Add "
            "`&present=1` for a projector, and `&show=name,name` (e.g. `units_0,l2`) to keep "
            "only those controls."
        )

    def presenter_link(self, shown_at_most: int = 3) -> str:
        """A relative link to this page with its settings, `present=1` and `show=` naming the
        controls changed last (or, if none was changed this session, those off their
        default): the ones under discussion."""
        query = {key: text for key, text in self.values.values() if text is not None}
        query.update({name: text for name, text in self.carried.items() if text is not None})
        recent = [
            name
            for name in st.session_state.get(f"{self.prefix}__changed", [])
            if name in self.values
        ]
        off_default = [name for name, (_, text) in self.values.items() if text is not None]
        shown = (recent or off_default)[-shown_at_most:]
        query["present"] = "1"
        if shown:
            query["show"] = ",".join(shown)
        return "?" + urlencode(query, safe=",")


def _shortened(text: str) -> str:
    """A link's value as a notice quotes it: a long one (drawn points) cut short."""
    return text if len(text) <= 24 else text[:20] + "…"


def _number_checker(low, high, whole: bool):
    def check(text: str):
        number = float(text)
        if not math.isfinite(number) or not low <= number <= high:
            raise ValueError(f"must be between {low} and {high}")
        if whole:
            if not number.is_integer():
                raise ValueError("must be a whole number")
            return int(number)
        return number

    return check


def _bool_checker(text: str) -> bool:
    if text.lower() in ("true", "1", "on", "yes"):
        return True
    if text.lower() in ("false", "0", "off", "no"):
        return False
    raise ValueError("must be true or false")


def _choice_checker(choices: Sequence, shown: Callable):
    """The binding writes a choice as the text its widget shows (format_func); old links
    wrote str(choice), and numbers may come as '0.0010'."""

    def check(text: str):
        for choice in choices:
            if text in (str(shown(choice)), str(choice)) or _same_number(choice, text):
                return choice
        listed = ", ".join(str(shown(choice)) for choice in choices[:8])
        raise ValueError(f"must be one of {listed}{', …' if len(choices) > 8 else ''}")

    return check


def _same_number(choice, text: str) -> bool:
    if isinstance(choice, bool) or not isinstance(choice, int | float):
        return False
    try:
        return float(text) == float(choice)
    except ValueError:
        return False
