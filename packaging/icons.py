"""Render the app icon from its one SVG into what each platform wants.

Linux gets PNGs (the .deb's hicolor theme), Windows an .ico, macOS an .icns. They are build
output, made from ``resources/icons/desktop-search.svg`` at package time, so the SVG is the
only icon in git. Qt renders the SVG (no extra rasteriser needed); Pillow writes ICO/ICNS.
"""

from __future__ import annotations

import sys
from pathlib import Path

SIZES = (16, 32, 48, 64, 128, 256, 512)


def render_pngs(svg: Path, out_dir: Path) -> dict[int, Path]:
    """``{size: png}`` for every size in :data:`SIZES`."""
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication(["icons", "-platform", "offscreen"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG")
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs: dict[int, Path] = {}
    for size in SIZES:
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        target = out_dir / f"desktop-search-{size}.png"
        if not image.save(str(target)):
            raise SystemExit(f"cannot write {target}")
        pngs[size] = target
    return pngs


def make_icons(svg: Path, out_dir: Path) -> dict[str, Path]:
    """Render PNGs, then the .ico and .icns from the largest; return their paths by kind."""
    from PIL import Image

    pngs = render_pngs(svg, out_dir)
    largest = Image.open(pngs[max(SIZES)])
    ico = out_dir / "desktop-search.ico"
    largest.save(ico, sizes=[(s, s) for s in SIZES if s <= 256])
    icns = out_dir / "desktop-search.icns"
    largest.save(icns)
    return {"png": pngs[256], "ico": ico, "icns": icns}


if __name__ == "__main__":
    root = Path(__file__).resolve().parent.parent
    made = make_icons(root / "resources/icons/desktop-search.svg", Path(sys.argv[1]))
    for kind, path in made.items():
        print(f"{kind}: {path}")
