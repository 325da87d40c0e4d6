"""The Solver answer report: what Excel's Solver writes on an "Answer Report"
sheet after a solve -- the objective's start and final value, every changing
cell's start and final value, every constraint cell with its status
(Binding, Not Binding, Violated) and slack -- as data (for ``--json``) and as
a worksheet for the solved copy.

The sheet holds no timings or dates: solving the same file the same way
writes the same bytes.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

import numpy as np

from ..refs import cell_name
from ..xlsx.writer import number_xml
from .constraints import constraint_rows

REPORT_PREFIX = "Answer Report "
GOAL_WORDS = {"min": "Min", "max": "Max", "value": "Value Of"}


def answer_report(problem, result, constraints) -> dict:
    """The report as plain data (engine holding the final point)."""
    names = []
    for v in problem.variables:
        a = v.area
        names.extend(f"{v.sheet_name}!{cell_name(r, c)}" for r in range(a.r0, a.r1 + 1)
                     for c in range(a.c0, a.c1 + 1))
    start = np.asarray(result.x_start, dtype=np.float64)
    final = problem.x()
    goal = problem.model.goal
    objective = {"cell": problem.objective_text, "goal": goal, "start": result.objective_start,
                 "final": result.objective_final}
    if goal == "value":
        objective["target"] = problem.model.target
    return {"objective": objective,
            "variables": [{"cell": n, "start": float(s), "final": float(f)} for n, s, f in zip(names, start, final)],
            "constraints": constraint_rows(problem, constraints),
            "non_negative": bool(problem.model.non_negative)}


def report_sheet_name(existing: list[str]) -> str:
    """"Answer Report N" with the next free N, as Excel numbers them."""
    taken = set()
    for name in existing:
        if name.startswith(REPORT_PREFIX) and name[len(REPORT_PREFIX):].isdigit():
            taken.add(int(name[len(REPORT_PREFIX):]))
    n = 1
    while n in taken:
        n += 1
    return f"{REPORT_PREFIX}{n}"


def report_rows(report: dict, result, source: str) -> list[list]:
    """The sheet's rows: lists of str / float / None (blank)."""
    obj = report["objective"]
    goal = GOAL_WORDS[obj["goal"]] + (f" {obj['target']:g}" if "target" in obj else "")
    status = ("Stopped by the user (Ctrl-C): the best point found so far." if result.interrupted
              else ("Solver converged: " if result.converged else "Solver stopped: ") + result.message)
    rows: list[list] = [
        ["sheetnet solve: Answer Report"],
        ["Worksheet:", f"[{source}]{result.sheet}"],
        ["Result:", status],
        ["Solver engine:", f"{result.method}, gradients {result.gradient}"],
        ["Iterations:", float(result.iterations), "Evaluations:", float(result.evaluations)],
        [],
        [f"Objective Cell ({goal})"],
        ["Cell", "Original Value", "Final Value"],
        [obj["cell"], obj["start"], obj["final"]],
        [],
        ["Variable Cells"],
        ["Cell", "Original Value", "Final Value"],
    ]
    rows.extend([v["cell"], v["start"], v["final"]] for v in report["variables"])
    rows += [[], ["Constraints"]]
    if report["constraints"]:
        rows.append(["Cell", "Cell Value", "Relation", "Right-hand side", "Status", "Slack"])
        rows.extend([c["cell"], c["value"], c["relation"], c["rhs_text"], c["status"], c["slack"]]
                    for c in report["constraints"])
    else:
        rows.append(["None"])
    if report["non_negative"]:
        rows.append(["Make unconstrained variables non-negative: on"])
    return rows


def sheet_xml(rows: list[list]) -> bytes:
    """A worksheet part of inline strings and numbers (no styles, no shared strings)."""
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
           '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
           '<cols><col min="1" max="1" width="24" customWidth="1"/>'
           '<col min="2" max="6" width="18" customWidth="1"/></cols><sheetData>']
    for r, row in enumerate(rows):
        if not row:
            continue
        out.append(f'<row r="{r + 1}">')
        for c, value in enumerate(row):
            ref = cell_name(r, c)
            if value is None:
                continue
            if isinstance(value, str):
                out.append(f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>')
            else:
                out.append(f'<c r="{ref}"><v>{number_xml(float(value))}</v></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out).encode("utf-8")
