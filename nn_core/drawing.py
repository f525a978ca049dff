"""A hand-drawn or photographed digit made to look like an MNIST digit.

MNIST's own recipe (LeCun et al.): the digit's bounding box is scaled to fit a 20x20 box
(keeping its aspect ratio, with anti-aliasing, hence grey levels), then placed in a 28x28
frame so that its centre of mass sits at the frame's centre.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
from PIL import Image, UnidentifiedImageError
from scipy import ndimage

FRAME, BOX = 28, 20
INK_THRESHOLD = 0.1  # share of the brightest pixel below which a pixel is background
MAX_IMAGE_PIXELS = 4000 * 4000  # refuse photos larger than 16 megapixels


def preprocess_digit(gray: np.ndarray) -> np.ndarray:
    """A bright-on-dark grey image (any size, values 0-1) -> MNIST-like float32 [28, 28]."""
    gray = np.asarray(gray, dtype=np.float32)
    if gray.ndim != 2 or gray.size == 0:
        raise ValueError("Expected a two-dimensional grey image.")
    brightest = float(gray.max())
    ink = gray > INK_THRESHOLD * brightest
    if brightest <= 0.05 or ink.sum() < 3:
        raise ValueError("The drawing is empty: draw a digit first.")
    rows, columns = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    digit = gray[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1] / brightest
    digit = _fit_in_box(digit)
    frame = np.zeros((FRAME, FRAME), np.float32)
    top, left = (FRAME - digit.shape[0]) // 2, (FRAME - digit.shape[1]) // 2
    frame[top : top + digit.shape[0], left : left + digit.shape[1]] = digit
    return _centre_mass(frame)


def _fit_in_box(digit: np.ndarray) -> np.ndarray:
    """Scale so the longer side is 20 pixels, keeping the aspect ratio (a thin '1' stays thin)."""
    height, width = digit.shape
    scale = BOX / max(height, width)
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    image = Image.fromarray((np.clip(digit, 0, 1) * 255).astype(np.uint8))
    return np.asarray(image.resize(size, Image.Resampling.LANCZOS), np.float32) / 255.0


def _centre_mass(frame: np.ndarray) -> np.ndarray:
    """Shift by whole pixels so the centre of mass is at the frame's centre (13.5, 13.5)."""
    centre_row, centre_column = ndimage.center_of_mass(frame)
    middle = (FRAME - 1) / 2
    shift = (round(middle - centre_row), round(middle - centre_column))
    return np.clip(ndimage.shift(frame, shift, order=0, mode="constant"), 0, 1)


def as_model_input(digits: np.ndarray) -> np.ndarray:
    """[28, 28] or [n, 28, 28] grey levels 0-1 -> uint8 [n, 784], the raw-pixel form the
    MNIST models take."""
    return np.round(digits * 255).astype(np.uint8).reshape(-1, FRAME * FRAME)


def gray_from_data_url(url: str) -> np.ndarray:
    """A canvas' PNG data URL (white strokes on black) -> grey image, values 0-1."""
    if not isinstance(url, str) or not url.startswith("data:image/png;base64,"):
        raise ValueError("The drawing could not be read (not a PNG data URL).")
    try:
        raw = base64.b64decode(url.split(",", 1)[1], validate=True)
    except (binascii.Error, ValueError) as error:
        raise ValueError("The drawing could not be read (damaged data).") from error
    return _open_gray(raw)


def gray_from_photo(raw: bytes) -> np.ndarray:
    """A photo of a digit (usually dark ink on light paper) -> bright-on-dark grey, 0-1, with
    the paper's level subtracted so shadows and grain do not count as ink."""
    gray = _open_gray(raw)
    if np.median(gray) > 0.5:  # light paper: invert so the ink is bright, as in MNIST
        gray = 1.0 - gray
    background = float(np.percentile(gray, 60))
    return np.clip((gray - background) / max(1e-6, 1.0 - background), 0, 1)


def _open_gray(raw: bytes) -> np.ndarray:
    try:
        with Image.open(io.BytesIO(raw)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ValueError("The image is too large (more than 16 megapixels).")
            image.thumbnail((560, 560))  # plenty for a 28x28 result, and quick
            return np.asarray(image.convert("L"), np.float32) / 255.0
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise ValueError("This file is not an image that can be read (PNG or JPEG).") from error
