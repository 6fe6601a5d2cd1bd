"""The three dialogs as a user sees them: settings grouped with help and list editors, models
as a table with a state and a button per row, problems with an empty state and a retry."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QDoubleSpinBox,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from desktop_app.engine.models import ModelRow
from desktop_app.engine.status import FileProblem
from desktop_app.settings import SETTINGS
from desktop_app.ui.bridge import EngineBridge
from desktop_app.ui.dialogs import settings as settings_dialog
from desktop_app.ui.dialogs.models import ModelsDialog
from desktop_app.ui.dialogs.settings import HELP, HIDDEN, CheckList, ListEditor, SettingsDialog
from desktop_app.ui.widgets.problems import ProblemsDialog

MB = 1024 * 1024

# -- settings ---------------------------------------------------------------------------------


def defaults(**changes: Any) -> dict[str, Any]:
    values = {name: s.default for name, s in SETTINGS.items()}
    return {**values, **changes}


@pytest.fixture
def settings(qtbot: QtBot) -> SettingsDialog:
    dialog = SettingsDialog(
        defaults(
            folders=["/home/u/Documents", "/home/u/Notes"],
            paused_folders=["/home/u/Notes"],
            exclude_patterns=["*.log", "build/"],
            idle_unload_s=90.0,
        )
    )
    qtbot.addWidget(dialog)
    return dialog


def test_ocr_languages_are_check_boxes_and_one_always_stays(settings: SettingsDialog) -> None:
    editor = settings.editors["ocr_languages"]
    assert isinstance(editor, CheckList)
    english, chinese = editor.boxes["en"], editor.boxes["zh"]
    assert english.text().startswith("English") and chinese.text() == "Chinese"
    assert english.isChecked() and not chinese.isChecked()
    assert not english.isEnabled()  # the only one ticked: it cannot be unticked
    chinese.setChecked(True)
    assert english.isEnabled() and settings.values()["ocr_languages"] == ["en", "zh"]
    english.setChecked(False)
    assert not chinese.isEnabled() and settings.values()["ocr_languages"] == ["zh"]
    with pytest.raises(ValueError, match="not among en, zh"):
        SETTINGS["ocr_languages"].validate(["en", "fr"])
    with pytest.raises(ValueError):
        SETTINGS["ocr_languages"].validate([])


def test_the_wheel_scrolls_the_tab_and_leaves_an_unfocused_number_alone(
    qtbot: QtBot, settings: SettingsDialog
) -> None:
    settings.show()
    settings.tabs.setCurrentIndex(3)  # Scanned documents
    settings.resize(600, 300)  # short: the tab scrolls
    pages = settings.editors["ocr_max_pages"]
    assert isinstance(pages, QSpinBox)
    scroll = settings.tabs.currentWidget()
    assert isinstance(scroll, QScrollArea)
    qtbot.waitUntil(lambda: scroll.verticalScrollBar().maximum() > 0)
    before = pages.value()

    def wheel(widget: QWidget) -> None:
        centre = QPointF(widget.rect().center())
        event = QWheelEvent(
            centre, widget.mapToGlobal(centre), QPoint(), QPoint(0, -120),
            Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
            Qt.ScrollPhase.NoScrollPhase, False,
        )  # fmt: skip
        QApplication.sendEvent(widget, event)

    wheel(pages)
    assert pages.value() == before  # not clicked into: the number stays
    assert scroll.verticalScrollBar().value() > 0  # and the page scrolled instead
    pages.setFocus()
    qtbot.waitUntil(pages.hasFocus)
    wheel(pages)
    assert pages.value() == before - 1  # clicked into: the wheel changes it


def test_settings_are_grouped_on_tabs(settings: SettingsDialog) -> None:
    tabs = [settings.tabs.tabText(i) for i in range(settings.tabs.count())]
    assert tabs == ["General", "Indexing", "Memory", "Scanned documents", "Advanced"]
    assert settings.group_names("Scanned documents")[0] == "ocr_enabled"
    assert {"exclude_patterns", "paused_folders", "max_file_size_mb"} <= set(
        settings.group_names("Indexing")
    )
    assert {"memory_budget_mb", "memory_min_available_mb", "idle_unload_s"} <= set(
        settings.group_names("Memory")
    )
    assert "min_relevance" in settings.group_names("General")
    assert "store_uri" in settings.group_names("Advanced")
    shown = [n for group in tabs for n in settings.group_names(group)]
    assert sorted(shown) == sorted(set(SETTINGS) - HIDDEN)  # each once, folders left out
    assert "folders" not in settings.values()


def test_an_undeclared_group_falls_to_advanced() -> None:
    assert settings_dialog.group_of("some_new_setting") == "Advanced"
    assert settings_dialog.group_of("skip_hidden") == "Indexing"


def test_each_setting_has_its_help_under_it(settings: SettingsDialog) -> None:
    for name, editor in settings.editors.items():
        label = settings.help[name]
        assert isinstance(label, QLabel) and label.text() == HELP.get(name, SETTINGS[name].doc)
        assert editor.toolTip() == SETTINGS[name].doc
        assert label.parentWidget() is editor.parentWidget()  # in the editor's column
        layout = editor.parentWidget().layout()
        assert layout.indexOf(label) == layout.indexOf(editor) + 1  # the line under it


def test_spin_boxes_use_declared_bounds_and_plain_units(settings: SettingsDialog) -> None:
    idle = settings.editors["idle_unload_s"]
    assert isinstance(idle, QDoubleSpinBox)
    assert (idle.minimum(), idle.maximum()) == (0.0, SETTINGS["idle_unload_s"].maximum)
    assert idle.text() == "90 s"
    idle.setValue(0)
    assert idle.text().startswith("Never")
    budget = settings.editors["memory_budget_mb"]
    assert isinstance(budget, QSpinBox) and budget.suffix() == " MB"
    assert budget.minimum() == SETTINGS["memory_budget_mb"].minimum
    assert budget.maximum() == SETTINGS["memory_budget_mb"].maximum
    debounce = settings.editors["watch_debounce_s"]
    assert isinstance(debounce, QDoubleSpinBox)
    assert debounce.minimum() == pytest.approx(0.05) and debounce.suffix() == " s"
    workers = settings.editors["extract_workers"]
    assert isinstance(workers, QSpinBox) and workers.maximum() == 32
    assert isinstance(settings.editors["skip_hidden"], QCheckBox)


def test_exclusions_are_a_list_with_add_and_remove(
    settings: SettingsDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = settings.editors["exclude_patterns"]
    assert isinstance(editor, ListEditor)
    assert settings.values()["exclude_patterns"] == ["*.log", "build/"]
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("  node_modules/ ", True))
    editor.add_button.click()
    assert settings.values()["exclude_patterns"] == ["*.log", "build/", "node_modules/"]
    assert not editor.remove_button.isEnabled()
    editor.list.setCurrentRow(0)
    assert editor.remove_button.isEnabled()
    editor.remove_button.click()
    assert settings.values()["exclude_patterns"] == ["build/", "node_modules/"]
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("ignored", False))
    editor.add_button.click()  # cancelled
    assert settings.values()["exclude_patterns"] == ["build/", "node_modules/"]


def test_paused_folders_are_picked_from_the_indexed_ones(
    settings: SettingsDialog, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = settings.editors["paused_folders"]
    assert isinstance(editor, ListEditor)
    assert editor.choices == ["/home/u/Documents", "/home/u/Notes"]
    assert settings.values()["paused_folders"] == ["/home/u/Notes"]
    editor.add_item("/home/u/Documents")  # what the Add menu's entry does
    editor.add_item("/home/u/Documents")  # listed once
    assert settings.values()["paused_folders"] == ["/home/u/Notes", "/home/u/Documents"]
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *a, **k: "/mnt/elsewhere")
    editor.add_button.click()  # every indexed folder is paused already: a folder dialog
    assert settings.values()["paused_folders"][-1] == "/mnt/elsewhere"
    editor.list.selectAll()
    editor.remove_button.click()
    assert settings.values()["paused_folders"] == []


# -- models -----------------------------------------------------------------------------------

ROWS = (
    ModelRow("all-MiniLM-L6-v2", 384, 24 * MB, True, True, "", "Small and fast English model"),
    ModelRow("tiny", 32, 1 * MB, True, False, "", "/models/tiny.gguf"),
    ModelRow(
        "nomic-embed-text-v1.5-Q8_0",
        768,
        139 * MB,
        False,
        False,
        "https://example.org/nomic.gguf",
        "Longer passages, better quality, slower " * 4,
    ),
)


@pytest.fixture
def bridge() -> Iterator[EngineBridge]:
    bridge = EngineBridge()  # never started: requests only queue
    yield bridge


@pytest.fixture
def models_dialog(
    qtbot: QtBot, bridge: EngineBridge, monkeypatch: pytest.MonkeyPatch
) -> tuple[ModelsDialog, list[tuple[str, str]]]:
    calls: list[tuple[str, str]] = []
    for method in ("download_model", "switch_model", "list_models"):
        monkeypatch.setattr(
            bridge.runner, method, lambda *a, m=method: calls.append((m, *a) if a else (m, ""))
        )
    dialog = ModelsDialog(bridge)
    qtbot.addWidget(dialog)
    bridge.models_changed.emit(ROWS)
    qtbot.waitUntil(lambda: dialog.table.rowCount() == 3)
    calls.clear()
    return dialog, calls


def cell(dialog: ModelsDialog, row: int, col: int) -> str:
    item = dialog.table.item(row, col)
    assert item is not None
    return item.text()


def test_models_table_is_tidy(models_dialog: tuple[ModelsDialog, list[tuple[str, str]]]) -> None:
    dialog, _ = models_dialog
    assert dialog.table.verticalHeader().isHidden()
    assert not dialog.table.wordWrap()
    assert [cell(dialog, i, 0) for i in range(3)] == [r.id for r in ROWS]
    assert [cell(dialog, i, 1) for i in range(3)] == ["In use", "Installed", "Available, 139 MB"]
    assert dialog.table.item(2, 3).toolTip().startswith("nomic-embed-text-v1.5-Q8_0: Longer")


def test_row_buttons(
    models_dialog: tuple[ModelsDialog, list[tuple[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog, calls = models_dialog
    assert dialog.row_button("all-MiniLM-L6-v2") is None  # the model in use: nothing to do
    use = dialog.row_button("tiny")
    download = dialog.row_button("nomic-embed-text-v1.5-Q8_0")
    assert isinstance(use, QPushButton) and use.text() == "Use"
    assert isinstance(download, QPushButton) and download.text() == "Download"

    asked: list[str] = []
    answers = [QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes]

    def answer(parent: object, title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return answers.pop(0)

    monkeypatch.setattr(QMessageBox, "question", answer)
    use.click()  # declined: nothing is requested
    assert calls == [] and "passages will be embedded again" in asked[0]
    use.click()
    assert calls == [("switch_model", "tiny")]

    calls.clear()
    download.click()
    assert calls == [("download_model", "nomic-embed-text-v1.5-Q8_0")]
    assert cell(dialog, 2, 1) == "Downloading…" and dialog.cancel_button.isVisibleTo(dialog)
    assert dialog.row_button("nomic-embed-text-v1.5-Q8_0").isEnabled() is False  # type: ignore[union-attr]


# -- problems ---------------------------------------------------------------------------------

BROKEN = FileProblem(
    "/docs/broken.pdf", "corrupt", "not a readable PDF (PDFium could not parse it)"
)
EMPTY = FileProblem("/docs/empty.txt", "no_text", "the file is empty")
SCANNED = FileProblem(
    "/docs/scan.pdf", "no_text", "none of the 3 pages has a text layer (scanned?)"
)


@pytest.fixture
def problems(qtbot: QtBot) -> ProblemsDialog:
    dialog = ProblemsDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_problems_empty_state(problems: ProblemsDialog) -> None:
    problems.set_failures([])
    assert problems.stack.currentWidget() is problems.empty and problems.empty.isVisible()
    assert "Nothing went wrong" in problems.empty.text()
    assert not problems.table.isVisible()
    problems.set_failures([BROKEN])
    assert problems.table.isVisible() and not problems.empty.isVisible()
    assert problems.table.rowCount() == 1


def test_problems_columns_and_empty_file(problems: ProblemsDialog) -> None:
    problems.set_failures([BROKEN, EMPTY, SCANNED])
    texts = [
        [problems.table.item(r, c).text() for c in range(3)]  # type: ignore[union-attr]
        for r in range(3)
    ]
    assert texts[0] == ["/docs/broken.pdf", "damaged or unreadable format", BROKEN.message]
    assert texts[1][1] == "empty" and "fail" not in texts[1][2]
    assert texts[2][1] == "no text in it"  # a scanned PDF is a real problem, not "empty"
    detail = problems.table.item(0, 2)
    assert detail is not None and detail.toolTip() == BROKEN.message
    for col in (1, 2):  # the reason and its detail shown in full, the path elided if need be
        assert problems.table.columnWidth(col) >= problems.table.sizeHintForColumn(col)


def test_retry_needs_a_selection(qtbot: QtBot, problems: ProblemsDialog) -> None:
    problems.set_failures([BROKEN, EMPTY])
    assert not problems.retry_button.isEnabled()
    problems.table.selectRow(1)
    assert problems.retry_button.isEnabled()
    with qtbot.waitSignal(problems.retry_requested) as retried:
        problems.retry_button.click()
    assert retried.args == [["/docs/empty.txt"]]
    problems.set_failures([BROKEN, EMPTY])  # a status refresh keeps the selection
    assert problems.retry_button.isEnabled()
    problems.table.clearSelection()
    assert not problems.retry_button.isEnabled()
