"""The macro-free gradient-descent workbook: one sheet per optimiser laid out
like the lesson's, but every epoch is a live block of formulas.

Each optimiser sheet stacks blocks of rows, one row per data point:

* the **reset** warm-up passes (momentum 1, rmsprop 2, adam 4, adam_ann 2),
  each starting again from the start values of a and b, their optimiser state
  taken from the earlier passes exactly as the lesson's reset macro pastes it;
* **epoch 0** (what the sheet shows after reset) .. **epoch N**, each block's
  header row taking the parameters going *into* the previous block's last row
  and the optimiser state coming *out of* it -- the lesson's copy-back rule
  (its ``onestep`` macro) written as formulas.  adam_ann's header also holds
  the annealing: avg_grad2, gradrat, the epoch's lr and prev_grad2.

Hyperparameters are sheet-local named cells (``lr``, ``beta`` or ``beta_1``
and ``beta_2``, ``v_start``, ``b_start``, ``a_start``, basic's ``h``,
adam_ann's ``cut_ratio`` and ``cut_factor``); each block has its own lr cell
(``=lr``, or adam_ann's annealed value), so an edit recalculates every epoch
and one epoch's learning rate can be overridden by typing over its cell.

Roles (defined names local to each sheet): those parameters; ``epochs.<column>``
-- a column (``b``, ``new_b``, ``m_b``, ``err2`` ...) over every epoch block, from
epoch 0's header to epoch N's footer (:func:`split_epochs` cuts it into
headers, rows and footers), and ``reset.<column>`` over the warm-up passes; on
``data`` the points ``x`` and ``y``; on ``summary`` ``epoch`` and ``<sheet>.a``,
``<sheet>.b``, ``<sheet>.error`` (and ``adam_ann.lr``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ...book import Book, Sheet
from ...charts import Chart, Series
from ...refs import Area, area, cell_name, quote_sheet, span
from ...style import DATA, HEADER, LABEL, NOTE, NUMBER, PARAMETER, RESULT, TITLE
from .. import Built, Roles
from .mirror import OPTIMIZERS, SHEET_NAMES, Hyper, lesson_hyper

FIRST_BLOCK_ROW = 5          # 0-based row of the first block's header (row 6 in Excel)
HEADER_ROW = 3               # 0-based row of the column titles (row 4)
DATA_FIRST_ROW = 4           # data sheet: first x, y row (row 5)
SUMMARY_FIRST_ROW = 3        # 0-based row of epoch 0 on the summary sheet

# each optimiser sheet's columns, from A (as in the lesson where it had them)
COLUMNS = {
    "sgd": ("x", "y", "b", "a", "pred", "err2", "e_bh", "fd_b", "e_ah", "fd_a", "g_b", "g_a", "new_a", "new_b",
            "lr", "xs_b", "xs_a"),
    "momentum": ("x", "y", "b", "a", "pred", "g_b", "g_a", "new_b", "new_a", "m_b", "m_a", "err2", "lr"),
    "rmsprop": ("x", "y", "b", "a", "pred", "g_b", "g_a", "new_b", "new_a", "v_b", "v_a", "err2", "lr"),
    "adam": ("x", "y", "b", "a", "pred", "g_b", "g_a", "new_b", "new_a", "m_b", "m_a", "v_b", "v_a", "err2", "lr"),
    "adam_ann": ("x", "y", "b", "a", "pred", "g_b", "g_a", "new_b", "new_a", "m_b", "m_a", "v_b", "v_a", "err2",
                 "lr", "avg", "gradrat", "prev"),
}

TITLES = {
    "x": "x", "y": "y", "b": "b (intercept)", "a": "a (slope)", "pred": "y_pred = b+a*x", "err2": "err^2",
    "e_bh": "err^2 at b+h", "fd_b": "est de/db", "e_ah": "err^2 at a+h", "fd_a": "est de/da",
    "g_b": "de/db = 2(ax+b-y)", "g_a": "de/da = x*de/db", "new_a": "new a", "new_b": "new b", "lr": "lr",
    "xs_b": "est - de/db (= h)", "xs_a": "est - de/da (= h*x^2)", "m_b": "m_b", "m_a": "m_a", "v_b": "v_b",
    "v_a": "v_a", "avg": "avg_grad2", "gradrat": "gradrat", "prev": "prev_grad2",
}

# What each data row computes, written with column names: {g_b} is this row's de/db,
# {m_b^} the m_b of the row above (the header, for a block's first row); named
# cells (lr, beta, h ...) stay as they are.  In the lesson's order of operations.
_PREDICTION = {"pred": "{b}+{a}*{x}"}
_GRADIENT = {"g_b": "2*({a}*{x}+{b}-{y})", "g_a": "{g_b}*{x}", "err2": "({y}-{pred})^2"}
ROW_FORMULAS = {
    "sgd": {**_PREDICTION, "err2": "({y}-{pred})^2", "e_bh": "((({b}+h)+{x}*{a})-{y})^2", "fd_b": "({e_bh}-{err2})/h",
            "e_ah": "((({a}+h)*{x}+{b})-{y})^2", "fd_a": "({e_ah}-{err2})/h", "g_b": "2*({pred}-{y})",
            "g_a": "{g_b}*{x}", "new_a": "{a}-{g_a}*{lr}", "new_b": "{b}-{g_b}*{lr}", "xs_b": "{fd_b}-{g_b}",
            "xs_a": "{fd_a}-{g_a}"},
    "momentum": {**_PREDICTION, **_GRADIENT, "m_b": "{m_b^}*beta+(1-beta)*{g_b}",
                 "m_a": "{m_a^}*beta+(1-beta)*{g_a}", "new_b": "{b}-{m_b}*{lr}", "new_a": "{a}-{m_a}*{lr}"},
    "rmsprop": {**_PREDICTION, **_GRADIENT, "v_b": "{v_b^}*beta+(1-beta)*{g_b}^2",
                "v_a": "{v_a^}*beta+(1-beta)*{g_a}^2", "new_b": "{b}-{g_b}*{lr}/SQRT({v_b^})",
                "new_a": "{a}-{g_a}*{lr}/SQRT({v_a^})"},
    "adam": {**_PREDICTION, **_GRADIENT, "m_b": "{m_b^}*beta_1+(1-beta_1)*{g_b}",
             "m_a": "{m_a^}*beta_1+(1-beta_1)*{g_a}", "v_b": "{v_b^}*beta_2+(1-beta_2)*{g_b}^2",
             "v_a": "{v_a^}*beta_2+(1-beta_2)*{g_a}^2", "new_b": "{b}-{m_b}*{lr}/SQRT({v_b})",
             "new_a": "{a}-{m_a}*{lr}/SQRT({v_a})"},
}
ROW_FORMULAS["adam_ann"] = ROW_FORMULAS["adam"]

# The hyperparameter cells: name, label, (row, column) of the label -- the value sits right of it.
PARAMETERS = (("b_start", "b start", 0, 0), ("a_start", "a start", 1, 0), ("lr", "lr", 0, 2), ("h", "h", 1, 2),
              ("beta", "beta", 0, 4), ("beta_1", "beta_1", 0, 4), ("beta_2", "beta_2", 1, 4),
              ("v_start", "v start", 0, 6), ("cut_ratio", "cut_ratio", 1, 6), ("cut_factor", "cut_factor", 1, 8))
SHEET_PARAMETERS = {
    "sgd": ("b_start", "a_start", "lr", "h"),
    "momentum": ("b_start", "a_start", "lr", "beta"),
    "rmsprop": ("b_start", "a_start", "lr", "beta", "v_start"),
    "adam": ("b_start", "a_start", "lr", "beta_1", "beta_2", "v_start"),
    "adam_ann": ("b_start", "a_start", "lr", "beta_1", "beta_2", "v_start", "cut_ratio", "cut_factor"),
}

WARMUP_PASSES = {"sgd": 0, "momentum": 1, "rmsprop": 2, "adam": 4, "adam_ann": 2}

INTRO = {
    "sgd": "Plain SGD, one data point per step: new = old - lr * gradient. Beside the analytic gradient, "
           "forward finite differences with step h (they overestimate by exactly h and h*x^2).",
    "momentum": "SGD with momentum: m = beta*m + (1-beta)*gradient (an exponentially weighted moving "
                "average), new = old - lr*m.",
    "rmsprop": "RMSProp: v = beta*v + (1-beta)*gradient^2; new = old - lr*gradient/SQRT(v of the previous "
               "row) -- the lesson's lag, no epsilon.",
    "adam": "Adam = momentum + RMSProp: m and v as above, new = old - lr*m/SQRT(v); no bias correction, "
            "no epsilon.",
    "adam_ann": "Adam (beta_2 0.95) with learning-rate annealing: after each epoch, if gradrat = "
                "avg_grad2/prev_grad2 > cut_ratio the next epoch's lr is divided by cut_factor.",
}


def parameter_value(name: str, opt: str, hp: Hyper) -> float:
    """The value a hyperparameter cell starts with."""
    return float({"b_start": hp.start[0], "a_start": hp.start[1], "lr": hp.lr, "h": hp.h,
                  "beta": hp.beta1 if opt == "momentum" else hp.beta2, "beta_1": hp.beta1, "beta_2": hp.beta2,
                  "v_start": hp.v_init, "cut_ratio": hp.anneal_ratio, "cut_factor": hp.anneal_factor}[name])


def split_epochs(column: np.ndarray, points: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """An ``epochs.<column>`` (or ``reset.<column>``) role's values cut into (header per
    block, the block's rows (blocks x points), footer per block): each block is a header,
    ``points`` rows, a footer and a blank row."""
    col = np.asarray(column, dtype=np.float64).ravel()
    blocks = np.append(col, np.nan).reshape(-1, points + 3)
    return blocks[:, 0], blocks[:, 1:points + 1], blocks[:, points + 1]


@dataclass
class Block:
    kind: str              # "reset" (a warm-up pass) or "epoch"
    index: int             # pass number (1-based) or epoch number (0-based)
    header: int            # 0-based row of the block's header (its inputs)
    first: int             # first data row
    last: int              # last data row
    footer: int            # the error row


def _check_variants(hp: Hyper, opt: str) -> None:
    if hp.copy_updated or hp.rmsprop_current or hp.bias_correction or hp.eps or not hp.anneal:
        raise ValueError(f"{opt}: the workbook is written with the lesson's rules only "
                         f"(no copy_updated / rmsprop_current / bias_correction / eps / anneal=False)")


def build_book(x, y, epochs: int, optimizers=OPTIMIZERS, hypers: dict[str, Hyper] | None = None,
               data_note: str = "", generator: tuple[float, float] | None = None,
               randbetween: bool = False) -> Built:
    """The workbook and its roles.  `x`, `y`: the data (any length >= 1);
    `generator` = (slope, intercept) when y = slope*x + intercept (shown on the
    data sheet); `randbetween` adds a live RANDBETWEEN column."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    hypers = dict(hypers or {})
    book, roles = Book(), Roles()
    _data_sheet(book, roles, x, y, data_note, generator, randbetween)
    blocks = {}
    for opt in optimizers:
        hp = hypers.get(opt) or lesson_hyper(opt)
        _check_variants(hp, opt)
        blocks[opt] = _optimizer_sheet(book, roles, opt, hp, x.size, epochs)
    _summary_sheet(book, roles, blocks, epochs)
    return Built(book, roles)


