"""A helper for the benches (not a bench: it prints no figures), like _common.py: a Streamlit
session without a browser, speaking the websocket protocol a browser speaks, so one process
can be thirty students on two cores (thirty Chromium tabs would need the cores the
server is being measured on).

What the browser does, and this does too:
- connects to `/_stcore/stream` with the subprotocol "streamlit";
- asks for a run with a BackMsg `rerun_script` (the page's name as in its URL, the query
  string, and the values of the widgets it has, each under the id the server gave it);
- reads ForwardMsg frames until `script_finished`: elements (`delta.new_element`) carry each
  widget's id, and an `exception` element is a traceback the student would see.

A widget is addressed by its key; its id comes from the elements of the previous run, and its
value is sent in the field Streamlit's serde for that widget type reads.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# The WidgetState field each widget type's value travels in (streamlit/elements/widgets/*.py,
# `value_type=`), and how a Python value is put there.
VALUE_FIELDS = {
    "slider": ("double_array_value", lambda value: [float(value)]),
    "select_slider": ("string_array_value", lambda value: [str(value)]),
    "selectbox": ("string_value", str),
    "radio": ("string_value", str),
    "number_input": ("double_value", float),
    "checkbox": ("bool_value", bool),
    "toggle": ("bool_value", bool),
    "button_group": ("string_array_value", lambda value: [str(value)]),
    "text_input": ("string_value", str),
    "multiselect": ("string_array_value", lambda values: [str(value) for value in values]),
}
STOP_BUTTON = "stop-training"  # ui.progress: the Stop button under a running training's bar
STOPPED = "stopped at epoch"  # what the page says of a stopped training (nn_core.training)
BUTTONS = {"button", "download_button"}
FINISHED = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_WITH_COMPILE_ERROR}


@dataclass
class Run:
    """What one run showed: how long it took, its tracebacks and error boxes, its text."""

    seconds: float
    exceptions: list[str]
    errors: list[str]
    texts: list[str] = field(default_factory=list)
    finished: bool = True
    stop_seconds: float | None = None  # from pressing Stop to the page saying it stopped
    stopped_while_queued: bool = False


@dataclass
class Widget:
    type: str
    id: str


class StreamlitSession:
    """One browser tab's session. Use `async with StreamlitSession(url, page) as tab:`."""

    def __init__(self, base_url: str, page: str = "", query: str = ""):
        self.address = base_url.replace("http", "ws", 1) + "/_stcore/stream"
        self.page, self.query = page, query
        self.widgets: dict[str, Widget] = {}  # key -> widget, as the last run drew them
        self.values: dict[str, object] = {}  # key -> value this tab has set
        self.socket = None

    async def __aenter__(self):
        self.socket = await websockets.connect(
            self.address, subprotocols=["streamlit"], max_size=None, open_timeout=60
        )
        return self

    async def __aexit__(self, *exc):
        await self.socket.close()

    async def open(self, timeout: float = 120) -> Run:
        """The tab's first run (a link opened)."""
        return await self._run(None, timeout)

    async def set(self, timeout: float = 120, **values) -> Run:
        """Change widgets (by key) as a student would, and wait for the page to answer."""
        unknown = [key for key in values if key not in self.widgets]
        if unknown:
            raise KeyError(f"no widget {unknown} on the page (it has {sorted(self.widgets)})")
        self.values.update(values)
        return await self._run(None, timeout)

    async def click(self, key: str, timeout: float = 600, stop_after: float | None = None) -> Run:
        """Press a button; the run that answers sees it pressed once. With `stop_after`, press
        the training's Stop button once the run has gone on that many seconds."""
        if key not in self.widgets:
            raise KeyError(f"no button {key!r} on the page (it has {sorted(self.widgets)})")
        return await self._run(self.widgets[key].id, timeout, stop_after)

    def has(self, key: str) -> bool:
        return key in self.widgets

    # ------------------------------------------------------------------ protocol

    def _request(self, pressed_id: str | None) -> bytes:
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        state.page_name = self.page
        state.page_script_hash = ""
        for key, value in self.values.items():
            widget = self.widgets.get(key)
            if widget is None or widget.type not in VALUE_FIELDS:
                continue
            name, convert = VALUE_FIELDS[widget.type]
            entry = state.widget_states.widgets.add(id=widget.id)
            converted = convert(value)
            if isinstance(converted, list):
                getattr(entry, name).data.extend(converted)
            else:
                setattr(entry, name, converted)
        if pressed_id:
            state.widget_states.widgets.add(id=pressed_id, trigger_value=True)
        return message.SerializeToString()

    async def _run(self, pressed_id, timeout: float, stop_after: float | None = None) -> Run:
        started = time.monotonic()
        await self.socket.send(self._request(pressed_id))
        run, widgets, stopped_at = Run(0.0, [], [], []), {}, None
        try:
            async with asyncio.timeout(timeout):
                while True:
                    waiting = stop_after is not None and stopped_at is None
                    try:  # while a Stop is due, wake up now and then to see whether it is time
                        frame = await asyncio.wait_for(self.socket.recv(), 0.2 if waiting else None)
                    except TimeoutError:
                        frame = None
                    if frame is not None:
                        message = ForwardMsg()
                        message.ParseFromString(frame)
                        kind = message.WhichOneof("type")
                        if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                            _read_element(message.delta.new_element, run, widgets)
                            said_stopped = run.texts and STOPPED in run.texts[-1].lower()
                            if stopped_at is not None and said_stopped and not run.stop_seconds:
                                run.stop_seconds = time.monotonic() - stopped_at
                        elif kind == "script_finished" and message.script_finished in FINISHED:
                            break
                    stop = next((key for key in widgets if key.startswith(STOP_BUTTON)), None)
                    due = stop_after is not None and time.monotonic() - started >= stop_after
                    if stopped_at is None and due and stop:
                        stopped_at = time.monotonic()
                        self.widgets.update(widgets)
                        await self.socket.send(self._request(widgets[stop].id))
        except TimeoutError:
            run.finished = False
        run.seconds = time.monotonic() - started
        if stopped_at is not None and run.stop_seconds is None and run.finished:
            # Stopped while still queued for a slot: nothing to keep, the page is back as it was
            run.stop_seconds = time.monotonic() - stopped_at
            run.stopped_while_queued = True
        if run.finished:
            self.widgets = widgets
        return run


def _read_element(element, run: Run, widgets: dict) -> None:
    kind = element.WhichOneof("type")
    if kind == "exception":
        run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
    elif kind == "alert":
        run.texts.append(element.alert.body)
        if element.alert.format == element.alert.ERROR:
            run.errors.append(element.alert.body)
    elif kind in ("markdown", "metric", "heading"):
        part = getattr(element, kind)
        run.texts.append(getattr(part, "body", "") or getattr(part, "label", ""))
    widget_id = getattr(getattr(element, kind, None), "id", "") if kind else ""
    key = widget_id.split("-", 2)[2] if widget_id.count("-") >= 2 else "None"
    if widget_id.startswith("$$ID-") and key != "None":  # keyless widgets end in "-None"
        if kind == "slider" and element.slider.type == element.slider.SELECT_SLIDER:
            kind = "select_slider"  # one proto for both, values sent differently
        widgets[key] = Widget(kind, widget_id)
