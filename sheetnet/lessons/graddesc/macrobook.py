"""`sheetnet build graddesc --macros`: the lesson's workbook as taught, run by VBA buttons.

Each optimiser sheet holds one epoch -- a **state** row of values (b and a going
into the first data row, the optimiser's m and v, the epoch's learning rate;
adam_ann's avg_grad2, gradrat and prev_grad2) and one row of formulas per data
point, the same formulas as the macro-free workbook's blocks.  The buttons
(Reset, One step, Five steps) run the project's VBA module
``data/GradDesc.bas``, which pastes values back into the state row exactly as
the lesson's macros do; :mod:`.mirror` (``reset``, ``onestep``) is the same in
numpy, and the sheet opens in the state Reset leaves.

Roles (sheet-local names): ``state.<column>`` (the state row), ``last.<column>``
(the last data row), ``rows.<column>`` (every data row), ``error``, the
hyperparameters (``lr``, ``b_start`` ...) and ``optimiser`` (which warm-up and
state the sheet has).  The macros find the cells they use by workbook names
``<code name>_<role>`` (``basic_state_b``): LibreOffice's VBA resolves no
sheet-local name.
"""

from __future__ import annotations

from importlib import resources

import numpy as np

from ...book import Book
from ...buttons import Button
from ...refs import absolute_ref, area
from ...style import LABEL, NOTE, PARAMETER
from ...vba import Module
from .. import Built, Roles
from ..readable import Guide
from .mirror import OPTIMIZERS, SHEET_NAMES, Hyper, lesson_hyper, reset
from .sheet import (FIRST_BLOCK_ROW, INTRO, Block, _Columns, _check_variants, _data_sheet, _optimizer_header,
                    _write_block)

MODULE_NAME = "GradDesc"
#: (caption, public Sub of GradDesc.bas) for the buttons on every optimiser sheet, left to right
BUTTONS = (("Reset", "ResetOptimiser"), ("One step", "OneStep"), ("Five steps", "FiveSteps"))
OPTIMISER_CELL = (0, 10)           # label "optimiser" at K1, the optimiser's name at L1
FIRST_BUTTON_COLUMN = 12           # M1:M2, N1:N2, O1:O2
STATE_KEYS = ("b", "a", "m_b", "m_a", "v_b", "v_a", "lr", "avg", "gradrat", "prev")
LAST_KEYS = ("b", "a", "m_b", "m_a", "v_b", "v_a")
MACRO_PARAMETERS = ("optimiser", "lr", "b_start", "a_start", "v_start", "cut_ratio", "cut_factor")

GUIDE = Guide(
    teaches=("Fitting y = a x + b one point at a time with SGD, momentum, RMSProp, Adam and Adam with "
             "learning-rate annealing, as the lesson teaches it: one epoch per press of a macro button.",
             "Each optimiser sheet holds one epoch: the state row (values the buttons paste) and one row of "
             "formulas per data point."),
    edit=("data: a and b (yellow) -- y is computed from them -- or any x.",
          "Each optimiser sheet: the yellow lr, betas, b start and a start (Reset takes them)."),
    watch=("b (intercept) and a (slope) in the state row after each press: they head for 30 and 2.",
           "The error row under the rows (sqrt of the summed squared errors); adam_ann's lr, cut when "
           "gradrat exceeds cut_ratio."),
    run=("Excel: open the .xlsm, click 'Enable Content' (macros), then on any optimiser sheet press Reset, "
         "then One step or Five steps.  LibreOffice: Tools > Options > Security > Macro Security must allow "
         "the file's macros, and Load/Save > VBA Properties > Executable code be on.",
         "After Reset + Five steps: basic b = 1.275463, rmsprop b = 3.189068, adam b = 24.960098 (the "
         "lesson's figures).  The VBA is in the module GradDesc (Alt+F11)."))


def vba_source() -> str:
    """The project's VBA module, as stored in the package (a .bas file Excel can import)."""
    return resources.files(__package__).joinpath("data", f"{MODULE_NAME}.bas").read_text(encoding="utf-8")


