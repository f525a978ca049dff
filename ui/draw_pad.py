"""A drawing pad for digits: an inline st.components.v2 component (no build step). Strokes are
white on black like MNIST's digits; at the end of each stroke the canvas is sent to Python as a
PNG data URL. Works with a mouse, a pen or a finger (pointer events, no page scrolling)."""

from __future__ import annotations

import streamlit as st

SIZE = 280  # pixels; ten canvas pixels per MNIST pixel

HTML = f"""
<div class="pad">
  <canvas id="draw-pad" width="{SIZE}" height="{SIZE}" aria-label="Drawing pad"></canvas>
  <button type="button" id="draw-clear">Clear</button>
</div>
"""

CSS = """
.pad {display: flex; flex-direction: column; gap: 0.5rem; align-items: flex-start;}
canvas {background: #000; border-radius: 0.5rem; touch-action: none; cursor: crosshair;
        max-width: 100%;}
button {font: inherit; padding: 0.3rem 1.2rem; border-radius: 0.5rem; cursor: pointer;
        border: 1px solid #bbb; background: #fff;}
"""

JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
  const canvas = parentElement.querySelector("#draw-pad");
  const clear = parentElement.querySelector("#draw-clear");
  const pen = canvas.getContext("2d");
  const blank = () => { pen.fillStyle = "#000"; pen.fillRect(0, 0, canvas.width, canvas.height); };
  if (!canvas.dataset.ready) { blank(); canvas.dataset.ready = "1"; }
  pen.strokeStyle = "#fff"; pen.lineWidth = 22; pen.lineCap = "round"; pen.lineJoin = "round";
  let drawing = false;
  const point = (event) => {
    const box = canvas.getBoundingClientRect();
    return [(event.clientX - box.left) * canvas.width / box.width,
            (event.clientY - box.top) * canvas.height / box.height];
  };
  canvas.onpointerdown = (event) => {
    drawing = true; canvas.setPointerCapture(event.pointerId);
    const [x, y] = point(event); pen.beginPath(); pen.moveTo(x, y); pen.lineTo(x, y); pen.stroke();
  };
  canvas.onpointermove = (event) => {
    if (!drawing) return;
    const [x, y] = point(event); pen.lineTo(x, y); pen.stroke();
  };
  const finish = () => {
    if (!drawing) return;
    drawing = false;
    setStateValue("image", canvas.toDataURL("image/png"));  // end of a stroke -> Python
  };
  canvas.onpointerup = finish; canvas.onpointercancel = finish;
  clear.onclick = () => { blank(); setStateValue("image", null); };
}
"""

_draw_pad = st.components.v2.component("nn_explorer.draw_pad", html=HTML, css=CSS, js=JS)


def draw_pad(key: str) -> str | None:
    """Show the pad; return the current drawing as a PNG data URL, or None when it is empty."""
    result = _draw_pad(key=key, on_image_change=lambda: None, height=SIZE + 60)
    return result.get("image") if result else None
