"""Ask LibreOffice Calc (headless) to recalculate a workbook and return its values.

LibreOffice is the reference spreadsheet application sheetnet's tests and
benchmarks compare against.  Its Python-UNO binding is only importable from
the system interpreter (Debian: ``/usr/bin/python3`` with ``python3-uno``),
which is usually not the interpreter running sheetnet, so this module never
imports ``uno``.  Instead each call

1. starts ``soffice --headless`` with a throw-away profile, accepting a UNO
   connection on a pipe whose name is unique to the call,
2. runs ``_lo_worker.py`` under the uno-capable interpreter; the worker
   connects, loads each file hidden and read-only, calls ``calculateAll()``
   (LibreOffice does not recalculate .xlsx files on load by default), reads
   every sheet with ``getDataArray`` and writes the values as JSON,
3. reads the JSON, then kills the soffice process group and deletes the
   profile, whatever happened.

Use :func:`recalculate_many` for several files: one soffice start (about
1-2 s) serves them all.

Paths can be overridden with the environment variables ``SHEETNET_SOFFICE``
(default ``/usr/bin/soffice``) and ``SHEETNET_LO_PYTHON`` (default
``/usr/bin/python3``).  ``scripts/install-libreoffice.sh`` installs both.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

__all__ = [
    "LibreOfficeError",
    "Recalculated",
    "available",
    "error_string",
    "recalculate",
    "recalculate_many",
    "LO_ERROR_STRINGS",
]

DEFAULT_SOFFICE = "/usr/bin/soffice"
DEFAULT_LO_PYTHON = "/usr/bin/python3"
WORKER = Path(__file__).with_name("_lo_worker.py")

#: LibreOffice error codes (``XCell.getError()``) that have an Excel spelling.
#: Every other code is reported as ``"Err:NNN"``, as LibreOffice displays it:
#: notably 502 "invalid argument" (LibreOffice's result for =SQRT(-1),
#: =LN(0), =LOG(-1), =FACT(-1), where Excel says #NUM!), 504 "error in
#: parameter list" and 522 "circular reference".
LO_ERROR_STRINGS: dict[int, str] = {
    503: "#NUM!",      # IllegalFPOperation (overflow, =ASIN(2), =EXP(1000))
    519: "#VALUE!",    # NoValue
    521: "#NULL!",     # NoCode (the literal #NULL!)
    524: "#REF!",      # NoRef (also LibreOffice's result for an empty intersection)
    525: "#NAME?",     # NoName
    532: "#DIV/0!",    # DivisionByZero
    32767: "#N/A",     # NotAvailable
}


class LibreOfficeError(RuntimeError):
    """LibreOffice is missing, or could not load/recalculate a file in time."""


def error_string(code: int) -> str:
    """The Excel error string for a LibreOffice error code, else ``Err:NNN``."""
    return LO_ERROR_STRINGS.get(code, f"Err:{code}")


@dataclass
class Recalculated:
    """Values of one workbook after LibreOffice recalculated it.

    ``sheets`` maps each sheet name (in workbook order) to its rows from A1 to
    the end of the used area; a cell is a float (numbers, dates, booleans as
    1.0/0.0), a str (text, including "" returned by a formula), None (empty)
    or an Excel error string such as "#DIV/0!" (see ``error_codes`` to tell
    an error from text that happens to read "#N/A").
    """

    path: str
    sheets: dict[str, list[list[object]]]
    load_s: float
    recalc_s: float
    read_s: float
    #: sheet name -> {(row, col): LibreOffice error code}, 0-based.
    error_codes: dict[str, dict[tuple[int, int], int]] = field(default_factory=dict, repr=False)
    #: benchmark runs (``bench=``): seconds to set one number and recalculate,
    #: the probed cells' values before and after the edit, and soffice's peak
    #: resident memory (MB)
    edit_recalc_s: float | None = None
    probed_before: list = field(default_factory=list)
    probed: list = field(default_factory=list)
    office_peak_mb: float | None = None

    def value(self, sheet: str, row: int, col: int) -> object:
        """Value at 0-based (row, col) of ``sheet``; None beyond the used area.

        Raises KeyError for an unknown sheet, IndexError for a negative index.
        """
        rows = self.sheets[sheet]
        if row < 0 or col < 0:
            raise IndexError(f"negative cell index ({row}, {col})")
        if row >= len(rows):
            return None
        cells = rows[row]
        return cells[col] if col < len(cells) else None


# ---------------------------------------------------------------- discovery --

def _soffice_path() -> str:
    return os.environ.get("SHEETNET_SOFFICE") or DEFAULT_SOFFICE


def _python_path() -> str:
    return os.environ.get("SHEETNET_LO_PYTHON") or DEFAULT_LO_PYTHON


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    # The calling interpreter's settings must not leak into the system python
    # (the worker also runs with -I) nor into soffice's embedded python.
    for name in ("PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONUSERBASE"):
        env.pop(name, None)
    env.setdefault("SAL_DISABLE_OPENCL", "1")  # no OpenCL probing at start-up
    return env


@functools.lru_cache(maxsize=None)
def _probe(soffice: str, python: str) -> tuple[bool, str]:
    hint = "run scripts/install-libreoffice.sh"
    if not (os.path.isfile(soffice) and os.access(soffice, os.X_OK)):
        return False, f"soffice not found at {soffice} ({hint}, or set SHEETNET_SOFFICE)"
    if not (os.path.isfile(python) and os.access(python, os.X_OK)):
        return False, f"no python at {python} to run the UNO worker (set SHEETNET_LO_PYTHON)"
    try:
        proc = subprocess.run([python, "-I", "-c", "import uno"], stdin=subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120, env=_child_env())
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"{python} cannot import uno: {exc}"
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        last = lines[-1] if lines else f"exit status {proc.returncode}"
        return False, f"{python} cannot import uno ({last}); install python3-uno ({hint})"
    return True, ""


def available() -> tuple[bool, str]:
    """(True, "") when LibreOffice can be driven, else (False, why).  Cached."""
    return _probe(_soffice_path(), _python_path())


# --------------------------------------------------------------- processes --

def _exited(proc: subprocess.Popen) -> bool:
    """Whether ``proc`` has exited, WITHOUT reaping it.

    An unreaped child keeps its pid (and so its process-group id) reserved,
    which makes the final ``killpg`` safe against pid reuse.
    """
    if proc.returncode is not None:
        return True
    try:
        info = os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except AttributeError:  # no waitid (macOS): reap, accepting the tiny race
        return proc.poll() is not None
    except ChildProcessError:
        return True
    return info is not None


def _kill_group(proc: subprocess.Popen | None) -> None:
    """SIGKILL the process group led by ``proc`` and reap the leader."""
    if proc is None:
        return
    if proc.returncode is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:  # pragma: no cover - unkillable process
        pass


def _tail(path: Path, limit: int = 600) -> str:
    try:
        text = path.read_text(errors="replace").strip()
    except OSError:
        return ""
    text = " | ".join(line for line in text.splitlines()
                      if line.strip() and "javaldx" not in line)
    return text[-limit:]


def _pipe_files(pipe: str, profile_uri: str) -> list[str]:
    """Socket files soffice leaves in /tmp when it is killed (a clean exit
    removes them): our UNO pipe, and its single-instance pipe, named after an
    unpadded-hex MD5 of the UTF-16 profile URL.  Both are unique to this call.
    """
    if not hasattr(os, "getuid"):
        return []
    digest = hashlib.md5(profile_uri.encode("utf-16-le"), usedforsecurity=False).digest()
    ipc = "SingleOfficeIPC_" + "".join(format(b, "x") for b in digest)
    return [f"/tmp/OSL_PIPE_{os.getuid()}_{name}" for name in (pipe, ipc)]


def _decode_float(obj: dict) -> object:
    if len(obj) == 1 and "$float" in obj:
        return float(obj["$float"])
    return obj


def _to_result(path: str, data: dict) -> Recalculated:
    sheets: dict[str, list[list[object]]] = {}
    codes: dict[str, dict[tuple[int, int], int]] = {}
    for sheet in data["sheets"]:
        rows = sheet["rows"]
        sheet_codes = {}
        for r, c, code in sheet["errors"]:
            rows[r][c] = error_string(code)
            sheet_codes[(r, c)] = code
        sheets[sheet["name"]] = rows
        codes[sheet["name"]] = sheet_codes
    peak = data.get("office_peak_kb")
    return Recalculated(path=path, sheets=sheets, load_s=data["load_s"],
                        recalc_s=data["recalc_s"], read_s=data["read_s"],
                        error_codes=codes, edit_recalc_s=data.get("edit_recalc_s"),
                        probed_before=data.get("probed_before", []), probed=data.get("probed", []),
                        office_peak_mb=None if peak is None else peak / 1024)


# --------------------------------------------------------------------- API --

def recalculate(path: str | os.PathLike, *, timeout: float = 600, bench: dict | None = None,
                macros: list[tuple[str, str]] | None = None) -> Recalculated:
    """Recalculate one workbook with LibreOffice; see :func:`recalculate_many`."""
    return recalculate_many([path], timeout=timeout, bench=bench, macros=macros)[0]


# The throw-away profile for running a file's VBA: macro security low, and the VBA
# of Excel files imported as executable (LibreOffice's default keeps it as comments).
_MACRO_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" \
oor:op="fuse"><value>0</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Load" oor:op="fuse">\
<value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Filter/Import/VBA"><prop oor:name="Executable" oor:op="fuse">\
<value>true</value></prop></item>
</oor:items>
"""


