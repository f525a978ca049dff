"""Page setup and the sidebar menu every page draws."""

from __future__ import annotations

import json
import os
from pathlib import Path

import altair
import streamlit as st
from streamlit.dataframe_util import convert_anything_to_arrow_bytes

from nn_core import charts
from ui.class_room import keep_browser_id
from ui.keras_state import keep_keras_state
from ui.warmup import import_engine, keep_tidy

keep_keras_state()

# (script path, menu label, icon). Streamlit's own discovery of pages/ gives the URLs
# (/perceptron, /mlp_moons, ...); the menu is drawn here so the home page gets a real name.
PAGES = (
    ("streamlit_app.py", "Home", ":material/home:"),
    ("pages/1_perceptron.py", "Perceptron", ":material/linear_scale:"),
    ("pages/2_inside_a_network.py", "Inside a network", ":material/hub:"),
    ("pages/3_how_it_learns.py", "How it learns", ":material/trending_down:"),
    ("pages/4_mlp_moons.py", "MLP on moons", ":material/bubble_chart:"),
    ("pages/5_mnist.py", "MNIST digits", ":material/draw:"),
    ("pages/6_imdb.py", "IMDB reviews", ":material/movie:"),
    ("pages/7_runs.py", "Runs", ":material/table_chart:"),
    ("pages/8_class.py", "Class", ":material/groups:"),
)


ASSETS = Path(__file__).parent / "assets"
BASE_CSS = f"<style>{(ASSETS / 'base.css').read_text()}</style>"
CLOSE_SIDEBAR_SCRIPT = f"<script>{(ASSETS / 'close_sidebar.js').read_text()}</script>"

PRESENTER_CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"] {display: none;}
  /* The main chart above the fold at 1280x720: no blank band above the title. */
  .stMainBlockContainer {max-width: 96vw; font-size: 1.3rem; padding-top: 3rem;}
  .stMainBlockContainer p, .stMainBlockContainer li {font-size: 1.3rem;}
  [data-testid="stMetricValue"], [data-testid="stMetricValue"] * {font-size: 3rem !important;}
  /* Larger slider values need room above the track, or they sit on it. */
  [data-testid="stSlider"] {padding-top: 0.6rem;}
  [data-testid="stSliderThumbValue"] {font-size: 1.2rem; top: -1.6rem;}
  [data-baseweb="select"] div {font-size: 1.2rem;}
