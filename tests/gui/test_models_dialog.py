"""The models dialog: list, add a GGUF, download with progress, switch with a cost warning."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox
from pytestqt.qtbot import QtBot

from desktop_app.engine import models
from desktop_app.engine.convert import convert_checkpoint
from desktop_app.ui.dialogs.models import ModelsDialog, switch_cost
from desktop_app.ui.main_window import MainWindow
from tests.gui.conftest import WAIT_MS, index_docs
from tests.helpers.checkpoints import write_tiny_bert
from tests.helpers.http_server import served_catalogue_model


def test_switch_cost_wording() -> None:
    assert "about 10 seconds" in switch_cost(150, 15.0, 384, 384)
    assert "about 20 minutes" in switch_cost(9000, 15.0, 384, 768)
    assert "hours" in switch_cost(1_000_000, 15.0, 384, 384)


def row_ids(dialog: ModelsDialog) -> dict[str, str]:
    return {
        r.id: ("in use" if r.current else "installed" if r.installed else "download")
        for r in dialog.rows
    }


def rows_with(qtbot: QtBot, dialog: ModelsDialog, model_id: str) -> dict[str, str]:
    """The dialog's rows once they list ``model_id``. (Waiting on the bridge's signal is not
    enough: the dialog's own queued slot may run after the waiter's.)"""
    qtbot.waitUntil(lambda: model_id in row_ids(dialog), timeout=WAIT_MS)
    return row_ids(dialog)


def test_list_add_download_and_switch(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    docs = index_docs(
        qtbot, window, tmp_path / "docs", {"a.txt": "the cat sat on the mat\n"}, monkeypatch
    )

    dialog = ModelsDialog(window.bridge, window)
    qtbot.addWidget(dialog)
    states = rows_with(qtbot, dialog, "all-MiniLM-L6-v2")
    assert states["all-MiniLM-L6-v2"] == "in use"
    assert states["nomic-embed-text-v1.5-Q8_0"] == "download"

    tiny = convert_checkpoint(write_tiny_bert(tmp_path / "tiny"), tmp_path / "tiny.gguf").path
    window.runner.add_model(str(tiny))
    assert rows_with(qtbot, dialog, "tiny")["tiny"] == "installed"

    body = convert_checkpoint(
        write_tiny_bert(tmp_path / "t2", seed=5), tmp_path / "t2.gguf"
    ).path.read_bytes()
    with served_catalogue_model("tiny-download", body) as spec:
        assert isinstance(spec, models.ModelSpec)
        monkeypatch.setitem(models.CATALOGUE, spec.id, spec)
        window.runner.list_models()
        rows_with(qtbot, dialog, "tiny-download")
        download = dialog.row_button("tiny-download")
        assert download is not None and download.text() == "Download" and download.isEnabled()
        with qtbot.waitSignal(window.bridge.download_done, timeout=WAIT_MS) as done:
            download.click()
    assert done.args == ["tiny-download", ""]
    qtbot.waitUntil(lambda: row_ids(dialog).get("tiny-download") == "installed", timeout=WAIT_MS)

    asked: list[str] = []

    def answer(parent: object, title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer)
    use = dialog.row_button("tiny")
    assert use is not None and use.text() == "Use"
    with qtbot.waitSignal(window.bridge.index_finished, timeout=WAIT_MS):
        use.click()
    assert "passages will be embedded again" in asked[0]
    engine = window.bridge.engine
    assert engine is not None and engine.model.id == "tiny"
    assert engine.store.manifest()[str(docs / "a.txt")].model_id == "tiny"
    assert engine.store_uri.endswith("tiny")  # beside the old index, not mixed into it
