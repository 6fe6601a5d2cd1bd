"""What the window says is what is meant: no HTML entity in any text, and a preview that
never shows a file that is gone or a result that is no longer listed.

Seen before: ``No results for “&quot;zanzibarite&quot;”``. Names, queries and folders with
``&``, quotes and ``<b>`` go through every place the window writes text; each must show them
as typed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QAbstractButton, QLabel
from pytestqt.qtbot import QtBot

from desktop_app.engine.search import FileHit, Passage, SearchResponse
from desktop_app.engine.status import EngineStatus, FileCounts, FileProblem, FolderStatus
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.main_window import MainWindow
from tests.gui.conftest import WAIT_MS, answer, index_docs, search

ENTITY = re.compile(r"&(quot|amp|lt|gt|apos|nbsp|#\d+|#x[0-9a-fA-F]+);")
ODD_FOLDER = '/docs/a&b "c" <d>'
ODD_NAME = 'notes & <b>bold "q".txt'  # no "/": it is a file's name


def odd_hit() -> FileHit:
    text = 'Lava & "ash" <b>rose</b> overnight.'
    passage = Passage(0, text, [(0, 4)], 0.5, None, None, 0, len(text))
    return FileHit(
        f"{ODD_FOLDER}/{ODD_NAME}", 0.5, ODD_NAME, text, [(0, 4)], None, 0, "text", 1.7e9, 900,
        [passage], relevance=0.9,
    )  # fmt: skip


def every_text(win: MainWindow) -> list[str]:
    """Every text a person can read in the window now (labels, buttons, rows, the preview,
    the status bar's message and the title)."""
    texts = [win.windowTitle(), win.statusBar().currentMessage()]
    texts += [w.text() for w in win.findChildren(QLabel) if w.isVisible()]
    texts += [w.text() for w in win.findChildren(QAbstractButton) if w.isVisible()]
    texts += [w.toolTip() for w in win.findChildren(QLabel) if w.isVisible()]
    model = win.model
    texts += [
        str(model.index(r, 0).data(Qt.ItemDataRole.DisplayRole) or "")
        for r in range(model.rowCount())
    ]
    texts.append(win.preview.browser.toPlainText())
    return texts


def no_entities(win: MainWindow) -> str:
    texts = every_text(win)
    found = [t for t in texts if ENTITY.search(t)]
    assert not found, found
    return "\n".join(texts)


def test_no_html_entity_anywhere_the_window_writes(qtbot: QtBot) -> None:
    win = MainWindow(EngineBridge())  # never started: the test plays the engine's part
    qtbot.addWidget(win)
    win.resize(1100, 700)
    win.show()
    try:
        status = EngineStatus(
            "model", 384, "/index",
            folders=(FolderStatus(ODD_FOLDER, True, indexed=1),),
            files=FileCounts(indexed=1, failed=1), chunks=3,
            failures=(FileProblem(f"{ODD_FOLDER}/x&y.pdf", "corrupt", 'bad "xref" & <trailer>'),),
        )  # fmt: skip
        win.bridge.status_changed.emit(status)
        query = '"lava &amp; ash" <b> in:"' + ODD_FOLDER + '"'
        answer(win, SearchResponse(query, "hybrid", 4.0, [odd_hit()]), typed=query)
        shown = no_entities(win)
        assert ODD_NAME in shown and 'Lava & "ash" <b>rose</b>' in shown
        assert "&amp; ash" in win.search_box.text()  # what was typed stays as typed

        answer(win, SearchResponse(f"similar:{ODD_FOLDER}/{ODD_NAME}", "vector", 2.0, [odd_hit()]))
        shown = no_entities(win)
        assert f"Similar to {ODD_NAME}" in shown

        odd_query = '"zanzibarite" & <i>'
        answer(win, SearchResponse(odd_query, "hybrid", 1.0, []), typed=odd_query)
        shown = no_entities(win)
        assert win.message.text().startswith(f"No results for “{odd_query}”")

        win.problems.show()
        QCoreApplication.processEvents()
        table = win.problems.table
        cells = [
            table.item(r, c).text()
            for r in range(table.rowCount())
            for c in range(table.columnCount())
            if table.item(r, c) is not None
        ]
        assert cells and not [c for c in cells if ENTITY.search(c)], cells
        assert any('bad "xref" & <trailer>' in c for c in cells)
    finally:
        win.bridge.shutdown()


def test_the_preview_clears_when_nothing_is_found(qtbot: QtBot) -> None:
    win = MainWindow(EngineBridge())
    qtbot.addWidget(win)
    win.show()
    try:
        answer(win, SearchResponse("lava", "hybrid", 1.0, [odd_hit()]), typed="lava")
        assert win.preview.current_path() == odd_hit().path
        answer(win, SearchResponse("basalt", "hybrid", 1.0, []), typed="basalt")
        assert win.preview.current_path() is None and win.preview.browser.toPlainText() == ""
    finally:
        win.bridge.shutdown()


def test_the_preview_clears_when_its_file_is_deleted(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {
        "lava.txt": "The lava lake rose by a metre overnight at the crater rim.",
        "ash.txt": "Ash fell on the village for three days after the eruption.",
    }
    docs = index_docs(qtbot, window, tmp_path / "docs", files, monkeypatch)
    assert search(qtbot, window, "lava lake crater")[0] == str(docs / "lava.txt")
    qtbot.waitUntil(lambda: window.preview.current_path() == str(docs / "lava.txt"))
    (docs / "lava.txt").unlink()
    qtbot.waitUntil(
        lambda: window.preview.current_path() != str(docs / "lava.txt"), timeout=WAIT_MS
    )
    qtbot.waitUntil(
        lambda: str(docs / "lava.txt") not in [h.path for h in window.model.hits], timeout=WAIT_MS
    )