# --- data -------------------------------------------------------------------------

def _data_sheet(book: Book, roles: Roles, x, y, note: str, generator, randbetween: bool) -> None:
    s = book.add_sheet("data")
    s["A1"] = "data: the points every optimiser sheet reads (values; edit them and every sheet recalculates)"
    s.style("A1", TITLE)
    if generator is not None:
        slope, intercept = generator
        s["A2"] = "y = a*x + b, a ="
        s["B2"] = float(slope)
        s["C2"] = "b ="
        s["D2"] = float(intercept)
        s.style("B2", PARAMETER)
        s.style("D2", PARAMETER)
        roles.add("data", "true_a", area(1, 1))
        roles.add("data", "true_b", area(1, 3))
    if note:
        s["A3"] = note
        s.style("A3", NOTE)
    s["A4"] = "x"
    s["B4"] = "y"
    s.style("A4:B4", HEADER)
    last = DATA_FIRST_ROW + x.size
    s.set_values((DATA_FIRST_ROW, 0), np.column_stack([x, y]))
    s.style(f"A5:B{last}", DATA)
    if generator is not None and np.array_equal(y, intercept + x * slope):
        # y is live: =b + x*a, as the lesson's data sheet computes it (the same doubles) -- edit a or b
        # (or an x) and the data and every optimiser sheet follow
        s.fill(f"B5:B{last}", "=$D$2+A5*$B$2")
        s["F2"] = "y is computed from a and b: edit them (or an x) and every sheet recalculates"
        s.style("F2", NOTE)
    roles.add("data", "x", area(DATA_FIRST_ROW, 0, last - 1, 0))
    roles.add("data", "y", area(DATA_FIRST_ROW, 1, last - 1, 1))
    if randbetween:
        s["D4"] = "new x"
        s["E4"] = "new y"
        s.style("D4:E4", HEADER)
        s.fill(f"D5:D{last}", "=RANDBETWEEN(1,100)")
        if generator is not None:
            s.fill(f"E5:E{last}", "=$D$2+D5*$B$2")
        else:
            s.fill(f"E5:E{last}", '=""')
        s["G4"] = ("a fresh draw on every recalculation (like the lesson's data sheet): copy D:E and paste "
                   "as values into A:B to use it")
        s.style("G4", NOTE)
    s.col_widths[0] = 10
    s.col_widths[1] = 10
    s.freeze = (4, 0)


