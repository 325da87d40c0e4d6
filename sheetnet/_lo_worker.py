"""LibreOffice worker: recalculate spreadsheets over UNO and dump their values.

``sheetnet.libreoffice`` runs this file as a subprocess under the interpreter
that can ``import uno`` (Debian's ``/usr/bin/python3`` with ``python3-uno``),
so it uses only the standard library and ``uno`` (imported lazily); it must
not import sheetnet or numpy.

Usage::

    /usr/bin/python3 -I _lo_worker.py REQUEST.json

REQUEST.json (written by the bridge)::

    {"pipe": "<UNO pipe name soffice accepts on>",
     "connect_timeout": 120.0,
     "connected_marker": "/tmp/.../connected",   # created once connected
     "jobs": [{"path": "/abs/book.xlsx", "out": "/tmp/.../out-0.json"}, ...]}

For each job, in order, the worker loads the file (hidden, read-only, no
macros, no link updates), calls ``calculateAll()`` and writes ``out`` (JSON)
-- a job with ``"macros": [[sheet, "Module.Sub" or "button:Caption"], ...]`` loads
it with macros enabled and runs those (or presses those buttons), each on its sheet
made active, before reading::

    {"ok": true, "path": ..., "load_s": f, "recalc_s": f, "read_s": f,
     "sheets": [{"name": "Sheet1",
                 "rows": [[value, ...], ...],      # A1 .. end of used area
                 "errors": [[row, col, code], ...]}, ...]}

or ``{"ok": false, "path": ..., "error": "one line"}``, after which it stops.
Values: float, str, or null (empty cell, and error cells, whose LibreOffice
error code is listed in "errors").  A non-finite float (not valid JSON) is
written as ``{"$float": "nan" | "inf" | "-inf"}``.

How the values are read: a few ``getDataArray`` calls per sheet, which give
"" for both empty cells and formulas returning "", and None for error cells.
"" becomes None except in the ranges ``queryFormulaCells(STRING)`` and
``queryContentCells(STRING)`` report.  Error codes come from the ranges of
``queryFormulaCells(ERROR)``: cell by cell when few, else in bulk (see
``_codes_in_bulk``).

Exit status: 0 ran (see the out files), 2 could not connect to soffice,
3 ``import uno`` failed, 4 unexpected failure (traceback on stderr).
"""

import json
import math
import os
import sys
import time

# com.sun.star.sheet.FormulaResult / CellFlags constants (stable UNO API values;
# spelled out so this file does not depend on the IDL constant import hooks).
FORMULA_RESULT_STRING = 2
FORMULA_RESULT_ERROR = 4
CELL_FLAGS_STRING = 4

# Maximum number of cells fetched by one getDataArray call.  A whole big sheet
# in one UNO message was measured slower (and needs more memory on both sides
# of the bridge) than chunks of about this size.
CHUNK_CELLS = 500000

# Error codes are only available per cell, and each cell object costs 1.5-8 ms
# over UNO (40,000 error cells took 150 s); past this many error cells in a
# sheet a bulk method (about 0.1-0.3 s whatever the count) is used.
CELL_BY_CELL_MAX = 50
BULK_ROWS = 500000  # error cells per scratch column (a sheet has 1048576 rows)
CLEAR_ALL_CONTENT = 1 | 2 | 4 | 16  # CellFlags VALUE | DATETIME | STRING | FORMULA


def _prop(name, value):
    from com.sun.star.beans import PropertyValue

    p = PropertyValue()
    p.Name = name
    p.Value = value
    return p


def _one_line(exc):
    text = str(exc).strip() or type(exc).__name__
    # UNO exception messages end with " at ./framework/...cxx:189"; keep them,
    # but make sure the message is a single line.
    return "%s: %s" % (type(exc).__name__, " ".join(text.split()))


