"""The main window: search box, filters, results, preview, folders, status and memory gauge.

Everything the window learns arrives through the bridge's signals, connected queued; every
request leaves through a bridge method that only queues work. Typing searches after a short
pause (Enter at once, Esc clears); results are shown only if they answer the latest request.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer
from PySide6.QtGui import (
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app import __version__
from desktop_app.engine.pathnames import display
from desktop_app.ui import window_state
from desktop_app.ui.bridge import EngineBridge, Filters
from desktop_app.ui.keyboard import SearchKeys
from desktop_app.ui.menus import AboutDialog, Menus, ShortcutsDialog, popup_menu, show
from desktop_app.ui.opener import open_externally, reveal_in_folder
from desktop_app.ui.pdf_viewers import page_to_open
from desktop_app.ui.status_area import StatusArea
from desktop_app.ui.widgets.folders import FoldersPanel
from desktop_app.ui.widgets.preview_pane import PreviewPane
from desktop_app.ui.widgets.problems import ProblemsDialog
from desktop_app.ui.widgets.result_list import ResultsPanel, query_label
from desktop_app.ui.widgets.results import HIT_ROLE
from desktop_app.ui.widgets.search_bar import SearchBar

if TYPE_CHECKING:
    from desktop_app.engine.events import EngineStarted
    from desktop_app.engine.memory import MemoryStatus
    from desktop_app.engine.pipeline import IndexSummary, Progress
    from desktop_app.engine.search import SearchResponse
    from desktop_app.engine.status import EngineStatus
    from desktop_app.engine.store import DoctorReport

TYPING_PAUSE_MS = 250
#: The folders pane's first width (then the user's, kept in window.ini).
FOLDERS_WIDTH = 220
QUEUED = Qt.ConnectionType.QueuedConnection


class MainWindow(QMainWindow):
    def __init__(self, bridge: EngineBridge) -> None:
        super().__init__()
        self.bridge = bridge
        #: Where requests go: each of its commands only queues work and returns at once.
        self.runner = bridge.runner
        self.setWindowTitle(f"Desktop Search {__version__}")
        self.resize(1100, 700)
        self.setAcceptDrops(True)
        self.status: EngineStatus | None = None
        self.ready = False
        self._latest_request = 0
        #: Set by the app when a tray icon exists and the setting asks for it.
        self.keep_in_tray = False
        #: The engine's last start (the model in use), for Help > About.
        self.engine_info: EngineStarted | None = None
        #: The query before "more like this", for the banner's way back.
        self._before_similar: str | None = None
        self._build()
        self._connect()
        self._restore_state()

    # -- layout ------------------------------------------------------------------------------

    def _build(self) -> None:
        self.search_bar = SearchBar()
        self.search_box = self.search_bar.search_box
        self.type_filter = self.search_bar.type_filter
        self.date_filter = self.search_bar.date_filter
        self.folder_filter = self.search_bar.folder_filter

        self.results_panel = ResultsPanel()
        self.model = self.results_panel.model
        self.results_view = self.results_panel.view
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        self.first_folder_button = QPushButton("Choose a folder to index…")
        self.first_folder_button.hide()
        self.repair_button = QPushButton("Repair the index")
        self.repair_button.hide()
        self.message_page = QWidget()
        page = QVBoxLayout(self.message_page)
        page.addStretch()
        page.addWidget(self.message)
        page.addWidget(self.first_folder_button, 0, Qt.AlignmentFlag.AlignCenter)
        page.addWidget(self.repair_button, 0, Qt.AlignmentFlag.AlignCenter)
        page.addStretch()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.message_page)
        self.stack.addWidget(self.results_panel)
        self.preview = PreviewPane()
        self.splitter = splitter = QSplitter()
        splitter.addWidget(self.stack)
        splitter.addWidget(self.preview)
        splitter.setSizes([620, 420])

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.search_bar)
        layout.addWidget(splitter, 1)
        self.setCentralWidget(body)

        self.folders = FoldersPanel()
        dock = QDockWidget("Folders")
        dock.setObjectName("folders")
        dock.setWidget(self.folders)
        dock.setFeatures(QDockWidget.DockWidgetFeature.NoDockWidgetFeatures)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.resizeDocks([dock], [FOLDERS_WIDTH], Qt.Orientation.Horizontal)

        self.status_area = StatusArea(self.statusBar())
        self.pause_button = self.status_area.pause_button
        self.problems_button = self.status_area.problems_button
        self.gauge = self.status_area.gauge
        self.problems = ProblemsDialog(self)
        self.menus = Menus(
            self,
            {
                "settings": self.open_settings,
                "models": self.open_models,
                "problems": self.problems.show,
                "repair": self.repair_index,
                "quit": self.quit_app,
                "keys": self.show_shortcuts,
                "about": self.show_about,
            },
        )
        self._show_message("Starting the search engine…")

        self.typing_timer = QTimer(self)
        self.typing_timer.setSingleShot(True)
        self.typing_timer.setInterval(TYPING_PAUSE_MS)

    def _connect(self) -> None:
        b = self.bridge
        b.engine_ready.connect(self._on_ready, QUEUED)
        b.engine_failed.connect(self._on_failed, QUEUED)
        b.progress.connect(self._on_progress, QUEUED)
        b.index_finished.connect(self._on_index_finished, QUEUED)
        b.status_changed.connect(self._on_status, QUEUED)
        b.results.connect(self._on_results, QUEUED)
        b.search_failed.connect(self._on_search_failed, QUEUED)
        b.memory.connect(self._on_memory, QUEUED)
        b.problem.connect(
            lambda path, msg: self.statusBar().showMessage(f"{path}: {msg}", 8000), QUEUED
        )
        b.error.connect(lambda msg: self.statusBar().showMessage(msg, 8000), QUEUED)
        b.damaged.connect(self._on_damaged, QUEUED)
        b.repair_finished.connect(self._on_repaired, QUEUED)
        self.repair_button.clicked.connect(self.repair_index)

        self.search_box.textEdited.connect(self._typed)
        self.search_box.returnPressed.connect(self.run_search)
        self.typing_timer.timeout.connect(self.run_search)
        self.search_bar.search_requested.connect(self.run_search)
        self.results_panel.back_requested.connect(self.back_to_results)
        self.results_view.selectionModel().currentChanged.connect(self._show_preview)
        self.results_panel.open_requested.connect(self.open_path)
        self.preview.open_requested.connect(self.open_path)
        self.preview.reveal_requested.connect(self.reveal_path)
        for gone in (b.status_changed, b.index_finished):  # the previewed file may be deleted
            gone.connect(lambda *_: self.preview.forget_if_missing(), QUEUED)
        self.results_view.customContextMenuRequested.connect(self._context_menu)
        self.folders.add_requested.connect(self.add_folder)
        self.first_folder_button.clicked.connect(self.folders.pick_folder)
        self.folders.remove_requested.connect(self.runner.remove_folder)
        self.folders.pause_requested.connect(self.runner.set_folder_paused)
        self.pause_button.toggled.connect(self._toggle_pause)
        self.problems_button.clicked.connect(self.problems.show)
        self.problems.retry_requested.connect(self.runner.retry)

        self.focus_keys = [QKeySequence("Ctrl+K"), QKeySequence(QKeySequence.StandardKey.Find)]
        for keys in self.focus_keys:
            QShortcut(keys, self).activated.connect(self._focus_search)
        self.keys = SearchKeys(self.search_box, self.results_view, self.clear_search)
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.save_state)
        self._focus_search()

    # -- search ------------------------------------------------------------------------------

    def _focus_search(self) -> None:
        self.search_box.setFocus()
        self.search_box.selectAll()

    def clear_search(self) -> None:
        self._before_similar = None
        self.search_box.clear()
        self.results_panel.clear()
        self.preview.clear()
        self._show_idle_state()

    def filters(self) -> Filters:
        return self.search_bar.filters()

    def _typed(self, _text: str) -> None:
        self._before_similar = None  # a new query: "back" would lead nowhere it means
        self.typing_timer.start()

    def run_search(self) -> None:
        self.typing_timer.stop()
        text = self.search_box.text().strip()
        filters = self.filters()
        if not text and not (filters.types or filters.folders or filters.after):
            self.clear_search()
            return
        if not self.ready:
            return
        self._latest_request = self.runner.searches.search(text, filters=filters)

    def more_like_this(self, path: str) -> None:
        if self._before_similar is None:  # a chain of "more like this" keeps the first query
            self._before_similar = self.search_box.text()
        self.search_box.setText("")
        self._latest_request = self.runner.searches.similar(path)

    def back_to_results(self) -> None:
        """The "Similar to" banner's way back: the query before "more like this", again."""
        text, self._before_similar = self._before_similar or "", None
        self.search_box.setText(text)
        self.run_search()
        self._focus_search()

    def _on_results(self, request_id: int, response: SearchResponse) -> None:
        if request_id != self._latest_request:
            return  # an older answer overtaken by newer typing
        self.preview.clear()  # a reset model does not signal a current-row change
        self.results_panel.show_response(response, back_to=self._before_similar or "")
        if response.results:
            self.stack.setCurrentWidget(self.results_panel)
        elif self.status_area.running:
            self._show_message(
                "Nothing yet: the index is still being built, "
                "more results will come as files are indexed."
            )
        else:
            notes = "".join(f"Note: {note}\n" for note in response.notes)
            self._show_message(
                f"No results for “{query_label(response.query)}”.\n{notes}"
                "Try other words, or fewer filters."
            )

    def _on_search_failed(self, request_id: int, message: str) -> None:
        if request_id == self._latest_request:
            self._show_message(message)

    def _show_preview(self, current: QModelIndex, _previous: QModelIndex) -> None:
        hit = current.data(HIT_ROLE) if current.isValid() else None
        if hit is None:
            self.preview.clear()
            return
        self.preview.show_hit(hit)

    # -- opening -----------------------------------------------------------------------------

    def open_path(self, path: str, page: int = 0) -> None:
        """Open a file or folder (an index key) with the system's default application; a PDF
        at ``page`` where its viewer allows."""
        if not open_externally(path, page):
            self._could_not("Could not open “{}”", path)

    def reveal_path(self, path: str) -> None:
        """Show a file in its folder, selected where the platform's file manager allows."""
        if not reveal_in_folder(path):
            self._could_not("Could not show “{}” in its folder", path)

    def _could_not(self, template: str, path: str) -> None:
        """Say so in the status bar, and under the preview's buttons when it shows that file
        (the file's name first: a long path is cut)."""
        shown = display(path).rstrip("/\\") or display(path)
        name, where = os.path.basename(shown) or shown, os.path.dirname(shown)
        text = template.format(name) + (f" (in {where})" if where else "")
        self.statusBar().showMessage(text, 15_000)
        if self.preview.current_path() == path:
            self.preview.say(text)

    def add_folder(self, path: str) -> None:
        """Ask for ``path`` to be indexed; the search box gets the focus back."""
        self.runner.add_folder(path)
        self._focus_search()

    def _context_menu(self, pos: QPoint) -> None:
        index = self.results_view.indexAt(pos)
        hit = index.data(HIT_ROLE) if index.isValid() else None
        if hit is None:
            return
        actions = [
            ("Open", lambda: self.open_path(hit.path, page_to_open(hit))),
            ("Show in folder", lambda: self.reveal_path(hit.path)),
            ("Copy path", lambda: QGuiApplication.clipboard().setText(display(hit.path))),
            ("More like this", lambda: self.more_like_this(hit.path)),
        ]
        popup_menu(self, actions, self.results_view.viewport().mapToGlobal(pos))

    def open_settings(self) -> None:
        from desktop_app.ui.dialogs.settings import SettingsDialog

        dialog = SettingsDialog(self.bridge.settings_values(), self)
        if dialog.exec():
            self.runner.apply_settings(dialog.values())

    def open_models(self) -> None:
        from desktop_app.ui.dialogs.models import ModelsDialog

        ModelsDialog(self.bridge, self).exec()

    # -- engine state ------------------------------------------------------------------------

    def _on_ready(self, info: EngineStarted) -> None:
        self.ready = True
        self.engine_info = info
        self.status_area.engine_ready(info.catching_up or self.bridge.indexing)
        self._show_idle_state()
        if self.search_box.text().strip():
            self.run_search()

    def repair_index(self) -> None:
        """The window's ``doctor --repair``: check, fix what is inconsistent or rebuild."""
        self.status_area.repairing()
        if self.stack.currentWidget() is self.message_page:
            self._show_message("Checking and repairing the index…")
        self.runner.repair()

    def _on_damaged(self, message: str) -> None:
        what = message.split("; ")[0]  # the CLI's how-to-fix tail: the button is the fix here
        self._show_message(
            f"The index needs a repair: {what}.\n\nRepairing rebuilds what is damaged from "
            "your files; your folders and settings are kept."
        )
        self.repair_button.show()

    def _on_repaired(self, report: DoctorReport) -> None:
        done = "; ".join(report.actions) or "nothing needed repairing"
        state = "healthy" if report.ok else f"still has {len(report.problems)} problems"
        text = f"Index {state}: {done} ({report.files} files, {report.chunks} passages)."
        self.status_area.repaired(text)
        self.statusBar().showMessage(text, 20_000)

    def _on_failed(self, message: str) -> None:
        self.status_area.engine_failed()
        self._show_message(f"The search engine could not start:\n\n{message}")

    def _on_status(self, status: EngineStatus) -> None:
        self.status = status
        self.folders.set_status(status)
        self.search_bar.set_folders([f.path for f in status.folders])
        self.status_area.show_status(status)
        self.problems.set_failures(status.failures + status.notices)
        if not self.search_box.text().strip():
            self._show_idle_state()

    def _on_progress(self, p: Progress) -> None:
        self.status_area.show_progress(p)

    def _on_index_finished(self, summary: IndexSummary) -> None:
        self.status_area.run_finished(summary)
        if self.search_box.text().strip():
            self.run_search()  # refresh what is on screen
        else:
            self._show_idle_state()  # "Indexing in the background" would now be stale

    def _on_memory(self, reading: MemoryStatus) -> None:
        self.gauge.set_reading(reading)

    def _toggle_pause(self, paused: bool) -> None:
        self.status_area.set_paused(paused)
        self.runner.set_paused(paused)

    def _show_message(self, text: str, first_run: bool = False) -> None:
        self.message.setText(text)
        self.first_folder_button.setVisible(first_run)
        self.repair_button.hide()
        self.stack.setCurrentWidget(self.message_page)

    def _show_idle_state(self) -> None:
        if not self.ready:
            return
        if self.status is not None and not self.status.folders:
            self._show_message(
                "Welcome. Pick the folders you want to search: their documents are indexed in "
                "the background, on this machine only, and kept current as files change.\n\n"
                "No folders yet: choose one below, use “Add folder…” on the left, or drop a "
                "folder on this window.",
                first_run=True,
            )
        elif self.status_area.running:
            self._show_message("Indexing in the background; you can search already.")
        else:
            self._show_message("Type to search by meaning and by keyword.")

    def closeEvent(self, event: Any) -> None:
        """With ``keep_in_tray`` the window hides and indexing goes on; otherwise quit. Either
        way its size, panes and filters are saved for the next start."""
        self.save_state()
        if self.keep_in_tray:
            self.hide()
            event.ignore()
            return
        event.accept()

    def quit_app(self) -> None:
        """File > Quit (Ctrl+Q): quit even when closing would only hide to the tray."""
        self.keep_in_tray = False
        self.close()
        QApplication.quit()

    # -- help and window state ---------------------------------------------------------------

    def show_shortcuts(self) -> ShortcutsDialog:
        return show(ShortcutsDialog(self.menus.rows(self.focus_keys), self))

    def show_about(self) -> AboutDialog:
        return show(AboutDialog(self.engine_info.model if self.engine_info else None, self))

    def save_state(self) -> None:
        window_state.save(
            self,
            self.splitter,
            {
                **self.search_bar.filter_values(),
                "sort": self.results_panel.sort_key,
                "group": self.results_panel.group_key,
            },
        )

    def _restore_state(self) -> None:
        """Size, position, panes, the filters the user chose and the results' order as they
        were (the folder filter is applied once the first status brings the folders)."""
        saved = window_state.restore(self, self.splitter)
        self.search_bar.restore_filters(saved)
        self.results_panel.set_sort_key(saved.get("sort", ""))
        self.results_panel.set_group_key(saved.get("group", ""))

    # -- drag and drop -----------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if any(os.path.isdir(u.toLocalFile()) for u in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        for url in event.mimeData().urls():
            if os.path.isdir(url.toLocalFile()):
                self.add_folder(url.toLocalFile())
        event.acceptProposedAction()
