"""Which file names map to which format family.

Pure data and two lookups, with no imports from the rest of the package, so the scanner can
ask "would this file be indexed?" without loading any format library.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

CODE_EXTENSIONS: Final = frozenset(
    {
        # general-purpose languages
        ".py", ".pyi", ".pyw", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".java", ".c", ".h",
        ".cpp", ".hpp", ".cc", ".hh", ".cxx", ".hxx", ".cs", ".go", ".rs", ".rb", ".php",
        ".swift", ".kt", ".kts", ".scala", ".sc", ".m", ".mm", ".r", ".lua", ".pl", ".pm",
        ".hs", ".ex", ".exs", ".erl", ".hrl", ".clj", ".cljs", ".dart", ".jl", ".fs", ".fsx",
        ".ml", ".mli", ".nim", ".zig", ".v", ".vb", ".pas", ".f90", ".f", ".groovy", ".elm",
        # shells and scripts
        ".sh", ".bash", ".zsh", ".fish", ".ps1", ".psm1", ".bat", ".cmd", ".awk", ".sed",
        # web and UI
        ".vue", ".svelte", ".css", ".scss", ".sass", ".less", ".astro",
        # data, config and build
        ".sql", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".properties", ".env",
        ".xml", ".xsd", ".xsl", ".graphql", ".proto", ".tf", ".hcl", ".nix", ".gradle",
        ".cmake", ".mk", ".make", ".dockerfile",
        # documents written as source
        ".tex", ".bib", ".sty", ".cls",
    }
)  # fmt: skip

CODE_FILENAMES: Final = frozenset(
    {
        "makefile", "gnumakefile", "dockerfile", "containerfile", "jenkinsfile", "vagrantfile",
        "gemfile", "rakefile", "procfile", "justfile", "cmakelists.txt",
    }
)  # fmt: skip

_FAMILIES: Final[dict[str, tuple[str, ...]]] = {
    "text": (".txt", ".text"),
    "markdown": (".md", ".markdown", ".mdown", ".mkd"),
    "rst": (".rst", ".rest"),
    "csv": (".csv", ".tsv", ".tab"),
    "json": (".json", ".jsonl", ".ndjson", ".geojson", ".ipynb"),
    "log": (".log",),
    "html": (".html", ".htm", ".xhtml", ".xht", ".shtml"),
    "pdf": (".pdf",),
    "docx": (".docx",),
    "pptx": (".pptx",),
    "xlsx": (".xlsx", ".xlsm"),
    "odt": (".odt",),
    "ods": (".ods",),
    "odp": (".odp",),
    "epub": (".epub",),
    "rtf": (".rtf",),
    "email": (".eml",),
    # read by OCR (extract/image.py); nothing is loaded for them while OCR is off
    "image": (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp", ".webp", ".gif"),
}

BY_EXTENSION: Final[dict[str, str]] = {
    **dict.fromkeys(CODE_EXTENSIONS, "code"),
    **{ext: family for family, exts in _FAMILIES.items() for ext in exts},
}

SUPPORTED_EXTENSIONS: Final = frozenset(BY_EXTENSION)

TEXT_FAMILIES: Final = frozenset({"text", "markdown", "rst", "csv", "json", "log", "code"})
"""Families read as decoded text; content sniffing may overrule their extension."""

OOXML_FAMILIES: Final = frozenset({"docx", "pptx", "xlsx"})

IMAGE_EXTENSIONS: Final = frozenset(_FAMILIES["image"])
"""Files that only OCR can read: extraction runs them after the text files of a run."""


def family_by_name(path: Path) -> str | None:
    """The family for ``path`` by extension (or a well-known file name), None if unknown."""
    name = path.name.lower()
    if name in CODE_FILENAMES:
        return "code"
    return BY_EXTENSION.get(Path(name).suffix)
