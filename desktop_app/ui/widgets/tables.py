"""The look every list-like table of the app shares: rows, not a spreadsheet.

No row numbers, no grid, no wrapped cells (long text is elided, with the full text left to a
tooltip), alternating row colours, left-aligned headers, whole rows selected, nothing edited
in place. The models dialog and the problems dialog both build theirs here.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QTableWidget


def tidy_table(columns: Sequence[str], elide: Qt.TextElideMode) -> QTableWidget:
    """A read-only table with these column titles, long cells elided as ``elide`` says."""
    table = QTableWidget(0, len(columns))
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.setTextElideMode(elide)
    table.setShowGrid(False)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setDefaultAlignment(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    )
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    return table
