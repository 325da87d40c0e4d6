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
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ...book import Book, Sheet
from ...charts import Chart, Series
from ...optim import OPTIMIZERS, SHEET_NAMES, Hyper, lesson_hyper
from ...refs import col_index, col_letters, quote_sheet
from ...style import DATA, HEADER, LABEL, NOTE, NUMBER, PARAMETER, RESULT, TITLE

FIRST_BLOCK_ROW = 5          # 0-based row of the first block's header (row 6 in Excel)
HEADER_ROW = 3               # 0-based row of the column titles (row 4)
DATA_FIRST_ROW = 4           # data sheet: first x, y row (row 5)

# column letters of each optimiser sheet (kept as in the lesson where it had them)
COLUMNS = {
    "sgd": dict(x="A", y="B", b="C", a="D", pred="E", err2="F", e_bh="G", fd_b="H", e_ah="I", fd_a="J",
                g_b="K", g_a="L", new_a="M", new_b="N", lr="O", xs_b="P", xs_a="Q"),
    "momentum": dict(x="A", y="B", b="C", a="D", pred="E", g_b="F", g_a="G", new_b="H", new_a="I",
                     m_b="J", m_a="K", err2="L", lr="M"),
    "rmsprop": dict(x="A", y="B", b="C", a="D", pred="E", g_b="F", g_a="G", new_b="H", new_a="I",
                    v_b="J", v_a="K", err2="L", lr="M"),
    "adam": dict(x="A", y="B", b="C", a="D", pred="E", g_b="F", g_a="G", new_b="H", new_a="I",
                 m_b="J", m_a="K", v_b="L", v_a="M", err2="N", lr="O"),
    "adam_ann": dict(x="A", y="B", b="C", a="D", pred="E", g_b="F", g_a="G", new_b="H", new_a="I",
                     m_b="J", m_a="K", v_b="L", v_a="M", err2="N", lr="O", avg="P", gradrat="Q", prev="R"),
}

