"""The results page: a "Similar to" banner, the count with Sort and Group, notes, the list.

The list's last row, "Show N weaker matches", reveals the weak hits when it is clicked, or
activated with Enter or a double-click; activating a hit's row asks for the file to be opened.
Rows are laid out again whenever the list's width changes: their height follows their wrapped
text. The sort order and grouping stay as picked for every later answer (the window may save
them: ``sort_key``, ``group_key``, ``arrangement_changed``). A "more like this" answer names
its file in a banner whose Back button asks the window (which remembers the query before it)
to go back. Every label is plain text, so a query such as ``"lava" <b>`` or a file named
``a&b.pdf`` shows as typed.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import QElapsedTimer, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QPalette, QResizeEvent
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.pathnames import display
from desktop_app.ui.pdf_viewers import page_to_open
from desktop_app.ui.widgets.elided import ElidedLabel
from desktop_app.ui.widgets.result_delegate import ResultDelegate
from desktop_app.ui.widgets.results import GROUP_KEYS, HIT_ROLE, SORT_KEYS, ResultsModel, plural

if TYPE_CHECKING:
    from desktop_app.engine.search import SearchResponse

#: The Back button reads as a link in both palettes: the palette's link colour, underlined.
LINK_STYLE = (
    "QPushButton { border: none; padding: 0 4px; color: palette(link); "
    "text-decoration: underline; } QPushButton:hover { color: palette(highlight); }"
)
#: A query longer than this is cut with "…" on the Back button: the button must stay narrow.
BACK_QUERY_CHARS = 32


def query_label(query: str) -> str:
    """The query as people typed it; "more like this" answers name the file."""
    if query.startswith("similar:"):
        return os.path.basename(display(query.removeprefix("similar:")))
    return query


def back_label(previous: str) -> str:
    """The Back button's text (mnemonic ampersands doubled, so ``a&b`` shows as typed)."""
    if len(previous) > BACK_QUERY_CHARS:
        previous = previous[: BACK_QUERY_CHARS - 1].rstrip() + "…"
    text = f"← Back to results for “{previous}”" if previous else "← Back to results"
    return text.replace("&", "&&")


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


def choice_button(prefix: str, choices: dict[str, str], picked: QActionGroup) -> QToolButton:
    """A flat "Sort: Relevance ▾" button whose menu holds one checkable action per choice."""
    button = QToolButton()
    button.setAutoRaise(True)
    button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
    button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    menu = QMenu(button)
    for key, name in choices.items():
        action = QAction(name, menu)
        action.setCheckable(True)
        action.setData(key)
        picked.addAction(action)
        menu.addAction(action)
    button.setMenu(menu)
    button.setAccessibleName(prefix)
    return button