</style>
"""


def presenting() -> bool:
    """Presenter mode (`?present=1`): no sidebar, larger text, for a projector."""
    return st.query_params.get("present", "").lower() in {"1", "true", "yes", "on"}


def setup_page(title: str, icon: str, purpose: str) -> None:
    """Page config, the shared sidebar menu (hidden in presenter mode, on every page), the
    title and the one-paragraph purpose."""
    st.set_page_config(page_title=f"{title} · NN explorer", page_icon=icon, layout="wide")
    st.markdown(BASE_CSS, unsafe_allow_html=True)
    if presenting():
        st.markdown(PRESENTER_CSS, unsafe_allow_html=True)
    with st.sidebar:
        st.html(CLOSE_SIDEBAR_SCRIPT, unsafe_allow_javascript=True)
        keep_browser_id()
        for path, label, page_icon in PAGES:
            st.page_link(path, label=label, icon=page_icon)
        st.divider()
    st.title(title)
    st.markdown(purpose)
    keep_tidy()


def load_engine() -> None:
    """Import TensorFlow and the engine under a spinner, right after the page's title: seconds
    on the first visit after a restart (a deep link to a page, before the warm-up has done
    it), nothing afterwards (Streamlit shows a spinner only after half a second)."""
    with st.spinner("Starting the engine: TensorFlow loads once after a restart (a few seconds)…"):
        import_engine()


def metric_columns(count: int, key: str = "metric-row"):
    """Columns for a row of metrics: on a phone they wrap two per row (ui/assets/base.css)
    instead of stacking one per line like other columns."""
    return st.container(key=key).columns(count)


def show_chart(chart, where=None, width="stretch", **selection):
    """Draw an Altair chart (or its spec from vega_lite_spec) in `where` (default: the page);
    in presenter mode with projector-sized text, curves and plots. selection: Streamlit's
    on_select, key (and selection_mode) for a chart that is clicked on."""
    where = where or st
    spec = vega_lite_spec(chart)
    if presenting():
        spec = charts.for_projector(spec)
    # A copy: Streamlit moves the datasets out of the dict it gets, which may be a stored one.
    return where.vega_lite_chart(dict(spec), width=width, **selection)


# Checking a spec against Vega-Lite's schema took a third of converting it, on every new
# result (a class arriving at once queued behind it). The test suite checks every chart the
# pages draw (tests/conftest.py sets this); the app trusts what the tests have checked.
VALIDATE_CHARTS = bool(os.environ.get("NN_EXPLORER_VALIDATE_CHARTS"))
if not VALIDATE_CHARTS:
    # Nor is each piece checked as it is made (Altair's debug mode, on by default): 12% of
    # building the charts of every new MLP-page result.
    altair.utils.schemapi.disable_debug_mode()


def vega_lite_spec(chart) -> dict:
    """An Altair chart's Vega-Lite spec, its datasets already in the Arrow form Streamlit
    sends (converting rows on every draw was a third of redrawing a stored result). Every
    chart of the app is converted here, never by st.altair_chart: that one switches Altair's
    global data transformer while it converts, and a spec made at that moment in another
    session's thread picked up that session's data ("dictionary changed size during
    iteration", seen with 30 students). A spec already (a dict) is returned as it is."""
    if isinstance(chart, dict):
        return chart
    spec = chart.to_dict(validate=VALIDATE_CHARTS)
    datasets = spec.pop("datasets", {})
    hashed = [name for name in datasets if name.startswith(ALTAIR_DATA_PREFIX)]
    spec = _stable_names(spec, hashed)
    stable = {name: _stable_name(index) for index, name in enumerate(hashed)}
    spec["datasets"] = {stable.get(name, name): _arrow(rows) for name, rows in datasets.items()}
    return spec


def chart_spec(build, *arguments, **keywords) -> dict:
    """vega_lite_spec(build(*arguments, **keywords)), built once per distinct arguments for
    the whole server (a cache keyed by their contents). For charts drawn from settings rather
    than from a stored result (results.chart): building the Altair chart again on every run
    was 30-100 ms a chart, much of a lesson step's page switch."""
    return _chart_spec(build, f"{build.__module__}.{build.__qualname__}", arguments, keywords)


@st.cache_data(max_entries=256, show_spinner=False)
def _chart_spec(_build, name, arguments, keywords) -> dict:
    # `name` (the builder's) is only part of the cache key: Streamlit does not hash `_build`.
    return vega_lite_spec(_build(*arguments, **keywords))


def with_datasets(spec: dict, datasets: dict) -> dict:
    """A spec from vega_lite_spec with some of its named datasets replaced (rows as lists of
    dicts): a replay frame is the final weights' chart with the frame's data swapped in, so
    the server builds no chart and the browser keeps its view (both most of a frame)."""
    swapped = {name: _arrow(rows) for name, rows in datasets.items()}
    return {**spec, "datasets": {**spec["datasets"], **swapped}}


def _arrow(rows):
    return rows if isinstance(rows, bytes) else convert_anything_to_arrow_bytes(rows)


# Altair names inline data "data-" + a hash of its rows; the charts' own named datasets
# (nn_core.charts.PLANE_IMAGE, ...) keep their names.
ALTAIR_DATA_PREFIX = "data-"


def _stable_name(index: int) -> str:
    """Not data_0: Vega-Lite gives that name to data of its own, and the chart drew empty."""
    return f"nn_data_{index}"


def _stable_names(spec: dict, names: list[str]) -> dict:
    """The spec with Altair's datasets named by their order instead of by a hash of their
    rows: a chart whose data alone changed (a replay frame, a lesson's next result) then keeps
    the same spec, and the browser swaps its data in place instead of building the chart
    again (most of a redraw)."""
    text = json.dumps(spec)
    for index, name in enumerate(names):
        text = text.replace(f'"{name}"', f'"{_stable_name(index)}"')
    return json.loads(text)


def sectioned(params, sections: dict, default: str) -> dict:
    """A page of sections, one shown at a time: a row of buttons (bound to the URL like every
    control, so a link opens a section) and the chosen section's view. sections: name ->
    (label, view); view(params) draws the section and returns its result's numbers for a
    lesson (nn_core.lessons.FIELDS; None: none), which this returns ({} for none)."""
    with params.inside(st.container()):
        section = params.segmented(
            "section", "Section", list(sections), default, format_func=lambda s: sections[s][0]
        )
    fields = sections[section][1](params)
    params.link_help()
    params.sync()
    return fields or {}


def show_error(error: Exception) -> None:
    """A readable message for a problem nn_core reported, then stop the page run."""
    st.error(str(error), icon=":material/error:")
    st.stop()


def picked(selection, name: str, field: str):
    """The value of `field` in the point a click selected in a chart's selection `name`
    (Streamlit's selection state, e.g. st.session_state[chart_key].selection), or None."""
    chosen = selection.get(name) if hasattr(selection, "get") else None
    if isinstance(chosen, list) and chosen:
        return chosen[0].get(field)
    if isinstance(chosen, dict) and chosen.get(field) is not None:
        value = chosen[field]
        return value[0] if isinstance(value, list) else value
    return None