def recalculate_many(paths: Iterable[str | os.PathLike], *,
                     timeout: float = 600, bench: dict | None = None,
                     macros: list[tuple[str, str]] | None = None) -> list[Recalculated]:
    """Recalculate several workbooks with ONE LibreOffice start, in order.

    ``macros``: [(sheet, "Module.Sub"), ...] to run in each file after loading it
    (macros enabled in the throw-away profile), each with its sheet active, before
    the values are read; ``(sheet, "button:Caption")`` presses a button instead
    (runs the script LibreOffice bound to the click of the shape with that caption).

    ``timeout`` bounds the whole call (start-up included).  Raises
    :class:`LibreOfficeError` naming the file when a file is missing,
    LibreOffice is unavailable, a file cannot be loaded, or time runs out.
    """
    paths = [os.fspath(p) for p in paths]
    if not paths:
        return []
    for p in paths:
        if not os.path.isfile(p):
            why = "not a regular file" if os.path.exists(p) else "no such file"
            raise LibreOfficeError(f"{p}: {why}")
    ok, why = available()
    if not ok:
        raise LibreOfficeError(f"{paths[0]}: cannot recalculate with LibreOffice: {why}")

    deadline = time.monotonic() + timeout
    workdir = Path(tempfile.mkdtemp(prefix="sheetnet-lo-"))
    pipe = f"sheetnet_{os.getpid()}_{uuid.uuid4().hex}"
    profile = workdir / "profile"
    connected = workdir / "connected"
    soffice_log = workdir / "soffice.log"
    worker_log = workdir / "worker.log"
    # bench: {"edit": [sheet, row, col, value], "probe": [[sheet, row, col], ...],
    # "read": False, "measure_memory": True} -- for scripts/bench_engine.py
    jobs = [{"path": os.path.abspath(p), "out": str(workdir / f"out-{i}.json"), **(bench or {})}
            for i, p in enumerate(paths)]
    if macros:
        for job in jobs:
            job["macros"] = [list(call) for call in macros]
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_MACRO_PROFILE)
    request = workdir / "request.json"
    request.write_text(json.dumps({
        "pipe": pipe,
        "connect_timeout": max(1.0, timeout),
        "connected_marker": str(connected),
        "jobs": jobs,
    }))
    env = _child_env()
    soffice = worker = None
    try:
        with open(soffice_log, "wb") as slog, open(worker_log, "wb") as wlog:
            try:
                soffice = subprocess.Popen(
                    [_soffice_path(), "--headless", "--invisible", "--nologo", "--norestore",
                     "--nodefault", "--nolockcheck",
                     f"-env:UserInstallation={profile.as_uri()}",
                     f"--accept=pipe,name={pipe};urp;StarOffice.ComponentContext"],
                    stdin=subprocess.DEVNULL, stdout=slog, stderr=subprocess.STDOUT,
                    env=env, start_new_session=True)
                worker = subprocess.Popen(
                    [_python_path(), "-I", str(WORKER), str(request)],
                    stdin=subprocess.DEVNULL, stdout=wlog, stderr=subprocess.STDOUT,
                    env=env, start_new_session=True)
            except OSError as exc:
                raise LibreOfficeError(f"{paths[0]}: cannot start LibreOffice: {exc}") from exc

            soffice_gone_at = None
            while not _exited(worker):
                now = time.monotonic()
                if now >= deadline:
                    pending = next((j["path"] for j in jobs if not os.path.exists(j["out"])),
                                   paths[-1])
                    stage = "recalculating" if connected.exists() else "starting LibreOffice for"
                    raise LibreOfficeError(
                        f"{pending}: timed out after {timeout:g} s {stage} it")
                if soffice_gone_at is None and _exited(soffice):
                    soffice_gone_at = now
                elif soffice_gone_at is not None and now - soffice_gone_at > 5:
                    # soffice died and the worker has not noticed (e.g. still
                    # waiting to connect): give up.
                    pending = next((j["path"] for j in jobs if not os.path.exists(j["out"])),
                                   paths[-1])
                    raise LibreOfficeError(
                        f"{pending}: LibreOffice (soffice) exited unexpectedly"
                        f"{': ' + _tail(soffice_log) if _tail(soffice_log) else ''}")
                time.sleep(0.02)
            worker_rc = worker.wait()

            # Let soffice finish its own shutdown (the worker asked it to
            # terminate) so it removes its pipe; it is killed below anyway.
            grace = min(5.0, max(0.0, deadline - time.monotonic()))
            stop = time.monotonic() + grace
            while not _exited(soffice) and time.monotonic() < stop:
                time.sleep(0.02)

        results = []
        for job, p in zip(jobs, paths):
            out = Path(job["out"])
            if not out.exists():
                detail = _tail(worker_log) or f"worker exit status {worker_rc}"
                raise LibreOfficeError(f"{p}: LibreOffice worker produced no result: {detail}")
            with open(out, encoding="utf-8") as f:
                data = json.load(f, object_hook=_decode_float)
            if not data.get("ok"):
                raise LibreOfficeError(f"{p}: {data.get('error', 'unknown LibreOffice failure')}")
            results.append(_to_result(p, data))
        return results
    finally:
        _kill_group(worker)
        _kill_group(soffice)
        shutil.rmtree(workdir, ignore_errors=True)
        for leftover in _pipe_files(pipe, profile.as_uri()):
            try:
                os.unlink(leftover)
            except OSError:
                pass


def _main(argv: list[str]) -> int:  # pragma: no cover - manual use
    """``python -m sheetnet.libreoffice FILE...``: print timings and sizes."""
    ok, why = available()
    if not ok:
        print(why, file=sys.stderr)
        return 1
    t0 = time.perf_counter()
    try:
        results = recalculate_many(argv)
    except LibreOfficeError as exc:
        print(exc, file=sys.stderr)
        return 1
    total = time.perf_counter() - t0
    for res in results:
        cells = sum(len(r) for rows in res.sheets.values() for r in rows)
        print(f"{res.path}: {len(res.sheets)} sheets, {cells} cells; load {res.load_s:.2f} s, "
              f"recalc {res.recalc_s:.2f} s, read {res.read_s:.2f} s")
    print(f"total {total:.2f} s")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(_main(sys.argv[1:]))