class ResultsPanel(QWidget):
    #: The index key of a hit whose row was activated (Enter, double-click).
    open_requested = Signal(str, int)  # index key, page to open at (0: none)
    #: The Back button of a "Similar to" answer: the window shows its previous results again.
    back_requested = Signal()
    #: Sort or grouping picked in a menu: (sort_key, group_key), for the window to save.
    arrangement_changed = Signal(str, str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = ResultsModel()
        #: How long the search shown took (0: none shown).
        self._took_ms = 0.0
        self.view = ResultsView()
        self.view.setModel(self.model)
        self.view.setItemDelegate(ResultDelegate(self.view))
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self._build_banner())
        layout.addWidget(self._build_bar())
        layout.addWidget(self._build_header())
        layout.addWidget(self.view, 1)
        self.set_labels([], "")
        self._show_arrangement()
        self._click_revealed = QElapsedTimer()
        self.view.activated.connect(self._activated)
        self.view.clicked.connect(self._clicked)

    def _build_banner(self) -> QFrame:
        """ "Similar to report.pdf" and the way back, on the palette's alternate base."""
        self.banner = QFrame()
        self.banner.setObjectName("similarBanner")
        self.banner.setAutoFillBackground(True)
        self.banner.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.similar_label = ElidedLabel()
        self.similar_label.setForegroundRole(QPalette.ColorRole.Text)
        font = self.similar_label.font()
        font.setBold(True)
        self.similar_label.setFont(font)
        self.back_button = QPushButton(back_label(""))
        self.back_button.setObjectName("backToResults")
        self.back_button.setStyleSheet(LINK_STYLE)
        self.back_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.back_button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        self.back_button.clicked.connect(self.back_requested)
        row = QHBoxLayout(self.banner)
        row.setContentsMargins(8, 4, 4, 4)
        row.addWidget(self.similar_label, 1)
        row.addWidget(self.back_button)
        self.banner.hide()
        return self.banner

    def _build_bar(self) -> QWidget:
        """The count on the left; Sort and Group on the right, as small flat menu buttons."""
        self.bar = QWidget()
        self.count_label = ElidedLabel(shortest="99 files")  # never cut to "2 fil…"
        self.count_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self._sorts = QActionGroup(self)
        self._groups = QActionGroup(self)
        self.sort_button = choice_button("Sort", SORT_KEYS, self._sorts)
        self.group_button = choice_button("Group", GROUP_KEYS, self._groups)
        self.sort_button.setObjectName("sortButton")
        self.group_button.setObjectName("groupButton")
        self._sorts.triggered.connect(lambda a: self._picked(str(a.data()), self.group_key))
        self._groups.triggered.connect(lambda a: self._picked(self.sort_key, str(a.data())))
        row = QHBoxLayout(self.bar)
        row.setContentsMargins(8, 0, 4, 0)
        row.setSpacing(2)
        row.addWidget(self.count_label, 1)
        row.addWidget(self.sort_button)
        row.addWidget(self.group_button)
        self.bar.hide()
        return self.bar

    def _build_header(self) -> QWidget:
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
        self.header = QWidget()  # hidden with nothing to say: the list starts at the top
        header = QVBoxLayout(self.header)
        header.setContentsMargins(8, 4, 8, 0)
        header.addWidget(self.notes)
        header.addWidget(self.heading)
        header.addWidget(self.hint)
        return self.header

    # -- sort and group ----------------------------------------------------------------------

    @property
    def sort_key(self) -> str:
        """ "relevance", "date" (newest first) or "name": kept for every later answer."""
        return self.model.sort_key

    @property
    def group_key(self) -> str:
        """ "none", "folder" or "type": kept for every later answer."""
        return self.model.group_key

    def set_sort_key(self, key: str) -> None:
        """Sort by ``key`` (see ``SORT_KEYS``); an unknown key (an old setting) is ignored."""
        if key in SORT_KEYS:
            self._arrange(key, self.group_key)

    def set_group_key(self, key: str) -> None:
        """Group by ``key`` (see ``GROUP_KEYS``); an unknown key (an old setting) is ignored."""
        if key in GROUP_KEYS:
            self._arrange(self.sort_key, key)

    def _picked(self, sort_key: str, group_key: str) -> None:
        changed = (sort_key, group_key) != (self.sort_key, self.group_key)
        self._arrange(sort_key, group_key)
        if changed:
            self.arrangement_changed.emit(sort_key, group_key)

    def _arrange(self, sort_key: str, group_key: str) -> None:
        """Arrange the rows anew; the current hit stays current (and in sight)."""
        current = self.view.currentIndex().data(HIT_ROLE)
        self.model.arrange(sort_key, group_key)
        self._show_arrangement()
        row = self.model.row_of(current.path) if current is not None else -1
        if row >= 0:
            self.view.setCurrentIndex(self.model.index(row, 0))
            self.view.scrollTo(self.model.index(row, 0))

    def _show_arrangement(self) -> None:
        self.sort_button.setText(f"Sort: {SORT_KEYS[self.sort_key]}")
        self.group_button.setText(f"Group: {GROUP_KEYS[self.group_key]}")
        for group, key in ((self._sorts, self.sort_key), (self._groups, self.group_key)):
            for action in group.actions():
                action.setChecked(action.data() == key)
        self._show_count()

    def _show_count(self) -> None:
        shown, weak = self.model.shown_count, self.model.weak_count
        text = plural(shown, "file") if shown else plural(weak, "weaker match", "weaker matches")
        self.count_label.setText(text)
        # The search's time as the count's tooltip, not in the status bar (a message there
        # hides the run's state), nor beside the count (it cut "2 files" to "2 fil…").
        self.count_label.setToolTip(f"Found in {self._took_ms:.0f} ms" if self._took_ms else "")
        self.bar.setVisible(bool(self.model.hits))

    # -- answers -----------------------------------------------------------------------------

    def show_response(self, response: SearchResponse, back_to: str = "") -> None:
        """Show an answer: strong hits, the rest behind "Show N", its notes; the first strong
        hit becomes current (no current row when none is strong: the preview stays empty).
        ``back_to``: the query a "more like this" answer's Back button names ("" for none)."""
        self.model.set_hits(response.results)
        self._took_ms = response.took_ms
        no_good = bool(self.model.hits) and not self.model.strong_count
        self.set_labels(response.notes, query_label(response.query) if no_good else "")
        self.set_similar(response.query, back_to)
        self._show_count()
        first = self.model.first_hit_row() if self.model.strong_count else -1
        if first >= 0:
            self.view.setCurrentIndex(self.model.index(first, 0))
        self.view.scrollToTop()

    def set_similar(self, query: str, back_to: str = "") -> None:
        """The banner for a "more like this" answer (``similar:<path>``); hidden for others."""
        similar = query.startswith("similar:")
        if similar:
            self.similar_label.setText(f"Similar to {query_label(query)}")
            self.similar_label.setToolTip(display(query.removeprefix("similar:")))
            self.back_button.setText(back_label(back_to))
        self.banner.setVisible(similar)

    def clear(self) -> None:
        self.model.set_hits([])
        self.set_labels([], "")
        self.set_similar("")
        self._show_count()

    def set_labels(self, notes: list[str], no_good_query: str) -> None:
        self.notes.setText("\n".join(f"Note: {note}" for note in notes))
        self.notes.setVisible(bool(notes))
        self.heading.setText(f"No good matches for “{no_good_query}”" if no_good_query else "")
        self.heading.setVisible(bool(no_good_query))
        self.hint.setVisible(bool(no_good_query))
        self.header.setVisible(bool(notes or no_good_query))

    def reveal(self) -> None:
        """Show the weak hits after the strong ones; the first becomes current."""
        row = self.model.reveal()
        if row >= 0:
            self._show_count()
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
            self.open_requested.emit(hit.path, page_to_open(hit))