# --- optimiser sheets ---------------------------------------------------------------

class _Columns:
    """Cell text of a sheet's columns: ``at(key, row)`` ("C7"), ``range(key, r0, r1)``."""

    def __init__(self, opt: str):
        self.index = {key: i for i, key in enumerate(COLUMNS[opt])}

    def at(self, key: str, row: int, absolute: bool = False) -> str:
        return cell_name(row, self.index[key], absolute, absolute)

    def range(self, key: str, r0: int, r1: int) -> str:
        return span(r0, self.index[key], r1, self.index[key])


def _optimizer_header(book: Book, roles: Roles, opt: str, hp: Hyper, intro: str) -> tuple[Sheet, "_Columns"]:
    """An optimiser's sheet with its hyperparameters (rows 1-2), `intro` (row 3) and column titles (row 4)."""
    name = SHEET_NAMES[opt]
    s = book.add_sheet(name)
    cols = _Columns(opt)
    # --- hyperparameters (rows 1-2) ---
    wanted = SHEET_PARAMETERS[opt]
    for pname, label, r, c in PARAMETERS:
        if pname in wanted:
            s.set_value((r, c), label)
            s.set_value((r, c + 1), parameter_value(pname, opt, hp))
            s.style(area(r, c + 1), PARAMETER)
            roles.add(name, pname, area(r, c + 1))
    s["A3"] = intro
    s.style("A3", NOTE)
    # --- column titles (row 4) ---
    for key, c in cols.index.items():
        s.set_value((HEADER_ROW, c), TITLES[key])
        s.col_widths[c] = 13 if key not in ("x", "y") else 6
    s.style(Area(HEADER_ROW, 0, HEADER_ROW, len(cols.index) - 1), HEADER)
    s.freeze = (4, 2)
    return s, cols


