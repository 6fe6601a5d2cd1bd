"""RapidOCR 3 (PaddleOCR's PP-OCRv6 small models on ONNX Runtime, CPU) as the OCR backend.

Chosen by measurement (docs/BENCHMARKS.md, "OCR"): RapidOCR 3 with these settings read the
benchmark pages with 0.0% CER and 99% of their phrases; ``rapidocr-onnxruntime`` 1.4 read the
letters as well but ran words together ("additiveciphersprogrammedboth"), so under half the
phrases could be found. Tesseract was as accurate and cheaper, but needs a system program and
its language data, which the installers cannot ship on Windows and macOS.

The model is loaded once per extraction worker, on its first image page, with one ONNX
Runtime thread: there are as many workers as cores, and a worker using every core would
fight the others (and the embedder). The detector sees the page at most ``MAX_SIDE`` pixels
long and lines are recognised one at a time: 15-35% less CPU and half the memory of the
defaults, at the same accuracy. The models ship inside the wheel; RapidOCR would download a
missing one, so their presence is checked first and a missing model is an error, not a
download.
"""

from __future__ import annotations

import logging
import threading
import time
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from desktop_app.engine.ocr.lines import Line

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

PACKAGE: Final = "rapidocr"
#: Longest side, in pixels, of what the detector sees; a larger image is scaled down first,
#: which bounds the time and memory of one page.
MAX_SIDE: Final = 960
#: The model files the default configuration uses, inside the package's ``models`` folder.
MODELS: Final = ("PP-OCRv6_det_small.onnx", "PP-OCRv6_rec_small.onnx")
SETTINGS: Final = {
    "Global.use_cls": False,  # pages are upright (EXIF rotation is applied before)
    "Global.log_level": "warning",
    "EngineConfig.onnxruntime.intra_op_num_threads": 1,
    "EngineConfig.onnxruntime.inter_op_num_threads": 1,
    "Det.limit_type": "max",
    "Det.limit_side_len": MAX_SIDE,
    "Rec.rec_batch_num": 1,
}


class OcrModelMissing(RuntimeError):
    """A model file is not where the wheel puts it (a broken install or bundle)."""


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
            import rapidocr
            from rapidocr import RapidOCR

            models = Path(rapidocr.__file__).parent / "models"
            missing = [name for name in MODELS if not (models / name).is_file()]
            if missing:
                raise OcrModelMissing(f"OCR model missing: {', '.join(missing)} in {models}")
            _engine = RapidOCR(params=dict(SETTINGS))
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
    result = engine(pixels)
    if result.boxes is None:
        return []
    lines = []
    for box, text, score in zip(result.boxes, result.txts or (), result.scores or (), strict=False):
        xs = [float(p[0]) for p in box]
        ys = [float(p[1]) for p in box]
        if str(text).strip():
            lines.append(Line(str(text), float(score), min(xs), min(ys), max(xs), max(ys)))
    return lines
