"""The results list's model: which rows show, in what order, under which section headers.

Strong hits come first; weak ones (below the ``min_relevance`` setting) wait behind one last
row, "Show N weaker matches", until it is activated, and then follow the strong ones, sorted
the same way, so a weak file never slips in among the strong. The rows can be sorted by
relevance (the engine's order), by date modified (newest first) or by name, and grouped by
folder or by type: each group then starts with a header row that names it and counts its
files. Header rows carry no hit and are disabled, so the keyboard skips them and the preview
never sees one. Painting is ``result_delegate.py``'s job; the small text helpers here are
shared with the preview and the window.
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from desktop_app.engine.pathnames import display

if TYPE_CHECKING:
    from collections.abc import Callable

    from desktop_app.engine.search import FileHit

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
#: On the "Show N weaker matches" row: N. None on a hit's row.
MORE_ROLE = Qt.ItemDataRole.UserRole + 2
#: On a section header row: its ``Section``. None on every other row.
HEADER_ROLE = Qt.ItemDataRole.UserRole + 3
#: The sort orders and groupings people can pick, by key, with their names in the menus.
SORT_KEYS = {"relevance": "Relevance", "date": "Date modified", "name": "Name"}
GROUP_KEYS = {"none": "None", "folder": "Folder", "type": "Type"}
_TYPE_LABELS = {
    "pdf": "PDF",
    "docx": "Word",
    "pptx": "Slides",
    "xlsx": "Sheet",
    "email": "Mail",
    "html": "Web",
    "code": "Code",
    "markdown": "MD",
    "epub": "Book",
    "text": "Text",
}

_Index = QModelIndex | QPersistentModelIndex


def marked_html(text: str, ranges: list[tuple[int, int]] | list[list[int]]) -> str:
    """``text`` as HTML with the highlight ranges in bold."""
    out: list[str] = []
    pos = 0
    for start, end in sorted((int(a), int(b)) for a, b in ranges):
        if start < pos:
            continue
        out.append(html.escape(text[pos:start]))
        out.append(f"<b>{html.escape(text[start:end])}</b>")
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def type_label(file_type: str) -> str:
    return _TYPE_LABELS.get(file_type, file_type[:5].upper() or "FILE")


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 file``, ``2 files``: the count with its noun in the right number."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


def weaker_label(count: int) -> str:
    return f"Show {plural(count, 'weaker match', 'weaker matches')}"


def human_size(n: int) -> str:
    """A file size for people: ``512 bytes``, ``2 KB``, ``1.5 MB``, ``5 GB`` (1 KB = 1024 bytes).

    One decimal below 10 units when it is not zero; never "0 KB" for a file that has bytes."""
    if n < 1024:
        return plural(max(n, 0), "byte")
    value = float(n)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if round(value, 1) < 1024 or unit == "TB":
            break
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return f"{text.removesuffix('.0')} {unit}"


def home_relative(shown: str) -> str:
    """A shown path with the home folder as ``~``: shorter, and what people recognise."""
    home = os.path.expanduser("~")
    if home not in ("", "~", os.sep) and (shown == home or shown.startswith(home + os.sep)):
        return "~" + shown[len(home) :]
    return shown


def folder_title(folder: str) -> str:
    """A folder (an index key) as a section names it: ``reports — ~/projects/2024``, its own name
    first, since that is what people look for, then where it is."""
    shown = display(folder).rstrip("/\\") or display(folder)
    name = os.path.basename(shown) or shown
    parent = os.path.dirname(shown)
    return f"{name} — {home_relative(parent)}" if parent and parent != shown else name


@dataclass(frozen=True)
class Section:
    """A header row: the group's name, its number of files, and whether they are weak ones."""

    title: str
    count: int
    weak: bool = False
    #: The folder's whole path for a folder section (the header's tooltip); "" for a type.
    detail: str = ""

    @property
    def text(self) -> str:
        count = plural(self.count, "weaker match", "weaker matches") if self.weak else self.count
        return f"{self.title} ({count})"


def sorted_hits(hits: list[FileHit], sort_key: str) -> list[FileHit]:
    """``hits`` in the order ``sort_key`` names; relevance keeps the engine's order, and so do
    ties (sorted() is stable)."""
    if sort_key == "date":
        return sorted(hits, key=lambda h: -h.modified)
    if sort_key == "name":
        return sorted(hits, key=lambda h: (os.path.basename(display(h.path)).casefold(), h.path))
    return list(hits)


def grouped(
    hits: list[FileHit], group_key: str, sort_key: str
) -> list[tuple[str, str, list[FileHit]]]:
    """Already sorted ``hits`` cut into groups ``(title, detail, hits)``: the groups in the
    order of their first hit (their best, newest, or first by name), by title when sorting by
    name, each group's hits in the sorted order."""
    key_of: Callable[[FileHit], str]
    if group_key == "folder":
        key_of = lambda h: os.path.dirname(h.path)  # noqa: E731
    else:
        key_of = lambda h: type_label(h.file_type)  # noqa: E731
    groups: dict[str, list[FileHit]] = {}
    for hit in hits:
        groups.setdefault(key_of(hit), []).append(hit)
    out = []
    for key, members in groups.items():
        if group_key == "folder":
            out.append((folder_title(key), display(key), members))
        else:
            out.append((key, "", members))
    if sort_key == "name":
        out.sort(key=lambda group: (group[0].casefold(), group[1]))
    return out


