"""A generated corpus of mixed documents for the indexing benchmarks (10,000 files by default).

Text is real English prose (the Python documentation topics that ship with every Python, in
``pydoc_data.topics``), cut into sentences and dealt out deterministically, so token counts and
vocabulary look like real documents rather than word salad. The mix is what a documents folder
holds: plain text, Markdown, HTML, PDF and DOCX, in 100 sub-folders. Most files are short notes
(one chunk of about 60 words); one in twenty is a page long (two chunks). Many small files are
the hard case for pipeline overhead: per-file work (extraction, manifest rows) is largest
relative to embedding, and the whole run fits the benchmark's time budget.

The corpus is cached under ``tests/benchmarks/.work/`` and rebuilt only when its recipe changes.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from pathlib import Path

RECIPE = 3
MIX = (("txt", 40), ("md", 25), ("html", 20), ("pdf", 10), ("docx", 5))


def sentences() -> list[str]:
    """Sentences of real prose from the Python documentation topics."""
    from pydoc_data.topics import topics

    text = " ".join(topics.values())
    text = re.sub(r"\*\*|``|\*|[=~^\-]{3,}|\s+", " ", text)
    found = re.split(r"(?<=[.!?])\s+(?=[A-Z])", text)
    return [s.strip() for s in found if 40 <= len(s) <= 400 and s.isascii()]


def _paragraphs(rng: random.Random, pool: list[str], words: int) -> list[str]:
    """Sentences until ``words`` is reached, grouped into paragraphs of one to three.

    Adding whole sentences one at a time keeps a short note short (adding whole paragraphs
    overshot a 25-word note to a hundred words).
    """
    paragraphs: list[str] = []
    current: list[str] = []
    count = 0
    while count < words:
        sentence = rng.choice(pool)
        current.append(sentence)
        count += len(sentence.split())
        if len(current) == 3 or rng.random() < 0.3:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return paragraphs


def _write(path: Path, kind: str, title: str, paragraphs: list[str]) -> None:
    if kind == "txt":
        path.write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    elif kind == "md":
        body = "\n\n".join(paragraphs)
        path.write_text(f"# {title}\n\n{body}\n", encoding="utf-8")
    elif kind == "html":
        body = "".join(f"<p>{p}</p>\n" for p in paragraphs)
        path.write_text(
            f"<html><head><title>{title}</title></head><body><h1>{title}</h1>\n{body}</body>"
            "</html>\n",
            encoding="utf-8",
        )
    elif kind == "pdf":
        from fpdf import FPDF

        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, title + "\n\n" + "\n\n".join(paragraphs))
        pdf.output(str(path))
    elif kind == "docx":
        import docx

        document = docx.Document()
        document.add_heading(title, 1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        document.save(str(path))
    else:
        raise ValueError(kind)


def build(root: Path, files: int = 10_000, seed: int = 7) -> dict[str, object]:
    """Write the corpus into ``root`` (reusing a complete one); return its description."""
    stamp = root / ".corpus.json"
    wanted = {"recipe": RECIPE, "files": files, "seed": seed}
    if stamp.exists():
        info = json.loads(stamp.read_text())
        if {k: info.get(k) for k in wanted} == wanted:
            return dict(info)
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    rng = random.Random(seed)
    pool = sentences()
    kinds = [kind for kind, weight in MIX for _ in range(weight)]
    counts: dict[str, int] = {}
    total_bytes = 0
    for i in range(files):
        kind = kinds[i % len(kinds)]
        folder = root / f"folder-{i % 100:03d}"
        folder.mkdir(exist_ok=True)
        words = rng.randint(150, 300) if rng.random() < 0.05 else rng.randint(25, 70)
        title = " ".join(rng.choice(pool).split()[:5]).strip(".,;:")
        path = folder / f"doc-{i:05d}.{kind}"
        _write(path, kind, title, _paragraphs(rng, pool, words))
        counts[kind] = counts.get(kind, 0) + 1
        total_bytes += path.stat().st_size
    info = {**wanted, "by_type": counts, "bytes": total_bytes}
    stamp.write_text(json.dumps(info))
    return info
