"""The OCR benchmark's page set: real prose rendered on A4 pages, degraded like a scan.

Usage: ``python -m tests.benchmarks.ocr_pages [--pages N] [--out DIR]`` (bench_ocr.py calls
:func:`generate` itself).

Deterministic (seeded): the same records, fonts, sizes and degradations on every run, so two
runs and two engines see the same pixels (given the same fonts and Pillow). Each page layout is
rendered twice, at 150 and at 300 dpi, with the same text, font and degradation in physical
units, so the two resolutions compare directly. The prose is CACM titles and abstracts
(``../shared/datasets/cacm``; a title set in bold two points larger, then its abstract), laid
out on A4 with 2 cm margins until the page is full: a dense page, ~3,000-5,000 characters.

Degradations, drawn per page: rotation of up to +-1.5 degrees, Gaussian blur (0.3-1.2 px at
300 dpi, halved at 150), Gaussian noise or salt and pepper, grey paper, JPEG quality 55-90.
Formats per dpi (``FORMATS``): single-page PNG, JPEG, one bilevel TIFF (CCITT G4, like a fax
or an office scanner's black-and-white mode), one multi-page TIFF (LZW, grey) and one
image-only PDF of several pages (Pillow writes each page as an embedded JPEG, no text layer).
Each page's ground truth (the lines exactly as drawn) is written beside it as
``<dpi>/page_NN.txt``; ``manifest.json`` lists files, the pages in each and their settings.
The set goes to ``tests/benchmarks/.work/ocr_pages`` (git-ignored).
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from tests.benchmarks import testsets

CACM = Path(__file__).resolve().parents[3] / "shared" / "datasets" / "cacm"
WORK = Path(__file__).resolve().parent / ".work" / "ocr_pages"
SEED = 1717
DPIS = (150, 300)
A4_MM = (210.0, 297.0)
MARGIN_MM = 20.0
SIZES_PT = (10, 11, 12, 14)

#: family name -> (regular, bold) file names; the first present in ``fc-list`` are used.
FONTS = {
    "DejaVu Sans": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "DejaVu Serif": ("DejaVuSerif.ttf", "DejaVuSerif-Bold.ttf"),
    "DejaVu Sans Mono": ("DejaVuSansMono.ttf", "DejaVuSansMono-Bold.ttf"),
    "Liberation Serif": ("LiberationSerif-Regular.ttf", "LiberationSerif-Bold.ttf"),
    "Liberation Sans": ("LiberationSans-Regular.ttf", "LiberationSans-Bold.ttf"),
}

#: How the pages of one dpi are stored, in page order: (format, pages in the file).
FORMATS = (
    ("png", 1),
    ("png", 1),
    ("png", 1),
    ("jpeg", 1),
    ("jpeg", 1),
    ("jpeg", 1),
    ("tiff-g4", 1),
    ("tiff", 3),
    ("pdf", 4),
)


@dataclass
class Layout:
    """One page: its text and how it is drawn and spoiled (the same at both dpi)."""

    index: int
    font: str
    size_pt: int
    records: list[str]
    rotation_deg: float
    blur_px_300: float
    noise: str
    noise_level: float
    paper: int
    jpeg_quality: int
    fmt: str = ""
    file: str = ""


def font_files() -> dict[str, tuple[Path, Path]]:
    """The families of ``FONTS`` installed here, name -> (regular, bold) paths."""
    try:
        listing = subprocess.run(
            ["fc-list", "--format", "%{file}\n"], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        listing = []
    by_name = {Path(f).name: Path(f) for f in listing}
    found = {}
    for family, (regular, bold) in FONTS.items():
        if regular in by_name and bold in by_name:
            found[family] = (by_name[regular], by_name[bold])
    if not found:
        raise SystemExit("no DejaVu or Liberation fonts found (fc-list)")
    return found


def prose(seed: int = SEED) -> list[tuple[str, str, str]]:
    """(record id, title, abstract) of CACM records with an abstract, in a seeded order."""
    docs = testsets.load_smart(CACM).docs
    records = [(rid, t, w) for rid, (t, w) in docs.items() if len(w) > 400 and t]
    random.Random(seed).shuffle(records)
    return records


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if line and font.getlength(candidate) > width:
            lines.append(line)
            line = word
        else:
            line = candidate
    if line:
        lines.append(line)
    return lines


def _page_lines(
    layout: Layout, records: dict[str, tuple[str, str]], fonts: dict[str, tuple[Path, Path]]
) -> list[tuple[str, bool]]:
    """The page's lines as (text, bold), wrapped at 300 dpi metrics (used at both dpi)."""
    regular, bold = _fonts(fonts, layout, 300)
    width = _px(A4_MM[0] - 2 * MARGIN_MM, 300)
    out: list[tuple[str, bool]] = []
    for rid in layout.records:
        title, text = records[rid]
        if out:
            out.append(("", False))
        out += [(line, True) for line in _wrap(title, bold, width)]
        out += [(line, False) for line in _wrap(text, regular, width)]
    return out


