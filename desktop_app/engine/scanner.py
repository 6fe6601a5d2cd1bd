"""Walk the indexed folders and work out what changed since the last run.

The walk is ``os.scandir`` with ``stat`` (no file is opened), applying the exclusions: hidden
files and folders, version-control, dependency and build folders, virtual environments, known
binary types, and the user's patterns in .gitignore syntax. Symbolic links are not followed by
default, so a link loop or a link out of the folder is never walked.

The plan compares (size, mtime_ns) with the manifest. A file whose stat changed is confirmed by
content hash before it is re-indexed (a ``touch`` costs nothing), and a new file whose hash
equals that of a vanished file is a rename: its rows move, nothing is re-embedded.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from desktop_app.engine.pathnames import display, key, os_path
from desktop_app.engine.records import STATUS_INDEXED, FileRecord

log = logging.getLogger(__name__)

DEFAULT_EXCLUDED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".bzr",
        "CVS",
        "node_modules",
        "bower_components",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "build",
        "dist",
        "target",
        ".gradle",
        ".idea",
        ".vscode",
        ".cache",
        "site-packages",
        ".terraform",
        ".next",
        ".nuxt",
        ".eggs",
        "__MACOSX",
        "$RECYCLE.BIN",
        "System Volume Information",
    }
)
#: Types that never carry text worth indexing; skipped without being opened. (Pictures
#: that OCR reads, png, jpeg, tiff, bmp, webp and gif, are not among them: extract/image.py.)
BINARY_EXTENSIONS = frozenset(
    {
        ".ico",
        ".icns",
        ".heic",
        ".raw",
        ".psd",
        ".mp3",
        ".wav",
        ".flac",
        ".ogg",
        ".m4a",
        ".aac",
        ".mp4",
        ".mkv",
        ".mov",
        ".avi",
        ".webm",
        ".wmv",
        ".zip",
        ".gz",
        ".tgz",
        ".bz2",
        ".xz",
        ".zst",
        ".7z",
        ".rar",
        ".tar",
        ".iso",
        ".dmg",
        ".exe",
        ".dll",
        ".so",
        ".dylib",
        ".o",
        ".a",
        ".lib",
        ".class",
        ".jar",
        ".pyc",
        ".pyo",
        ".whl",
        ".deb",
        ".rpm",
        ".msi",
        ".apk",
        ".ttf",
        ".otf",
        ".woff",
        ".woff2",
        ".eot",
        ".db",
        ".sqlite",
        ".sqlite3",
        ".lance",
        ".gguf",
        ".safetensors",
        ".bin",
        ".pt",
        ".onnx",
        ".npy",
        ".npz",
        ".parquet",
        ".arrow",
        ".pkl",
        ".lock",
    }
)
HASH_BLOCK = 1 << 20


@dataclass(frozen=True)
class FileInfo:
    #: The index's key for the file (:mod:`pathnames`): the path itself unless the name is
    #: not valid UTF-8. Every path the engine passes around is such a key.
    path: str
    size: int
    mtime_ns: int


@dataclass
class Plan:
    """What an index run has to do."""

    new: list[FileInfo] = field(default_factory=list)
    changed: list[FileInfo] = field(default_factory=list)
    #: (old path, new file, content hash): rows move, nothing is re-embedded.
    renamed: list[tuple[str, FileInfo, str]] = field(default_factory=list)
    #: Stat changed but content did not: only the manifest row is refreshed.
    touched: list[tuple[FileInfo, str]] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: Content hashes already computed while planning (path -> sha256).
    hashes: dict[str, str] = field(default_factory=dict)
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def to_index(self) -> list[FileInfo]:
        return self.new + self.changed

    @property
    def is_empty(self) -> bool:
        return not (self.new or self.changed or self.renamed or self.touched or self.deleted)


class Exclusions:
    """Decides which folders and files the walk skips."""

    def __init__(
        self,
        patterns: Iterable[str] = (),
        *,
        skip_hidden: bool = True,
        max_bytes: int | None = None,
    ) -> None:
        import pathspec

        self.patterns = [p for p in patterns if p.strip()]
        self._spec = pathspec.GitIgnoreSpec.from_lines(self.patterns)
        self.skip_hidden = skip_hidden
        self.max_bytes = max_bytes

    def skip_dir(self, name: str, relative: str) -> bool:
        if name in DEFAULT_EXCLUDED_DIRS or (self.skip_hidden and name.startswith(".")):
            return True
        return bool(self.patterns) and self._spec.match_file(relative + "/")

    def skip_file(self, name: str, relative: str) -> bool:
        if self.skip_hidden and name.startswith("."):
            return True
        if Path(name).suffix.lower() in BINARY_EXTENSIONS:
            return True
        return bool(self.patterns) and self._spec.match_file(relative)


def is_within(path: str, root: str) -> bool:
    """``path`` is ``root`` or below it (by path text: the watcher and the planner agree)."""
    root = root.rstrip(os.sep) or os.sep
    return path == root or path.startswith(root + os.sep) or root == os.sep


def walk(
    roots: Iterable[str],
    exclusions: Exclusions,
    *,
    follow_symlinks: bool = False,
    errors: list[tuple[str, str]] | None = None,
    base: str | None = None,
) -> Iterator[FileInfo]:
    """Every candidate file under ``roots``; problems are appended to ``errors``, never raised.

    Roots, ``base`` and the paths yielded are keys (:mod:`pathnames`); errors name paths in
    their display form. Exclusion patterns are matched relative to ``base`` (default: each
    root). Walking a subfolder of an indexed folder (the watcher's dirty folders) must pass the
    indexed folder as ``base``: a pattern anchored there (``/drafts/``) would otherwise match
    the subfolder's own ``drafts`` and drop files that are indexed.
    """
    errors = errors if errors is not None else []
    for root in roots:
        root = os.path.abspath(root)
        anchor = os.path.abspath(base) if base is not None else root
        if not os.path.isdir(os_path(root)):
            errors.append((display(root), "folder not found"))
            continue
        visited: set[tuple[int, int]] = set()
        stack = [os_path(root)]
        while stack:
            folder = stack.pop()
            try:
                st = os.stat(folder)
                identity = (st.st_dev, st.st_ino)
                if identity in visited:  # only reachable when following links
                    continue
                visited.add(identity)
                with os.scandir(folder) as entries:
                    items = list(entries)
            except OSError as exc:
                errors.append((display(key(folder)), f"cannot read folder: {_why(exc)}"))
                continue
            for entry in items:
                try:
                    yield from _visit(entry, anchor, exclusions, follow_symlinks, stack)
                except OSError as exc:
                    errors.append((display(key(entry.path)), f"cannot read: {_why(exc)}"))


def _why(exc: OSError) -> str:
    return str(exc.strerror or exc)


def _visit(
    entry: os.DirEntry[str],
    root: str,
    exclusions: Exclusions,
    follow_symlinks: bool,
    stack: list[str],
) -> Iterator[FileInfo]:
    if entry.is_symlink() and not follow_symlinks:
        return
    path = key(entry.path)
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    if entry.is_dir(follow_symlinks=follow_symlinks):
        if not exclusions.skip_dir(key(entry.name), relative):
            stack.append(entry.path)
        return
    if not entry.is_file(follow_symlinks=follow_symlinks):
        return  # sockets, fifos, devices
    if exclusions.skip_file(key(entry.name), relative):
        return
    st = entry.stat(follow_symlinks=follow_symlinks)
    if stat.S_ISREG(st.st_mode):
        yield FileInfo(path, st.st_size, st.st_mtime_ns)


def stat_file(path: str) -> FileInfo | None:
    """A fresh :class:`FileInfo` for one path (a key), or ``None`` if it is gone or not a
    file."""
    try:
        st = os.stat(os_path(path), follow_symlinks=False)
    except OSError:
        return None
    if not stat.S_ISREG(st.st_mode):
        return None
    return FileInfo(path, st.st_size, st.st_mtime_ns)


def hash_file(path: str) -> str:
    """sha256 of the file's bytes; ``path`` is a key."""
    digest = hashlib.sha256()
    with open(os_path(path), "rb") as fh:
        while block := fh.read(HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def make_plan(
    files: Iterable[FileInfo],
    manifest: dict[str, FileRecord],
    in_scope: Callable[[str], bool],
    hasher: Callable[[str], str] = hash_file,
    max_bytes: int | None = None,
) -> Plan:
    """Compare what is on disk with the manifest, for manifest paths where ``in_scope``.

    A file over ``max_bytes`` is never hashed: hashing reads every byte (a 2 GB file took
    8 s), and extraction records it as too large without reading it.
    """
    plan = Plan()
    seen: set[str] = set()
    candidates: list[FileInfo] = []
    for info in files:
        seen.add(info.path)
        record = manifest.get(info.path)
        if record is None:
            candidates.append(info)
        elif record.size == info.size and record.mtime_ns == info.mtime_ns:
            plan.unchanged += 1
        elif max_bytes is not None and info.size > max_bytes:
            plan.changed.append(info)
        else:
            content = _hash(hasher, info.path)
            if content is None:
                plan.changed.append(info)  # unreadable now: extraction records why
            elif content == record.content_hash:
                plan.touched.append((info, content))
            else:
                plan.hashes[info.path] = content
                plan.changed.append(info)
    vanished = [p for p in manifest if p not in seen and in_scope(p)]
    by_hash: dict[str, list[str]] = {}
    for path in vanished:
        record = manifest[path]
        if record.status == STATUS_INDEXED and record.content_hash:
            by_hash.setdefault(record.content_hash, []).append(path)
    moved: set[str] = set()
    for info in candidates:
        if not by_hash or (max_bytes is not None and info.size > max_bytes):
            plan.new.append(info)  # no rename possible (or too large to read): skip hashing
            continue
        content = _hash(hasher, info.path)
        if content is None:
            plan.new.append(info)  # extraction will record why it cannot be read
            continue
        olds = by_hash.get(content)
        if olds:
            old = olds.pop()
            if not olds:
                del by_hash[content]
            plan.renamed.append((old, info, content))
            moved.add(old)
        else:
            plan.hashes[info.path] = content
            plan.new.append(info)
    plan.deleted = [p for p in vanished if p not in moved]
    return plan


def _hash(hasher: Callable[[str], str], path: str) -> str | None:
    try:
        return hasher(path)
    except OSError:  # vanished or unreadable between the walk and now
        return None


def is_included(path: str, root: str, exclusions: Exclusions) -> bool:
    """Whether a single path passes the exclusions, checking every folder on its way down."""
    relative = os.path.relpath(path, root).replace(os.sep, "/")
    parts = relative.split("/")
    for depth, name in enumerate(parts[:-1]):
        if exclusions.skip_dir(name, "/".join(parts[: depth + 1])):
            return False
    return not exclusions.skip_file(parts[-1], relative)


@dataclass(frozen=True)
class ScanOptions:
    """What decides which files a scan sees and which it refuses by size."""

    exclusions: Exclusions
    follow_symlinks: bool
    max_bytes: int


def plan_folders(
    roots: Iterable[str],
    manifest: Callable[[], dict[str, FileRecord]],
    options: ScanOptions,
    paused: Iterable[str] = (),
) -> Plan:
    """Walk the folders ``roots`` (keys; paused ones skipped) and diff against the manifest
    (read after the walk, so a file indexed meanwhile is not planned twice)."""
    skip = set(paused)
    roots = [r for r in roots if r not in skip]
    errors: list[tuple[str, str]] = []
    files = walk(roots, options.exclusions, follow_symlinks=options.follow_symlinks, errors=errors)
    # A folder that is missing (an unplugged drive) keeps its index: only folders that
    # are there can tell which of their files were deleted.
    present = [r for r in roots if os.path.isdir(os_path(r))]
    plan = make_plan(
        files,
        manifest(),
        lambda p: any(is_within(p, r) for r in present),
        max_bytes=options.max_bytes,
    )
    plan.errors.extend(errors)
    return plan


def plan_changes(
    changed: Iterable[str],
    folders: Iterable[str],
    manifest: Callable[[], dict[str, FileRecord]],
    options: ScanOptions,
    paused: Iterable[str] = (),
) -> Plan:
    """A plan for just these paths (keys of files or folders, present or gone), within the
    indexed ``folders``: the watcher's. Changes under a paused folder wait for the catch-up
    scan on resume; a folder that is gone as a whole keeps its index."""
    roots, skip = list(folders), set(paused)
    follow = options.follow_symlinks
    scope: list[str] = []
    files: dict[str, FileInfo] = {}
    errors: list[tuple[str, str]] = []
    for path in set(changed):
        root = next((r for r in roots if is_within(path, r)), None)
        if root is None or root in skip or not os.path.isdir(os_path(root)):
            continue
        scope.append(path)
        where = os_path(path)
        if os.path.isdir(where) and (follow or not os.path.islink(where)):
            found = walk(
                [path], options.exclusions, follow_symlinks=follow, errors=errors, base=root
            )
            for info in found:
                if is_included(info.path, root, options.exclusions):
                    files[info.path] = info
        elif os.path.isfile(where) and is_included(path, root, options.exclusions):
            single = stat_file(path)
            if single is not None:
                files[path] = single
    plan = make_plan(
        files.values(),
        manifest(),
        lambda p: any(is_within(p, s) for s in scope),
        max_bytes=options.max_bytes,
    )
    plan.errors.extend(errors)
    return plan
