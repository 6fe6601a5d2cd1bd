"""The folders panel: the indexed folders with their counts, add (picker or drop) and remove.

Each row names its folder as the folder dropdown and chips do (``folder_labels``: the name,
and enough of the parent to tell same-named folders apart), elided in the middle when the dock
is narrow, never scrolled sideways; the full path is the row's tooltip.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.engine.pathnames import display
from desktop_app.ui.folder_labels import folder_labels

if TYPE_CHECKING:
    from desktop_app.engine.status import EngineStatus

#: Where each row keeps its folder's key (the text shows it for people).
PATH_ROLE = Qt.ItemDataRole.UserRole


class _FitWidth(QStyledItemDelegate):
    """Rows ask for no width of their own, so the list lays them out at the viewport's width
    and the style elides their text, instead of widening the content and scrolling sideways."""

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        return QSize(0, super().sizeHint(option, index).height())


class FoldersPanel(QWidget):
    add_requested = Signal(str)
    remove_requested = Signal(str)
    pause_requested = Signal(str, bool)  # folder, paused

    def __init__(self) -> None:
        super().__init__()
        self.list = QListWidget()
        self.list.setItemDelegate(_FitWidth(self.list))
        self.list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.list.setWordWrap(False)
        self.add_button = QPushButton("Add folder…")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        self.pause_button = QPushButton("Pause")
        self.pause_button.setEnabled(False)
        buttons = QHBoxLayout()
        for button, longest in (
            (self.add_button, "Add folder…"),
            (self.pause_button, "Resume"),
            (self.remove_button, "Remove"),
        ):
            # As narrow as their words (the style's 80-px minimum kept the pane 270 px wide,
            # a third of an 800-px window).
            button.setMinimumWidth(button.fontMetrics().horizontalAdvance(longest) + 16)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.list)
        layout.addLayout(buttons)
        self.add_button.clicked.connect(self.pick_folder)
        self.remove_button.clicked.connect(self._remove_selected)
        self.pause_button.clicked.connect(self._toggle_selected)
        self.list.currentItemChanged.connect(lambda item, _: self._selection_changed(item))
        self._paused: set[str] = set()

    def _selection_changed(self, item: QListWidgetItem | None) -> None:
        self.remove_button.setEnabled(item is not None)
        self.pause_button.setEnabled(item is not None)
        paused = item is not None and item.data(PATH_ROLE) in self._paused
        self.pause_button.setText("Resume" if paused else "Pause")

    def _toggle_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            folder = item.data(PATH_ROLE)
            self.pause_requested.emit(folder, folder not in self._paused)

    def pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Choose a folder to index")
        if folder:
            self.add_requested.emit(folder)

    def _remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.data(PATH_ROLE))

    def set_status(self, status: EngineStatus) -> None:
        current = self.list.currentItem()
        selected = current.data(PATH_ROLE) if current else None
        self.list.clear()
        self._paused = {f.path for f in status.folders if f.paused}
        labels = folder_labels([f.path for f in status.folders])
        for folder in status.folders:
            text = (
                f"{labels[folder.path]}\n  {folder.indexed} indexed"
                + (f", {folder.failed} failed" if folder.failed else "")
                + (f", {folder.pending} pending" if folder.pending else "")
                + ("" if folder.exists else "  — folder not found")
                + ("  — paused" if folder.paused else "")
            )
            item = QListWidgetItem(text)
            item.setData(PATH_ROLE, folder.path)
            item.setToolTip(display(folder.path))
            self.list.addItem(item)
            if folder.path == selected:
                self.list.setCurrentItem(item)
        self._selection_changed(self.list.currentItem())

    @property
    def folders(self) -> list[str]:
        return [self.list.item(i).data(PATH_ROLE) for i in range(self.list.count())]