TITLES = {
    "x": "x", "y": "y", "b": "b (intercept)", "a": "a (slope)", "pred": "y_pred = b+a*x", "err2": "err^2",
    "e_bh": "err^2 at b+h", "fd_b": "est de/db", "e_ah": "err^2 at a+h", "fd_a": "est de/da",
    "g_b": "de/db = 2(ax+b-y)", "g_a": "de/da = x*de/db", "new_a": "new a", "new_b": "new b", "lr": "lr",
    "xs_b": "est - de/db (= h)", "xs_a": "est - de/da (= h*x^2)", "m_b": "m_b", "m_a": "m_a", "v_b": "v_b",
    "v_a": "v_a", "avg": "avg_grad2", "gradrat": "gradrat", "prev": "prev_grad2",
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


@dataclass
class Block:
    kind: str              # "reset" (a warm-up pass) or "epoch"
    index: int             # pass number (1-based) or epoch number (0-based)
    header: int            # 0-based row of the block's header (its inputs)
    first: int             # first data row
    last: int              # last data row
    footer: int            # the error row


@dataclass
class SheetLayout:
    optimizer: str
    sheet: str
    columns: dict[str, str]
    blocks: list[Block] = field(default_factory=list)

    def epoch_blocks(self) -> list[Block]:
        return [b for b in self.blocks if b.kind == "epoch"]

    def col(self, key: str) -> int:
        return col_index(self.columns[key])


@dataclass
class Layout:
    points: int
    epochs: int
    sheets: dict[str, SheetLayout] = field(default_factory=dict)
    summary_first_row: int = 3      # 0-based row of epoch 0 on the summary sheet
    summary_columns: dict[str, dict[str, str]] = field(default_factory=dict)


class _Deferred:
    """A Sheet whose values and formulas are applied in one go by flush():
    constants first, then formulas (Sheet.set_formula / set_value re-index the
    sheet's formula cells on every call once formulas exist)."""

    def __init__(self, sheet: Sheet):
        self.sheet = sheet
        self.col_widths = sheet.col_widths
        self.charts = sheet.charts
        self._values: list = []
        self._formulas: list = []

    def __setitem__(self, ref, value) -> None:
        if isinstance(value, str) and value.startswith("=") and len(value) > 1:
            self._formulas.append((ref, value))
        else:
            self._values.append(("one", ref, value))

    def set_value(self, ref, value) -> None:
        self._values.append(("one", ref, value))

    def set_values(self, ref, block) -> None:
        self._values.append(("block", ref, block))

    def set_formula(self, ref, text: str) -> None:
        self._formulas.append((ref, text))

    def fill(self, area: str, text: str) -> None:
        self._formulas.append((area, text))

    def style(self, area, style) -> None:
        self.sheet.style(area, style)

    @property
    def freeze(self):
        return self.sheet.freeze

    @freeze.setter
    def freeze(self, value) -> None:
        self.sheet.freeze = value

    def flush(self) -> Sheet:
        for kind, ref, value in self._values:
            (self.sheet.set_value if kind == "one" else self.sheet.set_values)(ref, value)
        for ref, text in self._formulas:
            if isinstance(ref, tuple):
                ref = col_letters(ref[1]) + str(ref[0] + 1)
            self.sheet.fill(ref if ":" in ref else f"{ref}:{ref}", text)
        self._values, self._formulas = [], []
        return self.sheet


def _ref(col: str, row: int, abs_col: bool = False, abs_row: bool = False) -> str:
    return f"{'$' if abs_col else ''}{col}{'$' if abs_row else ''}{row + 1}"


def _abs(col: str, row: int) -> str:
    return f"${col}${row + 1}"


def _check_variants(hp: Hyper, opt: str) -> None:
    if hp.copy_updated or hp.rmsprop_current or hp.bias_correction or hp.eps or not hp.anneal:
        raise ValueError(f"{opt}: the workbook is written with the lesson's rules only "
                         f"(no copy_updated / rmsprop_current / bias_correction / eps / anneal=False)")


def _names(book: Book, sheet: str, opt: str, cells: dict[str, str]) -> None:
    for name, ref in cells.items():
        book.define_name(name, f"{_quote(sheet)}!{ref}", scope=sheet)


def _quote(sheet: str) -> str:
    return quote_sheet(sheet)


def build_book(x, y, epochs: int, optimizers=OPTIMIZERS, hypers: dict[str, Hyper] | None = None,
               data_note: str = "", generator: tuple[float, float] | None = None,
               randbetween: bool = False) -> tuple[Book, Layout]:
    """The workbook and where everything is in it.  `x`, `y`: the data (any
    length >= 1); `generator` = (slope, intercept) when y = slope*x + intercept
    (shown on the data sheet); `randbetween` adds a live RANDBETWEEN column."""
    x = np.asarray(x, dtype=np.float64).ravel()
    y = np.asarray(y, dtype=np.float64).ravel()
    P = x.size
    hypers = dict(hypers or {})
    book = Book()
    layout = Layout(points=P, epochs=epochs)
    _data_sheet(book, x, y, data_note, generator, randbetween)
    for opt in optimizers:
        hp = hypers.get(opt) or lesson_hyper(opt)
        _check_variants(hp, opt)
        layout.sheets[opt] = _optimizer_sheet(book, opt, hp, P, epochs)
    _summary_sheet(book, layout)
    return book, layout


# --- data -------------------------------------------------------------------------

def _data_sheet(book: Book, x, y, note: str, generator, randbetween: bool) -> None:
    s = _Deferred(book.add_sheet("data"))
    s["A1"] = "data: the points every optimiser sheet reads (values; edit them and every sheet recalculates)"
    s.style("A1", TITLE)
    if generator is not None:
        slope, intercept = generator
        s["A2"] = "y = a*x + b with a ="
        s["B2"] = float(slope)
        s["C2"] = "b ="
        s["D2"] = float(intercept)
        s.style("B2", PARAMETER)
        s.style("D2", PARAMETER)
        book.define_name("true_a", "data!$B$2", scope="data")
        book.define_name("true_b", "data!$D$2", scope="data")
    if note:
        s["A3"] = note
        s.style("A3", NOTE)
    s["A4"] = "x"
    s["B4"] = "y"
    s.style("A4:B4", HEADER)
    s.set_values((DATA_FIRST_ROW, 0), np.column_stack([x, y]))
    s.style(f"A5:B{DATA_FIRST_ROW + x.size}", DATA)
    if randbetween:
        last = DATA_FIRST_ROW + x.size
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
    s.flush()


# --- optimiser sheets ---------------------------------------------------------------

def _optimizer_sheet(book: Book, opt: str, hp: Hyper, P: int, epochs: int) -> SheetLayout:
    name = SHEET_NAMES[opt]
    s = _Deferred(book.add_sheet(name))
    cols = COLUMNS[opt]
    lay = SheetLayout(opt, name, cols)
    # --- hyperparameters (rows 1-2) ---
    s["A1"] = "b start"
    s["B1"] = float(hp.start[0])
    s["A2"] = "a start"
    s["B2"] = float(hp.start[1])
    s["C1"] = "lr"
    s["D1"] = float(hp.lr)
    names = {"b_start": "$B$1", "a_start": "$B$2", "lr": "$D$1"}
    params = ["B1", "B2", "D1"]
    if opt == "sgd":
        s["C2"] = "h"
        s["D2"] = float(hp.h)
        names["h"] = "$D$2"
        params.append("D2")
    if opt in ("momentum", "rmsprop"):
        s["E1"] = "beta"
        s["F1"] = float(hp.beta1 if opt == "momentum" else hp.beta2)
        names["beta"] = "$F$1"
        params.append("F1")
    if opt in ("adam", "adam_ann"):
        s["E1"] = "beta_1"
        s["F1"] = float(hp.beta1)
        s["E2"] = "beta_2"
        s["F2"] = float(hp.beta2)
        names.update(beta_1="$F$1", beta_2="$F$2")
        params += ["F1", "F2"]
    if opt in ("rmsprop", "adam", "adam_ann"):
        s["G1"] = "v start"
        s["H1"] = float(hp.v_init)
        names["v_start"] = "$H$1"
        params.append("H1")
    if opt == "adam_ann":
        s["G2"] = "cut_ratio"
        s["H2"] = float(hp.anneal_ratio)
        s["I2"] = "cut_factor"
        s["J2"] = float(hp.anneal_factor)
        names.update(cut_ratio="$H$2", cut_factor="$J$2")
        params += ["H2", "J2"]
    for ref in params:
        s.style(ref, PARAMETER)
    _names(book, name, opt, names)
    s["A3"] = INTRO[opt] + (" Every epoch below is live: edit a yellow cell and all of them recalculate; "
                            "type over an epoch's lr cell to change that epoch alone.")
    s.style("A3", NOTE)
    # --- column titles (row 4) ---
    keys = list(cols)
    for key in keys:
        s[f"{cols[key]}4"] = TITLES[key]
    last_col = max(cols.values(), key=lambda c: (len(c), c))
    s.style(f"A4:{last_col}4", HEADER)
    s.freeze = (4, 2)
    for key, c in cols.items():
        s.col_widths[col_index(c)] = 13 if key not in ("x", "y") else 6
    # --- blocks ---
    row = FIRST_BLOCK_ROW
    prev: Block | None = None
    passes: list[Block] = []
    for i in range(WARMUP_PASSES[opt]):
        blk = Block("reset", i + 1, row, row + 1, row + P, row + P + 1)
        _write_block(s, opt, blk, P, prev=None, passes=passes)
        passes.append(blk)
        lay.blocks.append(blk)
        row += P + 3
    for k in range(epochs + 1):
        blk = Block("epoch", k, row, row + 1, row + P, row + P + 1)
        _write_block(s, opt, blk, P, prev=prev, passes=passes)
        lay.blocks.append(blk)
        prev = blk
        row += P + 3
    s.flush()
    return lay


def _write_block(s: _Deferred, opt: str, blk: Block, P: int, prev: Block | None, passes: list[Block]) -> None:
    c = COLUMNS[opt]
    H, F, L, T = blk.header, blk.first, blk.last, blk.footer
    # ---- header: label and inputs ----
    if blk.kind == "reset":
        s[_ref("A", H)] = f"reset pass {blk.index}"
        s[_ref("B", H)] = "a, b held at their start values; state as the reset macro pastes it"
    else:
        s[_ref("A", H)] = f"epoch {blk.index}"
        s.set_value(_ref("B", H), "after reset" if blk.index == 0 else
                    f"from epoch {blk.index - 1}: its last row's inputs a, b and state")
    s.style(_ref("A", H), LABEL)
    s.style(_ref("B", H), NOTE)
    if prev is None:           # reset passes and epoch 0 start from the start values
        s.set_formula(_ref(c["b"], H), "=b_start")
        s.set_formula(_ref(c["a"], H), "=a_start")
    else:                      # the lesson's copy-back: the inputs of the last row
        s.set_formula(_ref(c["b"], H), f"={_ref(c['b'], prev.last)}")
        s.set_formula(_ref(c["a"], H), f"={_ref(c['a'], prev.last)}")
    _state_inputs(s, opt, blk, prev, passes)
    if opt == "adam_ann" and blk.kind == "epoch":
        _annealing(s, blk, prev, passes)
    else:
        s.set_formula(_ref(c["lr"], H), "=lr")
    s.style(f"{c['b']}{H + 1}:{c['a']}{H + 1}", RESULT)
    s.style(_ref(c["lr"], H), PARAMETER)
    # ---- data rows ----
    rng = lambda key: f"{c[key]}{F + 1}:{c[key]}{L + 1}"   # noqa: E731
    s.fill(f"A{F + 1}:B{L + 1}", f"=data!A{DATA_FIRST_ROW + 1}")
    s.set_formula(_ref(c["b"], F), f"={_ref(c['b'], H)}")
    s.set_formula(_ref(c["a"], F), f"={_ref(c['a'], H)}")
    if P > 1:
        s.fill(f"{c['b']}{F + 2}:{c['b']}{L + 1}", f"={_ref(c['new_b'], F)}")
        s.fill(f"{c['a']}{F + 2}:{c['a']}{L + 1}", f"={_ref(c['new_a'], F)}")
    R = F + 1          # Excel row number of the block's first data row
    lr = _abs(c["lr"], H)
    if opt == "sgd":
        s.fill(rng("pred"), f"=C{R}+D{R}*A{R}")
        s.fill(rng("err2"), f"=(B{R}-E{R})^2")
        s.fill(rng("e_bh"), f"=(((C{R}+h)+A{R}*D{R})-B{R})^2")
        s.fill(rng("fd_b"), f"=(G{R}-F{R})/h")
        s.fill(rng("e_ah"), f"=(((D{R}+h)*A{R}+C{R})-B{R})^2")
        s.fill(rng("fd_a"), f"=(I{R}-F{R})/h")
        s.fill(rng("g_b"), f"=2*(E{R}-B{R})")
        s.fill(rng("g_a"), f"=K{R}*A{R}")
        s.fill(rng("new_a"), f"=D{R}-L{R}*{lr}")
        s.fill(rng("new_b"), f"=C{R}-K{R}*{lr}")
        s.fill(rng("xs_b"), f"=H{R}-K{R}")
        s.fill(rng("xs_a"), f"=J{R}-L{R}")
    else:
        s.fill(rng("pred"), f"=C{R}+D{R}*A{R}")
        s.fill(rng("g_b"), f"=2*(D{R}*A{R}+C{R}-B{R})")
        s.fill(rng("g_a"), f"=F{R}*A{R}")
        s.fill(rng("err2"), f"=(B{R}-E{R})^2")
        up = R - 1     # the state row above the first data row is the header
        if opt == "momentum":
            s.fill(rng("m_b"), f"=J{up}*beta+(1-beta)*F{R}")
            s.fill(rng("m_a"), f"=K{up}*beta+(1-beta)*G{R}")
            s.fill(rng("new_b"), f"=C{R}-J{R}*{lr}")
            s.fill(rng("new_a"), f"=D{R}-K{R}*{lr}")
        elif opt == "rmsprop":
            s.fill(rng("v_b"), f"=J{up}*beta+(1-beta)*F{R}^2")
            s.fill(rng("v_a"), f"=K{up}*beta+(1-beta)*G{R}^2")
            s.fill(rng("new_b"), f"=C{R}-F{R}*{lr}/SQRT(J{up})")
            s.fill(rng("new_a"), f"=D{R}-G{R}*{lr}/SQRT(K{up})")
        else:
            s.fill(rng("m_b"), f"=J{up}*beta_1+(1-beta_1)*F{R}")
            s.fill(rng("m_a"), f"=K{up}*beta_1+(1-beta_1)*G{R}")
            s.fill(rng("v_b"), f"=L{up}*beta_2+(1-beta_2)*F{R}^2")
            s.fill(rng("v_a"), f"=M{up}*beta_2+(1-beta_2)*G{R}^2")
            s.fill(rng("new_b"), f"=C{R}-J{R}*{lr}/SQRT(L{R})")
            s.fill(rng("new_a"), f"=D{R}-K{R}*{lr}/SQRT(M{R})")
    # ---- footer: the epoch's error ----
    s[_ref("A", T)] = "error"
    s[_ref("B", T)] = "sqrt of the summed err^2"
    s.style(_ref("B", T), NOTE)
    s.set_formula(_ref(c["err2"], T), f"=SQRT(SUM({c['err2']}{F + 1}:{c['err2']}{L + 1}))")
    s.style(_ref(c["err2"], T), RESULT)


def _state_inputs(s: _Deferred, opt: str, blk: Block, prev: Block | None, passes: list[Block]) -> None:
    """The optimiser state going into the block's first row (its header row)."""
    c = COLUMNS[opt]
    H = blk.header

    def put(key: str, text: str) -> None:
        s.set_formula(_ref(c[key], H), text)
        s.style(_ref(c[key], H), RESULT)

    def from_last(key: str, src: Block) -> str:       # pasted from a block's last row
        return f"={_ref(c[key], src.last)}"

    def same_as(key: str, src: Block) -> str:         # left as it was going into that block
        return f"={_ref(c[key], src.header)}"

    if opt == "sgd":
        return
    if blk.kind == "epoch" and prev is not None:      # onestep: paste the last row's state
        for key in ("m_b", "m_a", "v_b", "v_a"):
            if key in c:
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


def _annealing(s: _Deferred, blk: Block, prev: Block | None, passes: list[Block]) -> None:
    """adam_ann's header: avg_grad2 of the state going in, gradrat against the
    previous epoch's prev_grad2, this epoch's lr and prev_grad2."""
    c = COLUMNS["adam_ann"]
    H = blk.header
    avg, rat, lr, pg = (_ref(c[k], H) for k in ("avg", "gradrat", "lr", "prev"))
    s.set_formula(avg, f"=SQRT({_ref(c['v_b'], H)})+SQRT({_ref(c['v_a'], H)})")
    if prev is None:
        # epoch 0: reset leaves prev_grad2 at avg_grad2 as it stood after pass 1 (stale)
        p1 = passes[0]
        s.set_formula(pg, f"=SQRT({_ref(c['v_b'], p1.last)})+SQRT({_ref(c['v_a'], p1.last)})")
        s.set_formula(rat, f"={avg}/{pg}")
        s.set_formula(lr, "=lr")
    else:
        ppg, plr = _ref(c["prev"], prev.header), _ref(c["lr"], prev.header)
        s.set_formula(rat, f"={avg}/{ppg}")
        s.set_formula(lr, f"=IF({rat}>cut_ratio,{plr}/cut_factor,{plr})")
        s.set_formula(pg, f"=IF({avg}<{ppg},{avg},{ppg})")
    for ref in (avg, rat, pg):
        s.style(ref, RESULT)


# --- summary --------------------------------------------------------------------------

def _summary_sheet(book: Book, layout: Layout) -> None:
    s = _Deferred(book.add_sheet("summary"))
    s["A1"] = ("a, b going into each epoch and that epoch's error (sqrt of the summed squared errors), "
               "per optimiser; epoch 0 is the state after reset")
    s.style("A1", TITLE)
    first = layout.summary_first_row
    last = first + layout.epochs
    s[_ref("A", first - 1)] = "epoch"
    s.set_values((first, 0), np.arange(layout.epochs + 1, dtype=np.float64)[:, None])
    col = 1
    err_series, a_series, b_series = [], [], []
    for opt, lay in layout.sheets.items():
        sheet = lay.sheet
        cols = {}
        for key in ("a", "b", "error") + (("lr",) if opt == "adam_ann" else ()):
            letter = col_letters(col)
            cols[key] = letter
            s[_ref(letter, first - 1)] = f"{sheet} {key}"
            for blk in lay.epoch_blocks():
                r = first + blk.index
                if key == "error":
                    src = _ref(lay.columns["err2"], blk.footer)
                else:
                    src = _ref(lay.columns[key], blk.header)
                s.set_formula((r, col), f"={_quote(sheet)}!{src}")
            s.style(f"{letter}{first + 1}:{letter}{last + 1}", NUMBER)
            s.col_widths[col] = 14
            col += 1
        layout.summary_columns[opt] = cols
        cat = f"summary!$A${first + 1}:$A${last + 1}"
        rng = lambda key: f"summary!${cols[key]}${first + 1}:${cols[key]}${last + 1}"   # noqa: E731
        err_series.append(Series(sheet, rng("error"), cat))
        a_series.append(Series(sheet, rng("a"), cat))
        b_series.append(Series(sheet, rng("b"), cat))
    s.style(f"A{first}:{col_letters(col - 1)}{first}", HEADER)
    s.freeze = (first, 1)
    chart_row = last + 3
    s.charts.append(Chart("error per epoch (log scale)", err_series, anchor=_ref("A", chart_row), width=8,
                          height=18, kind="line", log_y=True, x_title="epoch", y_title="error"))
    s.charts.append(Chart("b (intercept) per epoch", b_series, anchor=_ref("I", chart_row), width=8,
                          height=18, kind="line", x_title="epoch", y_title="b"))
    s.charts.append(Chart("a (slope) per epoch", a_series, anchor=_ref("Q", chart_row), width=8,
                          height=18, kind="line", x_title="epoch", y_title="a"))
    s.flush()