def connect(uno, pipe, timeout):
    """Return the remote component context, retrying until soffice listens."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    url = "uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            return resolver.resolve(url)
        except Exception as exc:  # NoConnectException until soffice is up
            last = exc
        if time.monotonic() >= deadline:
            raise RuntimeError("could not connect to soffice on pipe %r within %.0f s (%s)"
                               % (pipe, timeout, _one_line(last)))
        time.sleep(0.05)


def _ranges(ranges_obj):
    """(start_row, start_col, end_row, end_col) of each range of a SheetCellRanges."""
    out = []
    for a in ranges_obj.getRangeAddresses():
        out.append((a.StartRow, a.StartColumn, a.EndRow, a.EndColumn))
    return out


def _column_name(col):
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


def _codes_cell_by_cell(sheet, ranges):
    """[[row, col, code], ...] with one getCellByPosition per cell (~4 ms each)."""
    errors = []
    for r0, c0, r1, c1 in ranges:
        for r in range(r0, r1 + 1):
            for c in range(c0, c1 + 1):
                code = sheet.getCellByPosition(c, r).getError()
                if code:
                    errors.append([r, c, code])
    return errors


def _codes_in_bulk(doc, sheet, ranges, used_end_col):
    """Same result as _codes_cell_by_cell in a few UNO calls, or None.

    Scratch cells in the sheet's LAST columns (far right of the used area)
    get, for each error cell, its row and column (one setDataArray) and
    =ERRORTYPE(INDEX(<area>; row; col)) (one formula, filled down), and one
    getDataArray reads every code back; the scratch cells are then cleared.
    ERRORTYPE is LibreOffice's function returning the very code
    XCell.getError() reports.

    The scratch area must not be seen by any formula (e.g. =SUM(1:1)), which
    would then be recomputed with it and could change its error: if
    queryDependents finds such a formula (it looks in this sheet only), or the
    sheet is too wide, None is returned and the caller goes cell by cell.
    A new scratch SHEET would be simpler, but inserting or removing a sheet
    marks every formula of the document dirty (seconds on a big workbook).
    Editing a read-only document needs IsChangeReadOnlyEnabled; nothing is
    ever stored.
    """
    from com.sun.star.sheet.FillDirection import TO_BOTTOM

    cells = [(r, c) for r0, c0, r1, c1 in ranges
             for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)]
    blocks = [cells[i:i + BULK_ROWS] for i in range(0, len(cells), BULK_ROWS)]
    max_cols = sheet.getColumns().getCount()
    first_col = max_cols - 3 * len(blocks)
    if first_col <= used_end_col:
        return None
    scratch = sheet.getCellRangeByPosition(first_col, 0, max_cols - 1, len(blocks[0]) - 1)
    scratch_addr = scratch.getRangeAddress()
    for a in scratch.queryDependents(False).getRangeAddresses():
        if (a.StartColumn < scratch_addr.StartColumn or a.EndColumn > scratch_addr.EndColumn
                or a.EndRow > scratch_addr.EndRow):
            return None  # some formula reads the scratch area

    area = "$'%s'.$A$1:$%s$%d" % (sheet.getName().replace("'", "''"),
                                  _column_name(max(r[3] for r in ranges)),
                                  max(r[2] for r in ranges) + 1)
    codes = []
    doc.setPropertyValue("IsChangeReadOnlyEnabled", True)
    try:
        try:
            for i, part in enumerate(blocks):
                col = first_col + 3 * i
                n = len(part)
                sheet.getCellRangeByPosition(col, 0, col + 1, n - 1).setDataArray(
                    tuple((float(r + 1), float(c + 1)) for r, c in part))
                sheet.getCellByPosition(col + 2, 0).setFormula(
                    "=ERRORTYPE(INDEX(%s;%s1;%s1))"
                    % (area, _column_name(col), _column_name(col + 1)))
                if n > 1:
                    sheet.getCellRangeByPosition(col + 2, 0, col + 2, n - 1).fillAuto(TO_BOTTOM, 1)
            doc.calculate()  # the new cells are dirty; needed when AutoCalculate is off
            for i, part in enumerate(blocks):
                col = first_col + 3 * i + 2
                data = sheet.getCellRangeByPosition(col, 0, col, len(part) - 1).getDataArray()
                codes.extend(row[0] for row in data)
        finally:
            scratch.clearContents(CLEAR_ALL_CONTENT)
    finally:
        doc.setPropertyValue("IsChangeReadOnlyEnabled", False)
    return [[r, c, int(code)] for (r, c), code in zip(cells, codes)
            if isinstance(code, float) and code > 0]


def error_codes(doc, sheet, ranges, used_end_col):
    """[[row, col, LibreOffice error code], ...] for the cells in ``ranges``."""
    count = sum((r1 - r0 + 1) * (c1 - c0 + 1) for r0, c0, r1, c1 in ranges)
    if count == 0:
        return []
    errors = None
    if count > CELL_BY_CELL_MAX:
        try:
            errors = _codes_in_bulk(doc, sheet, ranges, used_end_col)
        except Exception:
            errors = None  # fall back to the slow, sure way
    if errors is None or len(errors) != count:
        errors = _codes_cell_by_cell(sheet, ranges)
    return errors


def read_sheet(sheet):
    """(rows, error ranges, last used column) of one sheet; see the module docstring."""
    cursor = sheet.createCursor()
    cursor.gotoEndOfUsedArea(False)
    end = cursor.getRangeAddress()
    nrows = end.EndRow + 1
    ncols = end.EndColumn + 1
    used = sheet.getCellRangeByPosition(0, 0, ncols - 1, nrows - 1)

    # Values, a few big getDataArray calls.  Empty cells and formula cells
    # with an empty-string result both come back as "", error cells as None.
    # Rows stay the tuples UNO returns unless something in them must change.
    step = max(1, CHUNK_CELLS // ncols)
    rows = []
    raw_rows = []
    for r0 in range(0, nrows, step):
        r1 = min(nrows, r0 + step) - 1
        data = sheet.getCellRangeByPosition(0, r0, ncols - 1, r1).getDataArray()
        raw_rows.extend(data)
        for row in data:
            if "" in row:
                rows.append([None if v == "" else v for v in row])
            else:
                rows.append(row)

    # Put back the "" of cells that really hold an empty string: formula cells
    # whose result is text, and (rare) text constants.  Only these cells are
    # visited, so a numeric sheet costs nothing here.
    keep = _ranges(used.queryFormulaCells(FORMULA_RESULT_STRING))
    keep += _ranges(used.queryContentCells(CELL_FLAGS_STRING))
    for r0, c0, r1, c1 in keep:
        for r in range(r0, r1 + 1):
            raw = raw_rows[r]
            row = rows[r]
            for c in range(c0, c1 + 1):
                if raw[c] == "":
                    row[c] = ""  # a row holding "" is already a list

    # Error cells: getDataArray gives None; their codes are fetched later.
    error_ranges = _ranges(used.queryFormulaCells(FORMULA_RESULT_ERROR))

    # A sheet with nothing in it still reports a used area of A1.
    if nrows == 1 and ncols == 1 and rows[0][0] is None and not error_ranges:
        rows = []
    return rows, error_ranges, end.EndColumn


def office_peak_kb(pipe):
    """Peak resident memory (VmHWM, kB) of the soffice processes serving
    `pipe` (found by their command line), for benchmarks; None if unknown."""
    total, found = 0, False
    for pid in os.listdir("/proc") if os.path.isdir("/proc") else ():
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if pipe.encode() not in f.read():
                    continue
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("VmHWM:"):
                        total += int(line.split()[1])
                        found = True
        except (OSError, ValueError):
            continue
    return total if found else None


def edit_and_recalc(doc, job):
    """For benchmarks: read job["probe"] cells, set one number (job["edit"] =
    [sheet, row, col, value], 0-based), recalculate what depends on it and
    read the probes again.  Returns (seconds, values before, values after)."""
    sheets = doc.getSheets()
    before = [sheets.getByIndex(si).getCellByPosition(c, r).getValue() for si, r, c in job.get("probe", [])]
    seconds = None
    if job.get("edit"):
        si, row, col, value = job["edit"]
        t0 = time.perf_counter()
        sheets.getByIndex(si).getCellByPosition(col, row).setValue(value)
        doc.calculate()
        seconds = time.perf_counter() - t0
    probed = [sheets.getByIndex(si).getCellByPosition(c, r).getValue() for si, r, c in job.get("probe", [])]
    return seconds, before, probed


def _button_script(sheet, caption):
    """The script URL LibreOffice bound to the click of the shape captioned `caption`."""
    page = sheet.getDrawPage()
    for i in range(page.getCount()):
        shape = page.getByIndex(i)
        if getattr(shape, "String", None) != caption:
            continue
        events = shape.getEvents()
        if events.hasByName("OnClick"):
            props = {p.Name: p.Value for p in (events.getByName("OnClick") or ())}
            if props.get("Script"):
                return props["Script"]
        raise RuntimeError("the shape %r runs no macro when clicked" % caption)
    raise RuntimeError("no shape captioned %r" % caption)


def run_macros(doc, calls):
    """Run the document's VBA/Basic macros, in order: calls = [[sheet, what], ...] where
    `what` is "Module.Sub" or "button:Caption" (press that button: run the script the
    shape's click is bound to), each with its sheet made the active one first (as
    clicking a button on it does).  Returns None, or one line saying what failed."""
    provider = doc.getScriptProvider()
    for sheet_name, what in calls:
        try:
            sheet = doc.getSheets().getByName(sheet_name)
            doc.getCurrentController().setActiveSheet(sheet)
            if what.startswith("button:"):
                url = _button_script(sheet, what[len("button:"):])
            else:
                library = "VBAProject" if "VBAProject" in doc.BasicLibraries.getElementNames() else "Standard"
                url = "vnd.sun.star.script:%s.%s?language=Basic&location=document" % (library, what)
            provider.getScript(url).invoke((), (), ())
        except Exception as exc:
            return "macro %s on sheet %s failed: %s" % (what, sheet_name, _one_line(exc))
    return None


def recalc_file(uno, desktop, path, job=None):
    """Load, recalculate and read one file; return the JSON-ready dict."""
    job = job or {}
    result = {"ok": False, "path": path}
    url = uno.systemPathToFileUrl(os.path.abspath(path))
    args = (
        _prop("Hidden", True),
        _prop("ReadOnly", True),
        # NEVER_EXECUTE (.xlsm), or ALWAYS_EXECUTE_NO_WARN when the job runs the file's macros
        _prop("MacroExecutionMode", 4 if job.get("macros") else 0),
        _prop("UpdateDocMode", 0),        # NO_UPDATE: no external links
    )
    t0 = time.perf_counter()
    try:
        doc = desktop.loadComponentFromURL(url, "_blank", 0, args)
    except Exception as exc:
        result["error"] = "LibreOffice could not load it: " + _one_line(exc)
        return result
    load_s = time.perf_counter() - t0
    if doc is None:
        result["error"] = ("LibreOffice could not load it (not a spreadsheet, "
                           "or a format/filter it does not recognise)")
        return result
    try:
        if not doc.supportsService("com.sun.star.sheet.SpreadsheetDocument"):
            result["error"] = "LibreOffice opened it, but not as a spreadsheet"
            return result
        t0 = time.perf_counter()
        doc.calculateAll()
        recalc_s = time.perf_counter() - t0
        if job.get("macros"):
            failed = run_macros(doc, job["macros"])
            if failed:
                result["error"] = failed
                return result
        if job.get("edit") or job.get("probe"):
            result["edit_recalc_s"], result["probed_before"], result["probed"] = edit_and_recalc(doc, job)

        t0 = time.perf_counter()
        container = doc.getSheets()
        read = []
        for i in range(container.getCount() if job.get("read", True) else 0):
            sheet = container.getByIndex(i)
            read.append((sheet,) + read_sheet(sheet))
        # Every value is read before error codes are fetched, since the bulk
        # method edits the document (a scratch sheet, removed again).
        sheets = []
        for sheet, rows, error_ranges, end_col in read:
            sheets.append({"name": sheet.getName(), "rows": rows,
                           "errors": error_codes(doc, sheet, error_ranges, end_col)})
        read_s = time.perf_counter() - t0
    finally:
        try:
            doc.close(True)
        except Exception:
            try:
                doc.dispose()
            except Exception:
                pass
    result.update(ok=True, load_s=load_s, recalc_s=recalc_s, read_s=read_s,
                  sheets=sheets)
    return result


def _finite_safe(obj):
    """Copy of a result with non-finite floats replaced by {"$float": ...}."""
    if isinstance(obj, float):
        if math.isfinite(obj):
            return obj
        return {"$float": "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")}
    if isinstance(obj, dict):
        return {k: _finite_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite_safe(v) for v in obj]
    return obj


def write_json(path, obj):
    try:
        text = json.dumps(obj, allow_nan=False, separators=(",", ":"))
    except ValueError:  # NaN or infinity somewhere: rare, so pay only then
        text = json.dumps(_finite_safe(obj), allow_nan=False, separators=(",", ":"))
    tmp = path + ".part"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)  # the bridge never sees a half-written file


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s REQUEST.json\n" % argv[0])
        return 4
    with open(argv[1], encoding="utf-8") as f:
        request = json.load(f)
    try:
        import uno
    except Exception as exc:
        sys.stderr.write("cannot import uno under %s: %s\n" % (sys.executable, _one_line(exc)))
        return 3
    try:
        ctx = connect(uno, request["pipe"], float(request.get("connect_timeout", 120)))
    except Exception as exc:
        sys.stderr.write("%s\n" % exc)
        return 2
    marker = request.get("connected_marker")
    if marker:
        open(marker, "w").close()
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    for job in request["jobs"]:
        try:
            result = recalc_file(uno, desktop, job["path"], job)
            if result.get("ok") and job.get("measure_memory"):
                result["office_peak_kb"] = office_peak_kb(request["pipe"])
        except Exception as exc:  # e.g. soffice died: DisposedException
            result = {"ok": False, "path": job["path"],
                      "error": "LibreOffice failed while processing it: " + _one_line(exc)}
        write_json(job["out"], result)
        if not result["ok"]:
            break
    try:
        desktop.terminate()
    except Exception:
        pass  # the bridge going down with the office is expected
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except SystemExit:
        raise
    except BaseException:
        import traceback

        traceback.print_exc()
        sys.exit(4)
