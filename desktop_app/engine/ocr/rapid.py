"""RapidOCR 3 (PaddleOCR's PP-OCRv6 small models on ONNX Runtime, CPU) as the OCR backend.

Chosen by measurement (docs/BENCHMARKS.md, "OCR"): RapidOCR 3 with these settings read the
benchmark pages with 0.0% CER and 99% of their phrases; ``rapidocr-onnxruntime`` 1.4 read the
letters as well but ran words together ("additiveciphersprogrammedboth"), so under half the
phrases could be found. Tesseract was as accurate and cheaper, but needs a system program and
its language data, which the installers cannot ship on Windows and macOS.

The model is loaded once per extraction worker, on its first image page, with ``THREADS``
ONNX Runtime threads. Only one worker recognises a page at a time (the OCR lock in
:mod:`.pages`), and text documents are indexed before the OCR phase, so a page may use two
cores: a dense A4 page at 150 dpi takes about 2 s instead of 3.7 s with one thread, on this
project's 2-core machine (more threads were not measured, and on a larger machine they would
take cores the embedder uses). The worker runs at a lower priority, so a search still gets
the CPU first. The detector sees the page at most ``MAX_SIDE`` pixels long and lines are
recognised one at a time: 15-35% less CPU and half the memory of the defaults, at the same
accuracy. The recogniser answers only in the characters of the ``ocr_languages`` setting
(:class:`MaskedSession`, :mod:`.languages`). The models ship inside the wheel; RapidOCR
would download a missing one, so their presence is checked first and a missing model is an
error, not a download.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from desktop_app.engine.ocr.languages import allowed_columns
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
#: ONNX Runtime's switch for its threads' busy-waiting (off: see _without_spinning).
SPIN_OPTION: Final = "session.intra_op.allow_spinning"
#: ONNX Runtime threads for one page: two cores, or one on a single-core machine.
THREADS: Final = max(1, min(2, os.cpu_count() or 1))
SETTINGS: Final = {
    "Global.use_cls": False,  # pages are upright (EXIF rotation is applied before)
    "Global.log_level": "warning",
    "EngineConfig.onnxruntime.intra_op_num_threads": THREADS,
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
            with _without_spinning():
                _engine._load_det_model()
                recogniser = _engine._load_rec_model()
            recogniser.session = MaskedSession(recogniser.session, recogniser.postprocess_op)
            log.info(
                "OCR model loaded in %.2f s (worker RSS %s)", time.monotonic() - started, _rss()
            )
        return _engine


@contextmanager
def _without_spinning() -> Iterator[None]:
    """Sessions made in this block have ONNX Runtime's busy-waiting turned off.

    Why: between two recognitions (a page has one per line) the runtime's idle thread spins
    for a while instead of sleeping, taking a core from the Python work between the calls and
    from everything else. Off, a 150 dpi page took 3.9 instead of 4.5 CPU seconds at the same
    wall time. RapidOCR builds its sessions' options itself, so the builder is wrapped while
    the models load (RapidOCR is pinned; the option names are ONNX Runtime's).
    """
    from rapidocr.inference_engine.onnxruntime import main as ort_main

    session_class: Any = ort_main.OrtInferSession  # its method is replaced for a while
    original = session_class.__dict__["_init_sess_opts"]

    def options(cfg: Any) -> Any:
        made = original.__func__(cfg)
        made.add_session_config_entry(SPIN_OPTION, "0")
        return made

    session_class._init_sess_opts = staticmethod(options)
    try:
        yield
    finally:
        session_class._init_sess_opts = original


def _rss() -> str:
    try:
        import psutil

        return f"{psutil.Process().memory_info().rss / 2**20:.0f} MB"
    except Exception:  # a reading for the log only
        return "unknown"


class MaskedSession:
    """The recogniser's ONNX session, answering only in the characters of the languages in
    use (:mod:`.languages`): it returns the probabilities of those characters' columns, and
    points RapidOCR's decoder at the same characters, so both agree on what index means."""

    def __init__(self, inner: Any, decoder: Any) -> None:
        self.inner = inner
        self.decoder = decoder
        self.characters: list[str] = list(decoder.character)
        self.columns: Any = None
        self._chosen: dict[tuple[str, ...], Any] = {}
        self._languages: tuple[str, ...] | None = None

    def use(self, languages: tuple[str, ...]) -> None:
        if languages == self._languages:
            return
        if languages not in self._chosen:
            self._chosen[languages] = allowed_columns(self.characters, languages)
        self.columns = self._chosen[languages]
        chars = self.characters
        if self.columns is not None:
            chars = [self.characters[i] for i in self.columns]
        self.decoder.character = chars
        self.decoder.dict = {char: i for i, char in enumerate(chars)}
        self._languages = languages

    def __call__(self, batch: Any) -> Any:
        probabilities = self.inner(batch)
        if self.columns is None:
            return probabilities
        return probabilities[..., self.columns]


def recognize(image: Image, languages: tuple[str, ...] = ("en",)) -> list[Line]:
    import numpy as np

    engine = _load()
    engine.text_rec.session.use(languages)
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
            # RapidOCR's box corners run top-left, top-right, bottom-right, bottom-left.
            start = (ys[0], ys[3]) if len(ys) == 4 else (None, None)
            lines.append(Line(str(text), float(score), min(xs), min(ys), max(xs), max(ys), *start))
    return lines
