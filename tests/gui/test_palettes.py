"""The window is legible in a light and in a dark palette, as the desktop gives them.

Each check renders a real widget and reads its pixels: the ground (the commonest colour) must
follow the palette (no white pane left in dark mode), and the ink (the colour that stands out
most from the ground, over enough pixels to be text rather than a stray anti-aliased dot) must
stand out by at least WCAG's 4.5:1 for text, 3:1 for links and secondary marks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QCoreApplication, QItemSelectionModel
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from desktop_app.engine.search import FileHit, Passage, SearchResponse
from desktop_app.engine.status import EngineStatus, FileCounts, FileProblem, FolderStatus
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow
from tests.gui.conftest import answer
from tests.gui.palettes import contrast, dark_palette, light_palette, luminance, use

#: Pixels that must reach a contrast for it to count as the ink's (text strokes), not an
#: anti-aliasing accident; fewer in a small widget (a chip's label has about 20 inked pixels).
MIN_INK_PIXELS = 25


def hit(name: str, folder: str, weak: bool = False) -> FileHit:
    text = f"The {name} notes say the lava lake rose by a metre overnight.\nSecond line."
    passage = Passage(0, text, [(8, 12)], 0.5, None, None, 0, len(text))
    return FileHit(
        f"{folder}/{name}", 0.5, name, text, [(8, 12)], None, 0, "text", 1.7e9, 2048,
        [passage], relevance=0.3 if weak else 0.9, weak=weak,
    )  # fmt: skip


HITS = [
    hit("lava.txt", "/docs/volcanoes"),
    hit("crater.md", "/docs/trips"),
    hit("ash.txt", "/x", weak=True),
]
FOLDERS = (
    FolderStatus("/docs/volcanoes", True, indexed=2),
    FolderStatus("/docs/trips", True, indexed=1),
)


def ground_and_ink(image: QImage) -> tuple[QColor, float]:
    """The commonest colour, and the contrast with it that ``need`` pixels at least reach
    (anti-aliased text spreads over many shades: they are counted together)."""
    image = image.convertToFormat(QImage.Format.Format_RGB32)
    counts: Counter[int] = Counter(
        image.pixel(x, y) for y in range(image.height()) for x in range(image.width())
    )
    ground = QColor.fromRgb(counts.most_common(1)[0][0])
    need = min(MIN_INK_PIXELS, max(6, image.width() * image.height() // 300))
    seen = 0
    for ratio, n in sorted(
        ((contrast(QColor.fromRgb(rgb), ground), n) for rgb, n in counts.items()), reverse=True
    ):
        seen += n
        if seen >= need:
            return ground, ratio
    return ground, 1.0


def legible(widget: QWidget, least: float = 4.5) -> tuple[QColor, float]:
    """The widget's ground colour and its ink's contrast, which must reach ``least``."""
    ground, ratio = ground_and_ink(widget.grab().toImage())
    assert ratio >= least, (type(widget).__name__, widget.objectName(), ground.name(), ratio)
    return ground, ratio


@pytest.fixture(params=["light", "dark"])
def palette(request: pytest.FixtureRequest, qapp: QApplication) -> Iterator[QPalette]:
    before_style, before_palette = qapp.style().name(), qapp.palette()
    chosen = light_palette() if request.param == "light" else dark_palette()
    use(qapp, chosen)
    yield chosen
    qapp.setStyle(before_style)
    qapp.setPalette(before_palette)


@pytest.fixture
def win(qtbot: QtBot, palette: QPalette) -> Iterator[MainWindow]:
    window = MainWindow(EngineBridge())  # never started: the test plays the engine's part
    qtbot.addWidget(window)
    window.resize(1100, 700)
    window.show()
    qtbot.waitExposed(window)
    status = EngineStatus(
        "model", 384, "/index",
        folders=FOLDERS,
        files=FileCounts(indexed=3), chunks=40,
        failures=(FileProblem("/docs/trips/broken.pdf", "corrupt", "not a PDF"),),
    )  # fmt: skip
    window.bridge.status_changed.emit(status)
    answer(window, SearchResponse("lava type:text", "hybrid", 3.0, HITS), typed="lava type:text")
    view = window.results_view
    view.selectionModel().setCurrentIndex(
        window.model.index(0, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    QCoreApplication.processEvents()
    yield window
    window.bridge.shutdown()


def follows(ground: QColor, palette: QPalette, role: QPalette.ColorRole) -> None:
    """The ground is the palette's colour for ``role`` (within a shade), not a fixed one."""
    wanted = palette.color(role)
    assert abs(luminance(ground) - luminance(wanted)) < 0.08, (ground.name(), wanted.name())


def test_results_preview_and_box_follow_the_palette_and_read_well(
    win: MainWindow, palette: QPalette
) -> None:
    base = QPalette.ColorRole.Base
    ground, _ = legible(win.results_view.viewport())
    follows(ground, palette, base)
    ground, _ = legible(win.preview.browser.viewport())
    follows(ground, palette, base)
    assert win.preview.current_path() == HITS[0].path
    legible(win.preview, least=3.0)  # the header: name, folder, date and the buttons
    ground, _ = legible(win.search_box)
    follows(ground, palette, base)


def test_chips_status_bar_and_folders_read_well(win: MainWindow, palette: QPalette) -> None:
    assert win.search_bar.chips(), "the typed type:text makes a chip"
    for chip in win.search_bar.findChildren(QWidget, "filterChip"):
        if chip.isVisible():
            legible(chip)
    area = win.status_area
    for label in (area.run_label, area.index_label):
        legible(label)
    assert area.problems_button.text() == "1 problem"
    legible(area.problems_button, least=3.0)  # a link: the palette's link colour
    ground, _ = legible(win.folders.list.viewport())
    follows(ground, palette, QPalette.ColorRole.Base)


def test_selected_and_weak_rows_keep_their_text_legible(win: MainWindow) -> None:
    """Names and snippets as legible as the palette's own selection allows (Fusion's light
    one is 3.7:1), and never below 4.5:1 unselected; folder, date and weak rows at least 3:1."""
    from desktop_app.ui.widgets.result_delegate import row_colors

    role = QPalette.ColorRole
    palette = win.palette()
    own = contrast(palette.color(role.HighlightedText), palette.color(role.Highlight))
    for selected in (False, True):
        colors = row_colors(palette, selected, weak=False)
        assert contrast(colors.text, colors.ground) >= min(4.5, own), selected
        assert contrast(colors.secondary, colors.ground) >= 3.0, selected
        weak = row_colors(palette, selected, weak=True)
        assert contrast(weak.text, weak.ground) >= 3.0, selected
        assert weak.text != colors.text  # subdued all the same
