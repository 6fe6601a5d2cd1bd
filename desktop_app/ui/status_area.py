"""The status bar: what the index holds, and, separately, what the current run is doing.

Two stories used to share one label, and they contradicted each other: "Up to date · 0
indexed" (the last run's count) while 51 files were searchable, "No problems" before the first
status arrived. Here each fact has one place, filled from the engine's events only:

* on the left, the run: "Starting…", "Looking for changes…", "Indexing 12 of 40 files · …",
  "Indexing paused…", "Up to date" (with what the last run changed, if anything);
* on the right, the index (from the engine's status): "51 files · 1,234 passages", then the
  problems entry (a link-styled button: it opens the problems dialog), then the memory gauge.

Nothing is shown before it is known: the index's counts and the problems entry stay hidden
until the first status, and ``running`` is the window's single answer to "is a run going on?"
(the message page reads it too).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QProgressBar, QPushButton, QStatusBar

from desktop_app.ui.widgets.memory_gauge import MemoryGauge
from desktop_app.ui.widgets.results import plural

if TYPE_CHECKING:
    from desktop_app.engine.pipeline import IndexSummary, Progress
    from desktop_app.engine.status import EngineStatus

#: The problems entry reads as a link in both palettes: the palette's link colour, underlined.
LINK_STYLE = (
    "QPushButton { border: none; padding: 0 6px; color: palette(link); "
    "text-decoration: underline; } QPushButton:hover { color: palette(highlight); }"
)


def thousands(n: int) -> str:
    return f"{n:,}"


def run_changes(summary: IndexSummary) -> str:
    """What a finished run changed, in words ("" when it changed nothing)."""
    parts = []
    if summary.indexed:
        parts.append(f"{plural(summary.indexed, 'file')} indexed")
    if summary.removed:
        parts.append(f"{summary.removed} removed")
    if summary.failed:
        parts.append(f"{summary.failed} could not be read")
    return ", ".join(parts)


def progress_text(p: Progress) -> str:
    """The left label during a run: counts, pace, time left and the file being read."""
    if p.paused:
        why = "paused for low memory" if p.paused_reason == "memory" else "paused"
        return f"Indexing {why}: {p.files_done} of {plural(p.files_total, 'file')}"
    if p.ocr_file:  # the slow phase has its own count: pages, not files
        return f"{ocr_pages_text(p)} · {os.path.basename(p.ocr_file)}"
    parts = [f"Indexing {p.files_done} of {plural(p.files_total, 'file')}"]
    if p.chunks_per_s:
        parts.append(f"{p.chunks_per_s:.1f} passages/s")
    if p.eta_s:
        parts.append(f"about {duration(p.eta_s)} left")
    if p.current_file:
        parts.append(os.path.basename(p.current_file))
    return " · ".join(parts)


def ocr_pages_text(p: Progress) -> str:
    """ "Reading scanned pages: 12 of 140", with "so far" while pictures or PDFs that may need
    reading are still waiting (their pages are not counted until a worker opens them)."""
    more = " so far" if p.ocr_more else ""
    return f"Reading scanned pages: {p.ocr_pages_done:,} of {p.ocr_pages_total:,}{more}"


def duration(seconds: float) -> str:
    """A time left in plain units: "40 s", "3 min", "1 h 20 min"."""
    s = round(seconds)
    if s < 60:
        return f"{max(s, 1)} s"
    minutes = round(s / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


class StatusArea:
    """The window's status bar widgets and the one state they show."""

    def __init__(self, bar: QStatusBar) -> None:
        self.bar = bar
        #: An indexing run (or a repair) is under way, as far as the events have told.
        self.running = False
        self.run_label = QLabel("Starting the search engine…")
        self.run_label.setTextFormat(Qt.TextFormat.PlainText)
        self.index_label = QLabel()
        self.index_label.setTextFormat(Qt.TextFormat.PlainText)
        self.index_label.setToolTip("What the index holds: files you can search and passages")
        self.index_label.hide()
        self.progress_bar = QProgressBar()
        self.progress_bar.setMaximumWidth(160)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.hide()
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.pause_button.hide()
        self.problems_button = QPushButton()
        self.problems_button.setStyleSheet(LINK_STYLE)
        self.problems_button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.problems_button.setToolTip("Files that could not be indexed, and why")
        self.problems_button.hide()
        self.gauge = MemoryGauge()
        bar.addWidget(self.run_label, 1)
        bar.addPermanentWidget(self.progress_bar)
        bar.addPermanentWidget(self.pause_button)
        bar.addPermanentWidget(self.index_label)
        bar.addPermanentWidget(self.problems_button)
        bar.addPermanentWidget(self.gauge)

    def engine_ready(self, indexing: bool) -> None:
        """The engine is up; its first run (the catch-up scan) may already be going."""
        self.running = indexing
        self.run_label.setText("Looking for changes…" if indexing else "Up to date")

    def engine_failed(self) -> None:
        self.running = False
        self.run_label.setText("The search engine could not start")

    def repairing(self) -> None:
        self.running = True
        self.run_label.setText("Checking and repairing the index…")

    def repaired(self, text: str) -> None:
        self._run_ended(text)

    def show_progress(self, p: Progress) -> None:
        self.running = True
        self.progress_bar.show()
        self.pause_button.show()
        self.progress_bar.setMaximum(max(1, p.files_total))
        self.progress_bar.setValue(p.files_done)
        self.run_label.setText(progress_text(p))

    def run_finished(self, summary: IndexSummary) -> None:
        changes = run_changes(summary)
        self._run_ended("Up to date" + (f" · {changes}" if changes else ""))

    def _run_ended(self, text: str) -> None:
        self.running = False
        self.progress_bar.hide()
        self.pause_button.hide()
        self.pause_button.setChecked(False)
        self.run_label.setText(text)

    def show_status(self, status: EngineStatus) -> None:
        """The index's contents: files and passages, and the problems entry."""
        files = status.files.indexed
        self.index_label.setText(f"{plural(files, 'file')} · {thousands(status.chunks)} passages")
        self.index_label.setVisible(bool(status.folders))
        problems = len(status.failures) + len(status.notices)
        self.problems_button.setText(plural(problems, "problem") if problems else "No problems")
        self.problems_button.show()

    def set_paused(self, paused: bool) -> None:
        self.pause_button.setText("Resume" if paused else "Pause")
