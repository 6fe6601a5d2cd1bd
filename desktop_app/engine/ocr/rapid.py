"""RapidOCR (PaddleOCR's PP-OCRv4 models on ONNX Runtime, CPU) as the OCR backend.

The model is loaded once per extraction worker, on its first image page, with one ONNX
Runtime thread: there are as many workers as cores, and a worker using every core would
fight the others (and the embedder). Loading costs about 0.3 s; the worker's RSS grows by
the model and OpenCV (see ``log`` at load).
"""

from __future__ import annotations

import logging
import threading
import time
from importlib import metadata
from typing import TYPE_CHECKING, Any, Final

from desktop_app.engine.ocr.lines import Line

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

PACKAGE: Final = "rapidocr-onnxruntime"
#: Longest side, in pixels, of what the detector sees (RapidOCR's own default); a larger
#: image is scaled down first, which bounds the time and memory of one page.
MAX_SIDE: Final = 2000

_engine: Any = None
_lock = threading.Lock()


def engine_id() -> str:
    try:
        version = metadata.version(PACKAGE)
    except metadata.PackageNotFoundError:  # a frozen app without the dist-info
        version = "unknown"
    return f"{PACKAGE} {version}"


def _load() -> Any:
    global _engine
    with _lock:
        if _engine is None:
            started = time.monotonic()
            from rapidocr_onnxruntime import RapidOCR

            _engine = RapidOCR(
                intra_op_num_threads=1, inter_op_num_threads=1, max_side_len=MAX_SIDE
            )
            log.info(
                "OCR model loaded in %.2f s (worker RSS %s)", time.monotonic() - started, _rss()
            )
        return _engine


def _rss() -> str:
    try:
        import psutil

        return f"{psutil.Process().memory_info().rss / 2**20:.0f} MB"
    except Exception:  # a reading for the log only
        return "unknown"


def recognize(image: Image) -> list[Line]:
    import numpy as np

    engine = _load()
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    # RapidOCR expects OpenCV's channel order (BGR) for an array.
    pixels = np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])
    result, _ = engine(pixels)
    lines = []
    for box, text, score in result or ():
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        if str(text).strip():
            lines.append(Line(str(text), float(score), min(xs), min(ys), max(xs), max(ys)))
    return lines