class ResultsModel(QAbstractListModel):
    """Rows: the strong hits, then the weak ones once revealed, else one "Show N" row; sorted
    by ``sort_key`` and, unless ``group_key`` is "none", under section headers."""

    def __init__(self) -> None:
        super().__init__()
        #: Every hit of the response, strong first (engine order within each group).
        self.hits: list[FileHit] = []
        self.revealed = False
        self.sort_key = "relevance"
        self.group_key = "none"
        #: Hits, section headers, and None for the "Show N weaker matches" row.
        self._rows: list[FileHit | Section | None] = []

    def set_hits(self, hits: list[FileHit]) -> None:
        """A new answer: its weak hits start hidden."""
        self.beginResetModel()
        self.hits = [h for h in hits if not h.weak] + [h for h in hits if h.weak]
        self.revealed = False
        self._rows = self._layout()
        self.endResetModel()

    def arrange(self, sort_key: str, group_key: str) -> None:
        """Sort and group the rows anew; revealed weak hits stay revealed."""
        if sort_key not in SORT_KEYS or group_key not in GROUP_KEYS:
            raise ValueError(f"unknown arrangement: sort {sort_key!r}, group {group_key!r}")
        if (sort_key, group_key) == (self.sort_key, self.group_key):
            return
        self.beginResetModel()
        self.sort_key, self.group_key = sort_key, group_key
        self._rows = self._layout()
        self.endResetModel()

    @property
    def weak_count(self) -> int:
        return sum(1 for h in self.hits if h.weak)

    @property
    def strong_count(self) -> int:
        return len(self.hits) - self.weak_count

    @property
    def shown_count(self) -> int:
        """The hits that have a row now: the strong ones, and the weak ones once revealed."""
        return len(self.hits) if self.revealed else self.strong_count

    def reveal(self) -> int:
        """Show the weak hits in place of the "Show N" row; returns the first one's row."""
        if self.revealed or not self.weak_count:
            return -1
        self.beginResetModel()  # also drops the view's persistent index of the "Show N" row
        self.revealed = True
        self._rows = self._layout()
        self.endResetModel()
        return next(
            row
            for row, item in enumerate(self._rows)
            if item is not None and not isinstance(item, Section) and item.weak
        )

    def is_more_row(self, index: _Index) -> bool:
        return index.isValid() and index.data(MORE_ROLE) is not None

    def is_header(self, index: _Index) -> bool:
        return index.isValid() and index.data(HEADER_ROLE) is not None

    def first_hit_row(self) -> int:
        """The first row with a hit (after any header); -1 when no hit has a row."""
        return self.row_of(None)

    def row_of(self, path: str | None) -> int:
        """The row of the hit with ``path`` (the first hit's when None); -1 when none shows."""
        for row, item in enumerate(self._rows):
            if item is None or isinstance(item, Section):
                continue
            if path is None or item.path == path:
                return row
        return -1

    def _section_rows(self, hits: list[FileHit], weak: bool) -> list[FileHit | Section | None]:
        ordered = sorted_hits(hits, self.sort_key)
        if self.group_key == "none":
            return list(ordered)
        rows: list[FileHit | Section | None] = []
        for title, detail, members in grouped(ordered, self.group_key, self.sort_key):
            rows.append(Section(title, len(members), weak, detail))
            rows.extend(members)
        return rows

    def _layout(self) -> list[FileHit | Section | None]:
        strong = [h for h in self.hits if not h.weak]
        weak = [h for h in self.hits if h.weak]
        rows = self._section_rows(strong, weak=False)
        if not weak:
            return rows
        if not self.revealed:
            return [*rows, None]
        return rows + self._section_rows(weak, weak=True)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def flags(self, index: _Index) -> Qt.ItemFlag:
        """Header rows are neither selectable nor enabled: arrow keys and clicks pass them by."""
        row = index.row() if index.isValid() else -1
        if 0 <= row < len(self._rows) and isinstance(self._rows[row], Section):
            return Qt.ItemFlag.ItemNeverHasChildren
        return super().flags(index) | Qt.ItemFlag.ItemNeverHasChildren

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        item = self._rows[index.row()]
        if isinstance(item, Section):
            return self._section_data(item, role)
        if item is None:
            if role == MORE_ROLE:
                return self.weak_count
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return weaker_label(self.weak_count)
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Matches below the minimum relevance set in Settings"
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return os.path.basename(display(item.path))
        if role == Qt.ItemDataRole.ToolTipRole:
            return display(item.path)
        if role == Qt.ItemDataRole.AccessibleDescriptionRole:
            weak = ", a weaker match" if item.weak else ""
            return f"relevance {item.relevance:.0%}{weak}"
        if role == HIT_ROLE:
            return item
        return None

    @staticmethod
    def _section_data(section: Section, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return section.text
        if role == HEADER_ROLE:
            return section
        if role == Qt.ItemDataRole.ToolTipRole and section.detail:
            return section.detail
        return None  # HIT_ROLE and MORE_ROLE included: a header is no hit
