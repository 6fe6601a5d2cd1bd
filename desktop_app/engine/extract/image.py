"""Image files (PNG, JPEG, TIFF, BMP, WebP, GIF) made searchable by OCR.

Pillow opens the file lazily (the header only), so a size that would not fit in memory is
refused before any pixel is decoded. A multi-page TIFF keeps its page numbers, so a result can
say "page 7"; a GIF is read from its first frame; other formats are one picture, without a
page number. Every segment is marked ``OCR_SECTION``: the text was recognised, not stored.
When OCR is off (or off for the file's folder) an image is "unsupported": no model is loaded.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from desktop_app.engine.extract.base import (
    OCR_OFF_MESSAGE,
    OCR_SECTION,
    Document,
    DocumentBuilder,
    ExtractionError,
    Limits,
    fault,
)

if TYPE_CHECKING:
    from PIL.Image import Image

log = logging.getLogger(__name__)

PAGE_GAP = "\n\n"
#: Formats whose extra frames are pages of a document (a GIF's are animation frames).
MULTI_PAGE_FORMATS = frozenset({"TIFF", "MPO"})


def extract_image(path: Path, limits: Limits) -> Document:
    if not limits.ocr.applies_to(limits.path_key or str(path)):
        raise ExtractionError("unsupported", OCR_OFF_MESSAGE)
    from PIL import Image as PILImage
    from PIL import UnidentifiedImageError

    from desktop_app.engine.ocr.pages import PageReader, check_pixels

    builder = DocumentBuilder("image", limits.max_chars)
    reader = PageReader(limits)
    try:
        picture: Any = PILImage.open(path)
    except UnidentifiedImageError as exc:
        raise ExtractionError("corrupt", "not a readable image") from exc
    except PILImage.DecompressionBombError as exc:
        raise ExtractionError("too_large", "the image is too large to decode") from exc
    with picture:
        frames = getattr(picture, "n_frames", 1) if picture.format in MULTI_PAGE_FORMATS else 1
        for index in range(frames):
            if builder.full:
                break
            number = index + 1

            def render(index: int = index) -> Image:
                picture.seek(index)
                check_pixels(*picture.size)
                return _rgb(picture)

            text = reader.read(number, render)
            builder.add_block(
                text, page=number if frames > 1 else None, section=OCR_SECTION, gap=PAGE_GAP
            )
    reader.finish()
    builder.page_problems.extend(reader.problems)
    try:
        return builder.build(path.stem)
    except ExtractionError as exc:
        if reader.problems:
            first = reader.problems[0]
            raise ExtractionError(first.reason, first.message) from exc
        raise ExtractionError("no_text", "no text recognised in the image") from exc


def _rgb(picture: Any) -> Image:
    """The current frame as RGB, upright as the camera's EXIF orientation says (a phone photo
    of a page is often stored sideways); transparency is laid on white (text is usually
    dark)."""
    from PIL import Image as PILImage
    from PIL import ImageOps

    try:
        picture = ImageOps.exif_transpose(picture) or picture
        if picture.mode in ("RGBA", "LA", "PA") or "transparency" in picture.info:
            rgba = picture.convert("RGBA")
            background = PILImage.new("RGBA", rgba.size, "white")
            flat: Image = PILImage.alpha_composite(background, rgba).convert("RGB")
            return flat
        converted: Image = picture.convert("RGB")
        return converted
    except OSError as exc:  # truncated or damaged pixel data
        raise ValueError(fault(exc)) from exc
