"""The results page: the search's notes, "No good matches" when no hit is strong, the list.

The list's last row, "Show N weaker matches", reveals the weak hits when it is clicked, or
activated with Enter or a double-click; activating a hit's row asks for the file to be opened.
Rows are laid out again whenever the list's width changes: their height follows their wrapped
text. Every label is plain text, so a query such as ``"lava" <b>`` shows as typed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QPalette, QResizeEvent
from PySide6.QtWidgets import QApplication, QLabel, QListView, QVBoxLayout, QWidget

from desktop_app.engine.pathnames import display
from desktop_app.ui.widgets.results import HIT_ROLE, ResultDelegate, ResultsModel

if TYPE_CHECKING:
    from desktop_app.engine.search import SearchResponse


def query_label(query: str) -> str:
    """The query as people typed it; "more like this" answers name the file."""
    if query.startswith("similar:"):
        return os.path.basename(display(query.removeprefix("similar:")))
    return query


class ResultsView(QListView):
    """The list of hits: rows as wide as the viewport, their heights computed again (by the
    delegate, for the new width) as soon as the width changes; no horizontal scrolling."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setUniformItemSizes(False)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self._laying_out = False

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        if e.size().width() != e.oldSize().width() and not self._laying_out:
            self._laying_out = True  # a scrollbar shown by the new layout resizes us again
            try:
                self.doItemsLayout()  # now, not after Adjust's 100 ms: no stale row heights
            finally:
                self._laying_out = False


class ResultsPanel(QWidget):
    #: The index key of a hit whose row was activated (Enter, double-click).
    open_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notes = QLabel()
        self.notes.setObjectName("searchNotes")
        self.notes.setTextFormat(Qt.TextFormat.PlainText)
        self.notes.setWordWrap(True)
        self.heading = QLabel()
        self.heading.setObjectName("noGoodMatches")
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.15)
        font.setBold(True)
        self.heading.setFont(font)
        self.hint = QLabel("The closest files match only weakly. Try other words or fewer filters.")
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        self.hint.setWordWrap(True)
        self.hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.model = ResultsModel()
        self.view = ResultsView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(ResultDelegate(self.view))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.header = QWidget()  # hidden with nothing to say: the list starts at the top
        header = QVBoxLayout(self.header)
        header.setContentsMargins(8, 4, 8, 0)
        header.addWidget(self.notes)
        header.addWidget(self.heading)
        header.addWidget(self.hint)
        layout.addWidget(self.header)
        layout.addWidget(self.view, 1)
        self.set_labels([], "")
        self._click_revealed = QElapsedTimer()
        self.view.activated.connect(self._activated)
        self.view.clicked.connect(self._clicked)

    def show_response(self, response: SearchResponse) -> None:
        """Show an answer: strong hits, the rest behind "Show N", its notes; the first strong
        hit becomes current (no current row when none is strong: the preview stays empty)."""
        self.model.set_hits(response.results)
        no_good = bool(self.model.hits) and not self.model.strong_count
        self.set_labels(response.notes, query_label(response.query) if no_good else "")
        if self.model.strong_count:
            self.view.setCurrentIndex(self.model.index(0, 0))
        self.view.scrollToTop()

    def clear(self) -> None:
        self.model.set_hits([])
        self.set_labels([], "")

    def set_labels(self, notes: list[str], no_good_query: str) -> None:
        self.notes.setText("\n".join(f"Note: {note}" for note in notes))
        self.notes.setVisible(bool(notes))
        self.heading.setText(f"No good matches for “{no_good_query}”" if no_good_query else "")
        self.heading.setVisible(bool(no_good_query))
        self.hint.setVisible(bool(no_good_query))
        self.header.setVisible(bool(notes or no_good_query))

    def reveal(self) -> None:
        """Show the weak hits below the strong ones; the first becomes current."""
        row = self.model.reveal()
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, 0))
            self.view.scrollTo(self.model.index(row, 0))

    def _clicked(self, index: QModelIndex | QPersistentModelIndex) -> None:
        if self.model.is_more_row(index):
            self.reveal()
            self._click_revealed.start()

    def _activated(self, index: QModelIndex | QPersistentModelIndex) -> None:
        if self._click_revealed.isValid():
            if self._click_revealed.elapsed() < QApplication.doubleClickInterval():
                return  # the second click of a double-click on "Show N": not the hit now there
            self._click_revealed.invalidate()
        if self.model.is_more_row(index):
            self.reveal()
            return
        hit = index.data(HIT_ROLE) if index.isValid() else None
        if hit is not None:
            self.open_requested.emit(hit.path)
