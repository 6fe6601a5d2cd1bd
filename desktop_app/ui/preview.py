"""The preview pane's page for one hit: its title, path, date, size and type, then the best
passages with the query's words marked."""

from __future__ import annotations

import datetime as dt
import html
import os
from typing import TYPE_CHECKING

from desktop_app.engine.pathnames import display
from desktop_app.ui.widgets.results import human_size, marked_html

if TYPE_CHECKING:
    from desktop_app.engine.search import FileHit


def preview_html(hit: FileHit) -> str:
    modified = dt.datetime.fromtimestamp(hit.modified).strftime("%Y-%m-%d %H:%M")
    parts = [
        f"<h3>{html.escape(hit.title or os.path.basename(display(hit.path)))}</h3>",
        f"<p style='color:gray'>{html.escape(display(hit.path))}<br>"
        f"{modified} · {human_size(hit.size)} · {html.escape(hit.file_type)}</p>",
    ]
    for passage in hit.passages:
        where = f"page {passage.page}" if passage.page else (passage.section or "")
        parts.append(
            f"<p style='color:gray'>{html.escape(where)}</p>"
            f"<p>{marked_html(passage.text, passage.highlights)}</p><hr>"
        )
    return "".join(parts)
