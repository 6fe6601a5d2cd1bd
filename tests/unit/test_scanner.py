"""The scanner: exclusions, symlinks, and the plan (new, changed, touched, renamed, deleted)."""

from __future__ import annotations

import os
from pathlib import Path

from desktop_app.engine.records import STATUS_INDEXED, FileRecord
from desktop_app.engine.scanner import Exclusions, FileInfo, make_plan, walk


def tree(root: Path, files: dict[str, str]) -> None:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)


def names(root: Path, exclusions: Exclusions | None = None, **kw: bool) -> set[str]:
    found = walk([str(root)], exclusions or Exclusions(), **kw)
    return {os.path.relpath(f.path, root) for f in found}


def test_default_exclusions(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "a.txt": "x",
            "docs/b.md": "x",
            ".hidden/c.txt": "x",
            ".dotfile": "x",
            ".git/config": "x",
            "node_modules/m/index.js": "x",
            "venv/lib/x.py": "x",
            "build/out.txt": "x",
            "song.MP3": "x",  # pictures are read by OCR now; sound never
            "src/__pycache__/m.pyc": "x",
        },
    )
    assert names(tmp_path) == {"a.txt", os.path.join("docs", "b.md")}


def test_user_patterns_in_gitignore_syntax(tmp_path: Path) -> None:
    tree(
        tmp_path,
        {
            "keep.txt": "x",
            "drafts/x.md": "x",
            "notes/secret.md": "x",
            "notes/ok.md": "x",
            "deep/a/b/tmp.log": "x",
        },
    )
    found = names(tmp_path, Exclusions(["drafts/", "secret.*", "*.log"]))
    assert found == {"keep.txt", os.path.join("notes", "ok.md")}


def test_symlinks_not_followed_by_default_and_loops_survive(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    tree(outside, {"far.txt": "x"})
    root = tmp_path / "root"
    tree(root, {"a.txt": "x"})
    (root / "loop").symlink_to(root, target_is_directory=True)
    (root / "out").symlink_to(outside, target_is_directory=True)
    (root / "link.txt").symlink_to(root / "a.txt")
    assert names(root) == {"a.txt"}
    followed = names(root, follow_symlinks=True)
    assert "a.txt" in followed and os.path.join("out", "far.txt") in followed
    assert len(followed) < 10  # the loop was walked once, not forever


def test_missing_root_and_unreadable_folder_are_reported(tmp_path: Path) -> None:
    errors: list[tuple[str, str]] = []
    assert list(walk([str(tmp_path / "nope")], Exclusions(), errors=errors)) == []
    assert errors == [(str(tmp_path / "nope"), "folder not found")]


def test_names_with_spaces_newlines_and_non_ascii(tmp_path: Path) -> None:
    tree(tmp_path, {"with space.txt": "x", "new\nline.txt": "x", "café ünï.md": "x"})
    assert names(tmp_path) == {"with space.txt", "new\nline.txt", "café ünï.md"}


def record(path: str, size: int, mtime: int, content_hash: str) -> FileRecord:
    return FileRecord(path, size, mtime, content_hash, STATUS_INDEXED, chunk_count=1)


def test_plan_classifies_every_change() -> None:
    manifest = {
        "/r/same": record("/r/same", 1, 1, "h-same"),
        "/r/touched": record("/r/touched", 2, 2, "h-touched"),
        "/r/edited": record("/r/edited", 3, 3, "h-old"),
        "/r/moved-from": record("/r/moved-from", 4, 4, "h-moved"),
        "/r/deleted": record("/r/deleted", 5, 5, "h-deleted"),
        "/other/kept": record("/other/kept", 6, 6, "h-other"),
    }
    on_disk = [
        FileInfo("/r/same", 1, 1),
        FileInfo("/r/touched", 2, 99),
        FileInfo("/r/edited", 30, 3),
        FileInfo("/r/moved-to", 4, 4),
        FileInfo("/r/brand-new", 7, 7),
    ]
    hashes = {
        "/r/touched": "h-touched",
        "/r/edited": "h-new",
        "/r/moved-to": "h-moved",
        "/r/brand-new": "h-brand-new",
    }
    hashed: list[str] = []

    def hasher(path: str) -> str:
        hashed.append(path)
        return hashes[path]

    plan = make_plan(on_disk, manifest, lambda p: p.startswith("/r/"), hasher)
    assert plan.unchanged == 1
    assert [i.path for i, _ in plan.touched] == ["/r/touched"]
    assert [i.path for i in plan.changed] == ["/r/edited"]
    assert [(old, new.path) for old, new, _ in plan.renamed] == [("/r/moved-from", "/r/moved-to")]
    assert [i.path for i in plan.new] == ["/r/brand-new"]
    assert plan.deleted == ["/r/deleted"]  # /other/kept is out of scope
    assert "/r/same" not in hashed


def test_first_run_hashes_nothing() -> None:
    plan = make_plan(
        [FileInfo(f"/r/{i}", 1, 1) for i in range(100)],
        {},
        lambda p: True,
        hasher=lambda p: (_ for _ in ()).throw(AssertionError("hashed")),
    )
    assert len(plan.new) == 100


def test_files_over_the_size_cap_are_never_hashed() -> None:
    """Hashing reads every byte (a 2 GB file took 8 s): an over-cap file whose stat changed,
    or that appeared while another vanished (a rename candidate), goes to extraction, which
    records it as too large without reading it."""
    manifest = {
        "/r/huge": record("/r/huge", 5_000, 1, "h-old"),
        "/r/gone": record("/r/gone", 9_000, 1, "h-gone"),
    }
    on_disk = [FileInfo("/r/huge", 6_000, 2), FileInfo("/r/huge-copy", 9_000, 2)]
    plan = make_plan(
        on_disk,
        manifest,
        lambda p: True,
        hasher=lambda p: (_ for _ in ()).throw(AssertionError(f"hashed {p}")),
        max_bytes=4_096,
    )
    assert [i.path for i in plan.changed] == ["/r/huge"]
    assert [i.path for i in plan.new] == ["/r/huge-copy"]
    assert plan.deleted == ["/r/gone"]


def test_walking_a_subfolder_matches_patterns_from_the_indexed_folder(tmp_path: Path) -> None:
    """The watcher walks dirty subfolders; a root-anchored pattern must keep its meaning."""
    for name in ("drafts/top.txt", "projects/drafts/deep.txt", "projects/plan.txt"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    anchored = Exclusions(["/drafts/"])
    everything = {f.path for f in walk([str(tmp_path)], anchored)}
    assert everything == {
        str(tmp_path / "projects/drafts/deep.txt"),
        str(tmp_path / "projects/plan.txt"),
    }
    projects = str(tmp_path / "projects")
    from_root = {f.path for f in walk([projects], anchored, base=str(tmp_path))}
    assert from_root == everything
    # Without the base the subfolder's own drafts/ would match "/drafts/": the bug this guards.
    assert str(tmp_path / "projects/drafts/deep.txt") not in {
        f.path for f in walk([projects], anchored)
    }