def _px(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def _fonts(
    fonts: dict[str, tuple[Path, Path]], layout: Layout, dpi: int
) -> tuple[ImageFont.FreeTypeFont, ImageFont.FreeTypeFont]:
    regular, bold = fonts[layout.font]
    px = layout.size_pt * dpi / 72
    return (
        ImageFont.truetype(str(regular), round(px)),
        ImageFont.truetype(str(bold), round(px * (layout.size_pt + 2) / layout.size_pt)),
    )


def _line_height(layout: Layout, dpi: int) -> int:
    return round(layout.size_pt * 1.3 * dpi / 72)


def _fits(layout: Layout, lines: list[tuple[str, bool]]) -> bool:
    height = _px(A4_MM[1] - 2 * MARGIN_MM, 300)
    return len(lines) * _line_height(layout, 300) <= height


def render(
    layout: Layout, lines: list[tuple[str, bool]], fonts: dict[str, tuple[Path, Path]], dpi: int
) -> Image.Image:
    """The page at ``dpi``, degraded: a greyscale image."""
    w, h = _px(A4_MM[0], dpi), _px(A4_MM[1], dpi)
    page = Image.new("L", (w, h), layout.paper)
    draw = ImageDraw.Draw(page)
    regular, bold = _fonts(fonts, layout, dpi)
    x, y = _px(MARGIN_MM, dpi), _px(MARGIN_MM, dpi)
    step = _line_height(layout, dpi)
    for text, is_bold in lines:
        if text:
            draw.text((x, y), text, fill=20, font=bold if is_bold else regular)
        y += step
    page = page.rotate(
        layout.rotation_deg, resample=Image.Resampling.BICUBIC, fillcolor=layout.paper
    )
    radius = layout.blur_px_300 * dpi / 300
    if radius > 0:
        page = page.filter(ImageFilter.GaussianBlur(radius))
    rng = np.random.default_rng(SEED + layout.index * 1000 + dpi)
    pixels = np.asarray(page, dtype=np.float32)
    if layout.noise == "gaussian":
        pixels = pixels + rng.normal(0, layout.noise_level, pixels.shape)
    else:  # salt and pepper: a share of the pixels set black or white
        hit = rng.random(pixels.shape) < layout.noise_level
        pixels = np.where(hit, rng.choice([0.0, 255.0], pixels.shape), pixels)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), "L")


