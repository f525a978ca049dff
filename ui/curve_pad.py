"""A pad for drawing a 1-D curve with the mouse, a pen or a finger: an inline
st.components.v2 component (no build step), like the MNIST drawing pad. At the end of each
stroke the drawn points, in the plot's own coordinates, go to Python."""

from __future__ import annotations

import streamlit as st

WIDTH, HEIGHT = 600, 240  # pixels
X_RANGE, Y_RANGE = (-3.0, 3.0), (-2.0, 2.0)  # what the pad's corners stand for

HTML = f"""
<div class="curve-pad">
  <canvas id="curve-pad" width="{WIDTH}" height="{HEIGHT}"
          aria-label="Draw a curve: x from {X_RANGE[0]:g} to {X_RANGE[1]:g}"></canvas>
  <button type="button" id="curve-clear">Clear</button>
</div>
"""

CSS = """
.curve-pad {display: flex; flex-direction: column; gap: 0.5rem; align-items: flex-start;}
canvas {background: #fff; border: 1px solid #bbb; border-radius: 0.5rem; touch-action: none;
        cursor: crosshair; max-width: 100%;}
button {font: inherit; padding: 0.3rem 1.2rem; border-radius: 0.5rem; cursor: pointer;
        border: 1px solid #bbb; background: #fff;}
"""

JS = f"""
export default function (component) {{
  const {{ parentElement, setStateValue }} = component;
  const canvas = parentElement.querySelector("#curve-pad");
  const pen = canvas.getContext("2d");
  const [xLow, xHigh, yLow, yHigh] = [{X_RANGE[0]}, {X_RANGE[1]}, {Y_RANGE[0]}, {Y_RANGE[1]}];
  if (!canvas.points) canvas.points = [];
  const axes = () => {{
    pen.fillStyle = "#fff"; pen.fillRect(0, 0, canvas.width, canvas.height);
    pen.strokeStyle = "#ccc"; pen.lineWidth = 1; pen.beginPath();
    pen.moveTo(0, canvas.height / 2); pen.lineTo(canvas.width, canvas.height / 2);
    pen.moveTo(canvas.width / 2, 0); pen.lineTo(canvas.width / 2, canvas.height); pen.stroke();
    pen.strokeStyle = "#333"; pen.lineWidth = 3; pen.lineCap = "round";
  }};
  if (!canvas.dataset.ready) {{ axes(); canvas.dataset.ready = "1"; }}
  let drawing = false, last = null;
  const place = (event) => {{
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width,
            (event.clientY - box.top) * canvas.height / box.height];
  }};
  const keep = ([px, py]) => canvas.points.push([
    xLow + (px / canvas.width) * (xHigh - xLow), yHigh - (py / canvas.height) * (yHigh - yLow)]);
  canvas.onpointerdown = (event) => {{
    drawing = true; canvas.setPointerCapture(event.pointerId);
    last = place(event); keep(last); pen.beginPath(); pen.moveTo(...last);
  }};
  canvas.onpointermove = (event) => {{
    if (!drawing) return;
    const here = place(event);
    pen.lineTo(...here); pen.stroke();
    if (Math.abs(here[0] - last[0]) >= 6) {{ keep(here); last = here; }}  // about 100 points
  }};
  const finish = () => {{
    if (!drawing) return;
    drawing = false;
    setStateValue("points", canvas.points.slice());  // end of a stroke -> Python
  }};
  canvas.onpointerup = finish; canvas.onpointercancel = finish;
  parentElement.querySelector("#curve-clear").onclick = () => {{
    canvas.points = []; axes(); setStateValue("points", null);
  }};
}}
"""

_curve_pad = st.components.v2.component("nn_explorer.curve_pad", html=HTML, css=CSS, js=JS)


def curve_pad(key: str) -> list[list[float]] | None:
    """Show the pad; return the drawn points [[x, y], ...] (all strokes until Clear), or None
    when nothing is drawn."""
    result = _curve_pad(key=key, on_points_change=lambda: None, height=HEIGHT + 60)
    return result.get("points") if result else None
