"""Make ``resources/sample/Scanned letter.pdf``: a two-page letter with no text layer.

The pages are pictures of text (rendered with Pillow at 200 dpi, grey, a little soft and
tilted, as a flatbed scanner gives them; JPEG in the PDF) with no text layer, so the only way to
read the letter is OCR. ``self-test`` searches for words of :data:`PHRASE` and requires the hit
on page 2, which proves that the frozen app carries a working OCR stack (RapidOCR, ONNX Runtime,
OpenCV). The PDF is in git; run this again only to change the letter::

    .venv/bin/python packaging/scanned_sample.py
"""

from __future__ import annotations

import random
import textwrap
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "sample" / "Scanned letter.pdf"

DPI = 200
#: A5 notepaper: half the pixels of A4, so OCR takes half the time (self-test runs it).
PAGE_PX = (round(5.83 * DPI), round(8.27 * DPI))
MARGIN_PX = round(0.7 * DPI)
FONT_PX = 36  # about 13 pt at 200 dpi
LINE_PX = 58
WRAP = 42  # characters per line: the angle classifier misreads very long lines
#: JPEG quality (Huffman tables optimised): about 50 KB a page, and RapidOCR reads every line.
QUALITY = 50  # characters per line

#: The words self-test searches for; they are on page 2 only.
PHRASE = "brass barometer in the hallway"

PAGES = (
    (
        "Harbour Cottage, 14 March",
        "",
        "Dear Margaret,",
        "",
        "Thank you for your letter and the seed catalogue, which came on the morning of the "
        "first gale of spring. The wind took two slates from the back roof, but the house is "
        "sound and the fire kept us warm enough to read your news twice over.",
    ),
    (
        "Father's things are boxed in the spare room. Most can go to the sale in May, but I "
        "have kept the clock and the brass barometer in the hallway, which he tapped every "
        "morning before taking the boat out. I think you will want it for your new house.",
        "",
        "With love, Ellen",
    ),
)


def _font() -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in ("DejaVuSerif.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf"):
        try:
            return ImageFont.truetype(name, FONT_PX)
        except OSError:
            continue
    return ImageFont.load_default(size=FONT_PX)


def render_page(paragraphs: tuple[str, ...], number: int, seed: int) -> Image.Image:
    """One page as a greyscale picture, a little soft and tilted like a scan."""
    rng = random.Random(seed)  # noqa: S311 (a repeatable tilt, not a secret)
    page = Image.new("L", PAGE_PX, 246)
    draw = ImageDraw.Draw(page)
    font = _font()
    y = MARGIN_PX
    for paragraph in paragraphs:
        for line in textwrap.wrap(paragraph, WRAP) or [""]:
            draw.text((MARGIN_PX, y), line, fill=28, font=font)
            y += LINE_PX
    draw.text((PAGE_PX[0] // 2 - 10, PAGE_PX[1] - MARGIN_PX // 2), str(number), 28, font)
    page = page.filter(ImageFilter.GaussianBlur(0.6))
    page = page.rotate(rng.uniform(-0.6, 0.6), resample=Image.Resampling.BICUBIC, fillcolor=246)
    return page


def main() -> None:
    pages = [render_page(text, n, seed=n) for n, text in enumerate(PAGES, start=1)]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    pages[0].save(
        OUT,
        "PDF",
        resolution=DPI,
        save_all=True,
        append_images=pages[1:],
        quality=QUALITY,
        optimize=True,
        title="Scanned letter",
        producer="packaging/scanned_sample.py",
        creationDate=None,
        modDate=None,
    )
    print(f"{OUT.relative_to(ROOT)}: {len(pages)} pages, {OUT.stat().st_size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
