"""Scanned documents made in the test: pictures of text, drawn with Pillow's own font.

Pillow (>= 10.1) carries a scalable default font, so nothing is read from the system's font
folders (a test must not depend on what fonts a machine has, nor read outside the checkout).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def page_picture(lines: list[str], size: tuple[int, int] = (1240, 1754)) -> Image.Image:
    """A white page (A4 at 150 dpi by default) with ``lines`` in black, 40 px type."""
    picture = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(picture)
    font = ImageFont.load_default(size=40)
    for row, line in enumerate(lines):
        draw.text((80, 120 + row * 80), line, fill="black", font=font)
    return picture


def scanned_pdf(path: Path, pages: list[list[str]], size: tuple[int, int] = (1240, 1754)) -> Path:
    """An image-only PDF: each page is one picture, with no text layer at all."""
    pictures = [page_picture(lines, size) for lines in pages]
    pictures[0].save(path, save_all=True, append_images=pictures[1:], resolution=150)
    return path


def scanned_image(path: Path, lines: list[str], **save: object) -> Path:
    """A picture of ``lines`` in the format ``path``'s extension names."""
    page_picture(lines).save(path, **save)
    return path