def vba_module() -> Module:
    """GradDesc.bas as a module: its Attribute VB_Name line becomes the module's name."""
    lines = vba_source().splitlines()
    code = [ln for ln in lines if not ln.startswith("Attribute ")]
    return Module(MODULE_NAME, "\n".join(code) + "\n")


def build_macro_book(x, y, optimizers=OPTIMIZERS, hypers: dict[str, Hyper] | None = None, data_note: str = "",
                     generator: tuple[float, float] | None = None, randbetween: bool = False) -> Built:
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    hypers = dict(hypers or {})
    book, roles = Book(), Roles()
    _data_sheet(book, roles, x, y, data_note, generator, randbetween)
    book.sheets[-1].code_name = "data"
    for opt in optimizers:
        hp = hypers.get(opt) or lesson_hyper(opt)
        _check_variants(hp, opt)
        _macro_sheet(book, roles, opt, hp, x, y)
    book.vba_modules = [vba_module()]
    return Built(book, roles, guide=GUIDE)


def _macro_sheet(book: Book, roles: Roles, opt: str, hp: Hyper, x: np.ndarray, y: np.ndarray) -> None:
    name = SHEET_NAMES[opt]
    P = x.size
    s, cols = _optimizer_header(book, roles, opt, hp, INTRO[opt] + (
        " Press Reset, then One step (one epoch) or Five steps: the buttons paste the last row's inputs "
        "b, a and its optimiser state into the state row, as the lesson's macros do."))
    s.code_name = name
    r, c = OPTIMISER_CELL
    s.set_value((r, c), "optimiser")
    s.set_value((r, c + 1), opt)
    s.style(area(r, c), LABEL)
    roles.add(name, "optimiser", area(r, c + 1))
    for k, (caption, sub) in enumerate(BUTTONS):
        s.buttons.append(Button(caption, f"{MODULE_NAME}.{sub}", area(0, FIRST_BUTTON_COLUMN + k, 1,
                                                                       FIRST_BUTTON_COLUMN + k)))
    H = FIRST_BLOCK_ROW
    blk = Block("reset", 1, H, H + 1, H + P, H + P + 1)
    _write_block(s, opt, cols, blk, P, prev=None, passes=[])
    s.set_value((H, 0), "state")
    s.set_value((H, 1), "values the buttons paste: b, a and the optimiser state going into the first row")
    s.style(area(H, 0), LABEL)
    s.style(area(H, 1), NOTE)
    # the state Reset leaves (the mirror's reset), so the sheet opens ready to step
    st = reset(opt, x, y, hp)
    state = {"b": st.b, "a": st.a, "m_b": st.m[0], "m_a": st.m[1], "v_b": st.v[0], "v_a": st.v[1], "lr": st.lr,
             "prev": st.prev_grad2}
    for key, value in state.items():
        if key in cols.index:
            s.set_value(cols.at(key, H), float(value))
    if opt == "adam_ann":
        avg, prev = cols.at("avg", H), cols.at("prev", H)
        s.set_formula(avg, f"=SQRT({cols.at('v_b', H)})+SQRT({cols.at('v_a', H)})")
        s.set_formula(cols.at("gradrat", H), f"={avg}/{prev}")
    s.style(cols.at("lr", H), PARAMETER)
    for key, c in cols.index.items():
        if key in STATE_KEYS:
            roles.add(name, f"state.{key}", area(H, c))
        if key in LAST_KEYS:
            roles.add(name, f"last.{key}", area(blk.last, c))
        roles.add(name, f"rows.{key}", area(blk.first, c, blk.last, c))
    roles.add(name, "error", area(blk.footer, cols.index["err2"]))
    _macro_names(book, s.code_name, roles.on(name), name)


def _macro_names(book: Book, code_name: str, sheet_roles: dict, sheet: str) -> None:
    """The workbook names GradDesc.bas finds its cells by: <code name>_<role> with "." as "_"
    (LibreOffice's VBA resolves workbook names only, and none with a dot)."""
    for role, where in sheet_roles.items():
        if role.startswith(("state.", "last.")) or role in MACRO_PARAMETERS:
            book.define_name(f"{code_name}_{role.replace('.', '_')}", absolute_ref(where, sheet))