def _optimizer_sheet(book: Book, roles: Roles, opt: str, hp: Hyper, P: int, epochs: int) -> list[Block]:
    """One optimiser's sheet; returns its epoch blocks."""
    name = SHEET_NAMES[opt]
    s, cols = _optimizer_header(book, roles, opt, hp, INTRO[opt] + (
        " Every epoch below is live: edit a yellow cell and all of them recalculate; "
        "type over an epoch's lr cell to change that epoch alone."))
    # --- blocks ---
    row = FIRST_BLOCK_ROW
    prev: Block | None = None
    passes: list[Block] = []
    for i in range(WARMUP_PASSES[opt]):
        blk = Block("reset", i + 1, row, row + 1, row + P, row + P + 1)
        _write_block(s, opt, cols, blk, P, prev=None, passes=passes)
        passes.append(blk)
        row += P + 3
    epoch_blocks = []
    for k in range(epochs + 1):
        blk = Block("epoch", k, row, row + 1, row + P, row + P + 1)
        _write_block(s, opt, cols, blk, P, prev=prev, passes=passes)
        epoch_blocks.append(blk)
        prev = blk
        row += P + 3
    for kind, blocks in (("reset", passes), ("epochs", epoch_blocks)):
        for key, c in cols.index.items():
            if blocks:
                roles.add(name, f"{kind}.{key}", area(blocks[0].header, c, blocks[-1].footer, c))
    return epoch_blocks