def layouts(pages: int, fonts: dict[str, tuple[Path, Path]]) -> list[Layout]:
    """``pages`` page layouts: fonts and sizes in turn, degradations drawn from the seed."""
    rng = random.Random(SEED)
    records = prose()
    docs = {rid: (t, w) for rid, t, w in records}
    families = sorted(fonts)
    out, next_record = [], 0
    for i in range(pages):
        layout = Layout(
            index=i,
            font=families[i % len(families)],
            size_pt=SIZES_PT[(i // len(families) + i) % len(SIZES_PT)],
            records=[],
            rotation_deg=round(rng.uniform(-1.5, 1.5), 2),
            blur_px_300=round(rng.uniform(0.3, 1.2), 2),
            noise=rng.choice(["gaussian", "salt-and-pepper"]),
            noise_level=0.0,
            paper=rng.randint(225, 255),
            jpeg_quality=rng.randint(55, 90),
        )
        layout.noise_level = round(
            rng.uniform(4, 14) if layout.noise == "gaussian" else rng.uniform(0.001, 0.006), 4
        )
        while True:  # fill the page with whole records
            rid = records[next_record % len(records)][0]
            trial = Layout(**{**asdict(layout), "records": [*layout.records, rid]})
            if layout.records and not _fits(trial, _page_lines(trial, docs, fonts)):
                break
            next_record += 1
            if not _fits(trial, _page_lines(trial, docs, fonts)):
                continue  # a record longer than a whole page: skipped
            layout = trial
        out.append(layout)
    return out


def _save(images: list[Image.Image], path: Path, fmt: str, quality: int, dpi: int) -> None:
    info = {"dpi": (dpi, dpi)}
    if fmt == "png":
        images[0].save(path, "PNG", **info)
    elif fmt == "jpeg":
        images[0].save(path, "JPEG", quality=quality, **info)
    elif fmt == "tiff-g4":
        bilevel = images[0].point(lambda v: 255 if v > 150 else 0).convert("1")
        bilevel.save(path, "TIFF", compression="group4", **info)
    elif fmt == "tiff":
        images[0].save(
            path, "TIFF", compression="tiff_lzw", save_all=True, append_images=images[1:], **info
        )
    elif fmt == "pdf":
        images[0].save(path, "PDF", resolution=float(dpi), save_all=True, append_images=images[1:])
    else:
        raise ValueError(fmt)


SUFFIX = {"png": ".png", "jpeg": ".jpg", "tiff-g4": ".tif", "tiff": ".tif", "pdf": ".pdf"}


def generate(out: Path = WORK, pages: int | None = None) -> dict[str, Any]:
    """Write the page set under ``out`` and return its manifest (also ``manifest.json``)."""
    fonts = font_files()
    count = pages or sum(n for _, n in FORMATS)
    all_layouts = layouts(count, fonts)
    docs = {rid: (t, w) for rid, t, w in prose()}
    manifest: dict[str, Any] = {
        "seed": SEED,
        "fonts": {k: [str(p) for p in v] for k, v in fonts.items()},
        "formats": [list(f) for f in FORMATS],
        "files": [],
        "pages": [],
    }
    for dpi in DPIS:
        folder = out / str(dpi)
        folder.mkdir(parents=True, exist_ok=True)
        images: list[Image.Image] = []
        for layout in all_layouts:
            lines = _page_lines(layout, docs, fonts)
            (folder / f"page_{layout.index:02d}.txt").write_text(
                "\n".join(text for text, _ in lines) + "\n"
            )
            images.append(render(layout, lines, fonts, dpi))
        start = 0
        for n_file, (fmt, n) in enumerate(FORMATS):
            members = list(range(start, min(start + n, count)))
            start += n
            if not members:
                break
            name = f"file_{n_file:02d}{SUFFIX[fmt]}"
            quality = all_layouts[members[0]].jpeg_quality if fmt in ("jpeg", "pdf") else 0
            _save([images[i] for i in members], folder / name, fmt, quality, dpi)
            manifest["files"].append(
                {"dpi": dpi, "file": f"{dpi}/{name}", "format": fmt, "pages": members}
            )
            for i in members:
                all_layouts[i].fmt, all_layouts[i].file = fmt, name
        if dpi == DPIS[0]:
            manifest["pages"] = [asdict(layout) for layout in all_layouts]
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=None)
    parser.add_argument("--out", type=Path, default=WORK)
    args = parser.parse_args()
    manifest = generate(args.out, args.pages)
    for page in manifest["pages"]:
        print(
            f"page {page['index']:2d}: {page['fmt']:7s} {page['font']:17s} {page['size_pt']} pt "
            f"rot {page['rotation_deg']:+.2f} blur {page['blur_px_300']} "
            f"{page['noise']} {page['noise_level']} paper {page['paper']}"
        )
    print(f"wrote {len(manifest['files'])} files to {args.out}")


if __name__ == "__main__":
    main()
