"""The minimal window: says which model is loaded and where data lives."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from desktop_app import paths
from desktop_app.engine.models import InstalledModel
from desktop_app.ui.app import MainWindow


def test_window_names_model_and_data_dir(
    qtbot: QtBot, default_model: InstalledModel, app_home: Path
) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    with qtbot.waitSignal(window._probe.found, timeout=10_000):
        window.start()
    assert "all-MiniLM-L6-v2" in window.model_label.text()
    assert str(default_model.path) in window.model_label.text()
    assert str(app_home) in window.data_label.text()


def test_window_explains_missing_model(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paths, "bundled_models_dir", lambda: Path("/nonexistent"))
    window = MainWindow()
    qtbot.addWidget(window)
    with qtbot.waitSignal(window._probe.found, timeout=10_000):
        window.start()
    assert "No usable embedding model" in window.model_label.text()
    assert "install-default" in window.model_label.text()
