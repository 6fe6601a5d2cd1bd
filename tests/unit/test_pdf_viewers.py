"""Opening a PDF at a page: the default viewer is found as xdg-open finds it, and given its
page flag (ui/pdf_viewers.py). Everything lives in a throwaway XDG tree; nothing is started."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from desktop_app.ui.pdf_viewers import default_pdf_program, page_command
from tests.helpers.desktop import desktop_tree, set_default


@pytest.mark.parametrize(
    ("viewer", "arguments"),
    [
        ("evince", ["--page-index=7", "/docs/scan.pdf"]),
        ("okular", ["--page", "7", "/docs/scan.pdf"]),
        ("zathura", ["--page=7", "/docs/scan.pdf"]),
        ("mupdf", ["/docs/scan.pdf", "7"]),
        ("firefox", ["file:///docs/scan.pdf#page=7"]),
    ],
)
def test_the_default_viewer_gets_its_page_flag(
    tmp_path: Path, viewer: str, arguments: list[str]
) -> None:
    env = desktop_tree(tmp_path, [viewer, "okular" if viewer != "okular" else "evince"])
    set_default(env, f"{viewer}.desktop")
    command = page_command("/docs/scan.pdf", 7, env)
    assert command == [os.path.join(env["PATH"], viewer), *arguments]


def test_the_desktops_own_list_comes_first(tmp_path: Path) -> None:
    env = desktop_tree(tmp_path, ["evince", "okular"])
    set_default(env, "evince.desktop")
    set_default(env, "okular.desktop", listing="kde-mimeapps.list")
    env["XDG_CURRENT_DESKTOP"] = "KDE"
    assert default_pdf_program(env) == os.path.join(env["PATH"], "okular")
    env["XDG_CURRENT_DESKTOP"] = "GNOME"
    assert default_pdf_program(env) == os.path.join(env["PATH"], "evince")


def test_no_page_command_for_an_unknown_viewer_or_no_default(tmp_path: Path) -> None:
    """The caller then opens the file as usual: the page is a nicety, the file is not."""
    env = desktop_tree(tmp_path, ["inkscape", "evince"])
    assert page_command("/docs/scan.pdf", 3, env) is None  # no default set
    set_default(env, "inkscape.desktop")
    assert page_command("/docs/scan.pdf", 3, env) is None
    set_default(env, "missing.desktop")
    assert page_command("/docs/scan.pdf", 3, env) is None
    set_default(env, "evince.desktop")
    assert page_command("/docs/scan.pdf", 0, env) is None  # no page known


def test_a_file_name_with_spaces_and_a_quoted_exec_line(tmp_path: Path) -> None:
    env = desktop_tree(tmp_path, ["evince", "firefox"])
    (Path(env["XDG_DATA_DIRS"]) / "applications" / "evince.desktop").write_text(
        '[Desktop Entry]\nExec=env GDK_BACKEND=x11 "evince" %U\n'
    )
    set_default(env, "evince.desktop")
    assert page_command("/my docs/a scan.pdf", 2, env) == [
        os.path.join(env["PATH"], "evince"),
        "--page-index=2",
        "/my docs/a scan.pdf",
    ]
    set_default(env, "firefox.desktop")
    assert page_command("/my docs/a scan.pdf", 2, env) == [
        os.path.join(env["PATH"], "firefox"),
        "file:///my%20docs/a%20scan.pdf#page=2",
    ]