def _write_block(s: Sheet, opt: str, cols: _Columns, blk: Block, P: int, prev: Block | None,
                 passes: list[Block]) -> None:
    H, F, L, T = blk.header, blk.first, blk.last, blk.footer
    # ---- header: label and inputs ----
    if blk.kind == "reset":
        s.set_value((H, 0), f"reset pass {blk.index}")
        s.set_value((H, 1), "a, b held at their start values; state as the reset macro pastes it")
    else:
        s.set_value((H, 0), f"epoch {blk.index}")
        s.set_value((H, 1), "after reset" if blk.index == 0 else
                    f"from epoch {blk.index - 1}: its last row's inputs a, b and state")
    s.style(area(H, 0), LABEL)
    s.style(area(H, 1), NOTE)
    if prev is None:           # reset passes and epoch 0 start from the start values
        s.set_formula(cols.at("b", H), "=b_start")
        s.set_formula(cols.at("a", H), "=a_start")
    else:                      # the lesson's copy-back: the inputs of the last row
        s.set_formula(cols.at("b", H), f"={cols.at('b', prev.last)}")
        s.set_formula(cols.at("a", H), f"={cols.at('a', prev.last)}")
    _state_inputs(s, opt, cols, blk, prev, passes)
    if opt == "adam_ann" and blk.kind == "epoch":
        _annealing(s, cols, blk, prev, passes)
    else:
        s.set_formula(cols.at("lr", H), "=lr")
    s.style(f"{cols.at('b', H)}:{cols.at('a', H)}", RESULT)
    s.style(cols.at("lr", H), PARAMETER)
    # ---- data rows ----
    s.fill(f"{cols.at('x', F)}:{cols.at('y', L)}", f"=data!{cell_name(DATA_FIRST_ROW, 0)}")
    s.set_formula(cols.at("b", F), f"={cols.at('b', H)}")
    s.set_formula(cols.at("a", F), f"={cols.at('a', H)}")
    if P > 1:
        s.fill(cols.range("b", F + 1, L), f"={cols.at('new_b', F)}")
        s.fill(cols.range("a", F + 1, L), f"={cols.at('new_a', F)}")
    cells = {key: cols.at(key, F) for key in cols.index}
    cells.update({f"{key}^": cols.at(key, F - 1) for key in cols.index})
    cells["lr"] = cols.at("lr", H, absolute=True)
    for key, text in ROW_FORMULAS[opt].items():
        s.fill(cols.range(key, F, L), "=" + text.format_map(cells))
    # ---- footer: the epoch's error ----
    s.set_value((T, 0), "error")
    s.set_value((T, 1), "sqrt of the summed err^2")
    s.style(area(T, 1), NOTE)
    s.set_formula(cols.at("err2", T), f"=SQRT(SUM({cols.range('err2', F, L)}))")
    s.style(cols.at("err2", T), RESULT)


def _state_inputs(s: Sheet, opt: str, cols: _Columns, blk: Block, prev: Block | None, passes: list[Block]) -> None:
    """The optimiser state going into the block's first row (its header row)."""
    H = blk.header

    def put(key: str, text: str) -> None:
        s.set_formula(cols.at(key, H), text)
        s.style(cols.at(key, H), RESULT)

    def from_last(key: str, src: Block) -> str:       # pasted from a block's last row
        return f"={cols.at(key, src.last)}"

    def same_as(key: str, src: Block) -> str:         # left as it was going into that block
        return f"={cols.at(key, src.header)}"

    if opt == "sgd":
        return
    if blk.kind == "epoch" and prev is not None:      # onestep: paste the last row's state
        for key in ("m_b", "m_a", "v_b", "v_a"):
            if key in cols.index:
                put(key, from_last(key, prev))
        return
    if opt == "momentum":
        if blk.kind == "reset":
            put("m_b", "=0")
            put("m_a", "=0")
        else:                                          # epoch 0: m after one pass from 0
            put("m_b", from_last("m_b", passes[0]))
            put("m_a", from_last("m_a", passes[0]))
        return
    if opt == "rmsprop":
        if blk.kind == "reset" and blk.index == 1:
            put("v_b", "=v_start")
            put("v_a", "=v_start")
        else:                                          # v from the pass before
            src = passes[-1] if blk.kind == "epoch" else passes[blk.index - 2]
            put("v_b", from_last("v_b", src))
            put("v_a", from_last("v_a", src))
        return
    if opt == "adam":
        # reset under automatic recalculation: pass 1 (m 0, v v_start) -> paste v ->
        # pass 2 -> paste m -> pass 3 -> paste v -> pass 4 -> paste m -> epoch 0
        if blk.kind == "reset" and blk.index == 1:
            m, v = "=0", "=v_start"
            put("m_b", m), put("m_a", m), put("v_b", v), put("v_a", v)
            return
        step = blk.index if blk.kind == "reset" else 5   # which pass (5 = epoch 0)
        before = passes[step - 2]                         # the pass just before
        if step % 2 == 0:      # v was pasted from the pass before; m unchanged
            put("v_b", from_last("v_b", before))
            put("v_a", from_last("v_a", before))
            put("m_b", same_as("m_b", before))
            put("m_a", same_as("m_a", before))
        else:                  # m was pasted from the pass before; v unchanged
            put("m_b", from_last("m_b", before))
            put("m_a", from_last("m_a", before))
            put("v_b", same_as("v_b", before))
            put("v_a", same_as("v_a", before))
        return
    # adam_ann: two passes, each pasting both m and v
    if blk.kind == "reset" and blk.index == 1:
        put("m_b", "=0"), put("m_a", "=0"), put("v_b", "=v_start"), put("v_a", "=v_start")
        return
    src = passes[blk.index - 2] if blk.kind == "reset" else passes[-1]
    for key in ("m_b", "m_a", "v_b", "v_a"):
        put(key, from_last(key, src))


