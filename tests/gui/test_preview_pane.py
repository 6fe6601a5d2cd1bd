"""The preview pane (issue 16): the document's structure kept, Markdown rendered, the file's
name once, highlights, literal text, an empty state, the buttons, readable in light and dark
palettes; and Show in folder's choice of what to start on each platform."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPalette, QTextCursor, QTextDocument
from pytestqt.qtbot import QtBot

from desktop_app.engine import pathnames
from desktop_app.engine.search import FileHit, Passage
from desktop_app.ui import opener
from desktop_app.ui.preview import PreviewColors, body_html
from desktop_app.ui.widgets.preview_pane import PreviewPane, page_colors
from tests.helpers.desktop import desktop_tree, set_default

MARKDOWN = """# Field notes

Some **basalt** words and a [survey report](http://example.com/report) here,
with `code span` and *emphasis*.

- first basalt item
- second item
  continued

```python
def basalt(): return 1
```
"""

MAIL = """Subject: Basalt samples
From: Ann <ann@example.com>
To: bob@example.com
Date: Mon, 1 Jan 2024 10:00:00 +0000

Hi Bob,
here are the basalt samples.
"""


def passage(text: str, words: tuple[str, ...] = ("basalt",), start: int = 0) -> Passage:
    marks = []
    for word in words:
        at = text.find(word)
        while at >= 0:
            marks.append((at, at + len(word)))
            at = text.find(word, at + 1)
    return Passage(0, text, marks, 1.0, None, None, start, start + len(text))


def file_hit(path: str, text: str, file_type: str = "text", title: str = "") -> FileHit:
    return FileHit(
        path, 0.9, title, text[:80], [], None, 0, file_type, 1.7e9, 2048,
        passages=[passage(text)], relevance=0.8,
    )  # fmt: skip


@pytest.fixture
def pane(qtbot: QtBot) -> Iterator[PreviewPane]:
    widget = PreviewPane()
    qtbot.addWidget(widget)
    widget.resize(320, 480)
    widget.show()
    yield widget


@pytest.fixture
def present(tmp_path: Path) -> str:
    """An index key of a file that exists (Open and Show in folder are on for it)."""
    path = tmp_path / "notes on basalt.txt"
    path.write_text("basalt\n")
    return pathnames.key(str(path))


def block_of(document: QTextDocument, words: str) -> QTextCursor:
    cursor = document.find(words)
    assert not cursor.isNull(), f"{words!r} not in the page"
    return cursor


def test_a_plain_text_passage_keeps_its_lines_and_paragraphs(pane: PreviewPane) -> None:
    text = "First line of the basalt report\nSecond line stays apart\n\nA new paragraph"
    pane.show_hit(file_hit("/docs/report.txt", text))
    shown = pane.browser.toPlainText()
    assert "First line of the basalt report\nSecond line stays apart\n" in shown
    assert "\nA new paragraph" in shown
    first = block_of(pane.browser.document(), "First line").block()
    assert first.text().count("\u2028") == 1  # a line break inside the first paragraph
    assert first.next().text() == "A new paragraph"  # the blank line: a paragraph of its own


def test_markdown_is_rendered_not_shown_as_syntax(pane: PreviewPane) -> None:
    pane.show_hit(file_hit("/docs/notes.md", MARKDOWN, "markdown", title="Field notes"))
    shown = pane.browser.toPlainText()
    for syntax in ("#", "](", "[survey", "**", "`", "```", "*emphasis*"):
        assert syntax not in shown, syntax
    for words in ("Field notes", "survey report", "basalt words", "code span", "emphasis"):
        assert words in shown, words
    assert "first basalt item" in shown
    document = pane.browser.document()
    heading = block_of(document, "Field notes")
    assert heading.charFormat().fontWeight() >= QFont.Weight.DemiBold
    item = block_of(document, "first basalt item")
    assert item.block().textList() is not None  # a real list, its marker not in the text
    assert block_of(document, "emphasis").charFormat().fontItalic()


def test_a_code_block_is_preformatted(pane: PreviewPane) -> None:
    hit = file_hit("/docs/notes.md", MARKDOWN, "markdown")
    html = body_html(hit)
    pre = html[html.index("<pre") : html.index("</pre>")]
    assert "def <b>basalt</b>(): return 1" in pre
    pane.show_hit(hit)
    code = block_of(pane.browser.document(), "(): return 1")
    fmt = code.block().charFormat()
    assert fmt.fontFixedPitch() or "mono" in " ".join(fmt.fontFamilies() or []).lower()


def test_email_headers_are_a_small_table(pane: PreviewPane) -> None:
    pane.show_hit(file_hit("/mail/basalt.eml", MAIL, "email"))
    shown = pane.browser.toPlainText()
    assert "From:" not in shown and "Subject:" not in shown  # names in a column, no colons
    sender = block_of(pane.browser.document(), "ann@example.com")
    table = sender.currentTable()
    assert table is not None and table.rows() == 4 and table.columns() == 2
    assert table.cellAt(1, 0).firstCursorPosition().block().text() == "From"
    assert "here are the basalt samples." in shown
    assert block_of(pane.browser.document(), "here are the").currentTable() is None


def test_the_file_name_appears_once_in_the_whole_pane(pane: PreviewPane) -> None:
    """Name in the header; the folder, facts and body do not repeat it. A Markdown title that
    is the passage's own heading shows once too (in the body, where it is)."""
    pane.show_hit(file_hit("/docs/geology/field-notes.md", MARKDOWN, "markdown", "Field notes"))
    labels = (pane.name_label, pane.folder_label, pane.facts_label)
    everything = "\n".join([*(lab.text() for lab in labels), pane.browser.toPlainText()])
    assert pane.name_label.text() == "field-notes.md"
    assert everything.count("field-notes") == 1
    assert everything.count("Field notes") == 1
    assert pane.folder_label.text() == "/docs/geology"
    assert "2 KB" in pane.facts_label.text()


def test_highlights_are_bold_and_marked(pane: PreviewPane) -> None:
    pane.show_hit(file_hit("/docs/report.txt", "plain words then basalt again"))
    document = pane.browser.document()
    cursor = block_of(document, "basalt")
    assert cursor.charFormat().fontWeight() >= QFont.Weight.Bold
    assert cursor.charFormat().background().style() != Qt.BrushStyle.NoBrush
    plain = block_of(document, "plain")
    assert plain.charFormat().fontWeight() < QFont.Weight.DemiBold


def test_markup_and_entities_in_the_text_show_literally(pane: PreviewPane) -> None:
    text = 'He said "basalt" <b>not bold</b> & wrote &quot; by hand'
    pane.show_hit(file_hit("/docs/<b>odd &quot;.txt", text))
    shown = pane.browser.toPlainText()
    assert text in shown
    assert shown.count("&quot;") == 1  # the one typed in the file, none made of the '"'
    assert block_of(pane.browser.document(), "not bold").charFormat().fontWeight() < 600
    assert pane.name_label.text() == "<b>odd &quot;.txt"
    assert pane.name_label.textFormat() == Qt.TextFormat.PlainText


def test_clear_empties_the_pane_and_turns_the_buttons_off(pane: PreviewPane, present: str) -> None:
    pane.show_hit(file_hit(present, "basalt"))
    assert pane.open_button.isEnabled() and pane.reveal_button.isEnabled()
    assert pane.current_path() == present
    pane.clear()
    assert pane.browser.toPlainText() == ""
    assert pane.current_path() is None
    assert pane.name_label.text() == "" and pane.facts_label.text() == ""
    buttons = (pane.open_button, pane.reveal_button, pane.copy_button)
    assert not any(b.isEnabled() for b in buttons)


def test_the_buttons_ask_for_the_file_by_its_key(
    qtbot: QtBot, pane: PreviewPane, present: str
) -> None:
    pane.show_hit(file_hit(present, "basalt"))
    with qtbot.waitSignal(pane.open_requested, timeout=1000) as opened:
        qtbot.mouseClick(pane.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [present, 0]  # a text file: no page to open at
    with qtbot.waitSignal(pane.reveal_requested, timeout=1000) as revealed:
        qtbot.mouseClick(pane.reveal_button, Qt.MouseButton.LeftButton)
    assert revealed.args == [present]


def test_copy_path_puts_the_shown_path_on_the_clipboard(qtbot: QtBot, pane: PreviewPane) -> None:
    key = pathnames.key(os.fsdecode(b"/docs/caf\xe9 notes.txt"))
    pane.show_hit(file_hit(key, "basalt"))
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(pane.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == "/docs/caf\\xe9 notes.txt"
    assert pane.copy_button.text() != "Copy path"  # it says so
    qtbot.waitUntil(lambda: pane.copy_button.text() == "Copy path", timeout=3000)


def test_a_file_gone_says_so_and_is_forgotten(pane: PreviewPane, tmp_path: Path) -> None:
    path = tmp_path / "soon gone.txt"
    path.write_text("basalt\n")
    pane.show_hit(file_hit(str(path), "basalt"))
    assert not pane.notice.isVisibleTo(pane)
    assert not pane.forget_if_missing()
    path.unlink()
    pane.show_hit(file_hit(str(path), "basalt"))
    assert pane.notice.isVisibleTo(pane) and "no longer" in pane.notice.text()
    assert not pane.open_button.isEnabled() and pane.copy_button.isEnabled()
    assert pane.forget_if_missing()
    assert pane.current_path() is None and pane.browser.toPlainText() == ""


def test_say_shows_a_problem_in_the_pane(pane: PreviewPane, present: str) -> None:
    pane.show_hit(file_hit(present, "basalt"))
    pane.say("Could not open “notes on basalt.txt”")
    assert pane.notice.isVisibleTo(pane) and "Could not open" in pane.notice.text()
    pane.show_hit(file_hit(present, "basalt"))
    assert not pane.notice.isVisibleTo(pane)


def contrast(a: QColor, b: QColor) -> float:
    """WCAG contrast ratio of two colours."""

    def luminance(c: QColor) -> float:
        def channel(v: float) -> float:
            return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4

        return (
            0.2126 * channel(c.redF()) + 0.7152 * channel(c.greenF()) + 0.0722 * channel(c.blueF())
        )

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


DARK = {
    QPalette.ColorRole.Window: "#2b2b2b",
    QPalette.ColorRole.WindowText: "#e6e6e6",
    QPalette.ColorRole.Base: "#1e1e1e",
    QPalette.ColorRole.Text: "#e6e6e6",
    QPalette.ColorRole.Highlight: "#2a82da",
    QPalette.ColorRole.PlaceholderText: "#505050",  # a faint one: the pane must not use it
}


@pytest.mark.parametrize("dark", [False, True])
def test_text_is_readable_in_light_and_dark_palettes(pane: PreviewPane, dark: bool) -> None:
    palette = QPalette(pane.palette())
    if dark:
        for role, colour in DARK.items():
            palette.setColor(role, QColor(colour))
    pane.setPalette(palette)
    hit = file_hit("/docs/geology/report.txt", "plain words then basalt again")
    pane.show_hit(hit)
    window = palette.color(QPalette.ColorRole.Window)
    for label in (pane.name_label, pane.folder_label, pane.facts_label):
        shown = label.palette().color(label.foregroundRole())
        assert contrast(shown, window) >= 4.5, (label.text(), shown.name())
    colors = page_colors(pane.browser.palette())
    base = pane.browser.palette().color(QPalette.ColorRole.Base)
    text = pane.browser.palette().color(QPalette.ColorRole.Text)
    assert contrast(QColor(colors.muted), base) >= 3.0
    assert contrast(text, QColor(colors.mark)) >= 4.5  # marked words stay readable
    assert f"background-color:{colors.mark}" in body_html(hit, colors)


def test_page_colors_follow_the_palette() -> None:
    assert PreviewColors().mark == ""  # the pure page marks by bold alone unless told
    light, dark = QPalette(QColor("#efefef")), QPalette(QColor("#303030"))
    assert page_colors(light) != page_colors(dark)


# -- Show in folder: what is started on each platform ----------------------------------------


class Launches:
    """Every way reveal_in_folder can reach the desktop, recorded; nothing is started.
    ``works`` says which of them succeed."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object]] = []
        self.works = {"start": True, "dbus": True, "open": True}

    def start(self, program: str, arguments: list[str]) -> bool:
        self.calls.append(("start", (program, arguments)))
        return self.works["start"]

    def show_items(self, uri: str) -> bool:
        self.calls.append(("dbus", uri))
        return self.works["dbus"]

    def open_externally(self, path_key: str, page: int = 0) -> bool:
        self.calls.append(("open", path_key))
        return self.works["open"]


@pytest.fixture
def launches(monkeypatch: pytest.MonkeyPatch) -> Launches:
    fake = Launches()
    monkeypatch.setattr(opener, "_start_detached", fake.start)
    monkeypatch.setattr(opener, "_show_items", fake.show_items)
    monkeypatch.setattr(opener, "open_externally", fake.open_externally)
    return fake


def test_a_scanned_pdf_opens_at_the_page_of_its_passage(
    qtbot: QtBot, pane: PreviewPane, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With Evince as the default PDF viewer the button says where it opens, the pane asks
    for that page, and the opener starts Evince at it; with no viewer known to take a page,
    the button is the plain Open (the file still opens, at its start)."""
    env = desktop_tree(tmp_path / "desktop", ["evince"])
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    monkeypatch.setattr(opener.sys, "platform", "linux")
    pdf = tmp_path / "scanned minutes.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    found = passage("basalt columns")
    found.page = 7
    hit = file_hit(pathnames.key(str(pdf)), "basalt columns", file_type="pdf")
    hit.passages = [passage("basalt", start=40), found]  # the first has no page (a title)

    pane.show_hit(hit)
    assert pane.open_button.text() == "Open"  # no default PDF viewer set yet
    set_default(env, "evince.desktop")
    pane.show_hit(hit)
    assert pane.open_button.text() == "Open at page 7"
    with qtbot.waitSignal(pane.open_requested, timeout=1000) as opened:
        qtbot.mouseClick(pane.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [hit.path, 7]

    started: list[list[str]] = []
    monkeypatch.setattr(
        opener, "_start_detached", lambda program, args: started.append([program, *args]) or True
    )
    assert opener.open_externally(hit.path, 7)
    assert started == [[str(Path(env["PATH"]) / "evince"), "--page-index=7", str(pdf)]]


def test_reveal_on_macos_uses_open_r(launches: Launches) -> None:
    assert opener.reveal_in_folder("/Users/ann/notes.txt", platform="darwin")
    assert launches.calls == [("start", ("/usr/bin/open", ["-R", "/Users/ann/notes.txt"]))]


def test_reveal_on_windows_uses_explorer_select(launches: Launches) -> None:
    path = os.path.join("C:", "Users", "ann", "notes.txt")
    assert opener.reveal_in_folder(path, platform="win32")
    assert launches.calls == [("start", ("explorer.exe", ["/select,", os.path.normpath(path)]))]


def test_reveal_on_linux_asks_the_file_manager_by_exact_uri(launches: Launches) -> None:
    key = pathnames.key(os.fsdecode(b"/home/ann/caf\xe9 notes.txt"))
    assert opener.reveal_in_folder(key, platform="linux")
    assert launches.calls == [("dbus", "file:///home/ann/caf%E9%20notes.txt")]


def test_reveal_falls_back_to_the_folder_then_reports_failure(launches: Launches) -> None:
    launches.works["dbus"] = False
    assert opener.reveal_in_folder("/home/ann/notes.txt", platform="linux")
    assert launches.calls[-1] == ("open", "/home/ann")
    launches.works.update(start=False, open=False)
    assert not opener.reveal_in_folder("/Users/ann/notes.txt", platform="darwin")
    assert launches.calls[-2:] == [
        ("start", ("/usr/bin/open", ["-R", "/Users/ann/notes.txt"])),
        ("open", "/Users/ann"),
    ]


def test_a_passage_read_by_ocr_is_marked_with_its_page(pane: PreviewPane) -> None:
    """Issue 17: text recognised from a scanned page says so above the passage."""
    from dataclasses import replace

    from desktop_app.engine.extract.base import OCR_SECTION

    hit = file_hit("/scans/receipt.pdf", "Total due 42 basalt tiles", file_type="pdf")
    scanned = replace(hit.passages[0], page=3, section=OCR_SECTION)
    pane.show_hit(replace(hit, passages=[scanned]))
    shown = pane.browser.toPlainText()
    assert f"Page 3 · {OCR_SECTION}" in shown
    assert "Total due 42 basalt tiles" in shown