def _annealing(s: Sheet, cols: _Columns, blk: Block, prev: Block | None, passes: list[Block]) -> None:
    """adam_ann's header: avg_grad2 of the state going in, gradrat against the
    previous epoch's prev_grad2, this epoch's lr and prev_grad2."""
    H = blk.header
    avg, rat, lr, pg = (cols.at(k, H) for k in ("avg", "gradrat", "lr", "prev"))
    s.set_formula(avg, f"=SQRT({cols.at('v_b', H)})+SQRT({cols.at('v_a', H)})")
    if prev is None:
        # epoch 0: reset leaves prev_grad2 at avg_grad2 as it stood after pass 1 (stale)
        p1 = passes[0]
        s.set_formula(pg, f"=SQRT({cols.at('v_b', p1.last)})+SQRT({cols.at('v_a', p1.last)})")
        s.set_formula(rat, f"={avg}/{pg}")
        s.set_formula(lr, "=lr")
    else:
        ppg, plr = cols.at("prev", prev.header), cols.at("lr", prev.header)
        s.set_formula(rat, f"={avg}/{ppg}")
        s.set_formula(lr, f"=IF({rat}>cut_ratio,{plr}/cut_factor,{plr})")
        s.set_formula(pg, f"=IF({avg}<{ppg},{avg},{ppg})")
    for ref in (avg, rat, pg):
        s.style(ref, RESULT)


# --- summary --------------------------------------------------------------------------

def _summary_sheet(book: Book, roles: Roles, blocks: dict[str, list[Block]], epochs: int) -> None:
    s = book.add_sheet("summary")
    s["A1"] = ("a, b going into each epoch and that epoch's error (sqrt of the summed squared errors), "
               "per optimiser; epoch 0 is the state after reset")
    s.style("A1", TITLE)
    first = SUMMARY_FIRST_ROW
    last = first + epochs
    s.set_value((first - 1, 0), "epoch")
    s.set_values((first, 0), np.arange(epochs + 1, dtype=np.float64)[:, None])
    roles.add("summary", "epoch", area(first, 0, last, 0))
    col = 1
    err_series, a_series, b_series = [], [], []
    cat = f"summary!{span(first, 0, last, 0, absolute=True)}"
    for opt, epoch_blocks in blocks.items():
        sheet = SHEET_NAMES[opt]
        sheet_cols = _Columns(opt)
        series = {}
        for key in ("a", "b", "error") + (("lr",) if opt == "adam_ann" else ()):
            s.set_value((first - 1, col), f"{sheet} {key}")
            for blk in epoch_blocks:
                src = sheet_cols.at("err2", blk.footer) if key == "error" else sheet_cols.at(key, blk.header)
                s.set_formula((first + blk.index, col), f"={quote_sheet(sheet)}!{src}")
            s.style(area(first, col, last, col), NUMBER)
            roles.add("summary", f"{sheet}.{key}", area(first, col, last, col))
            series[key] = f"summary!{span(first, col, last, col, absolute=True)}"
            s.col_widths[col] = 14
            col += 1
        err_series.append(Series(sheet, series["error"], cat))
        a_series.append(Series(sheet, series["a"], cat))
        b_series.append(Series(sheet, series["b"], cat))
    s.style(Area(first - 1, 0, first - 1, col - 1), HEADER)
    s.freeze = (first, 1)
    chart_row = last + 3
    s.charts.append(Chart("error per epoch (log scale)", err_series, anchor=cell_name(chart_row, 0), width=8,
                          height=18, kind="line", log_y=True, x_title="epoch", y_title="error"))
    s.charts.append(Chart("b (intercept) per epoch", b_series, anchor=cell_name(chart_row, 8), width=8,
                          height=18, kind="line", x_title="epoch", y_title="b"))
    s.charts.append(Chart("a (slope) per epoch", a_series, anchor=cell_name(chart_row, 16), width=8,
                          height=18, kind="line", x_title="epoch", y_title="a"))
