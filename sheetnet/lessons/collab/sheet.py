"""Building the collab_filter workbook: five sheets of constants and live
formulas, styled, annotated, with an Excel Solver model on every sheet that
has something to minimise.

    inputs = initial_inputs(select_top(lesson_ratings(), 15, 15), factors=5, seed=0)
    built = build_workbook(inputs)     # -> Built(book, roles, notes: the sheets left out and why)
    write_workbook(built.book, "collab_filter.xlsx")

``faithful=True`` rebuilds the lesson's original formulas (approximate
MATCH, SUMXMY2 objectives, biases outside the IF, the 1hot/emb user tables
linked to dotprod) at the original's addresses: with the original's inputs
every formula cell equals the value Excel stored.  The default writes
formulas that mean the same in every spreadsheet application: exact MATCH,
RMSE with an explicit "rating present" mask, and predictions of 0 wherever
there is no rating.
"""

from __future__ import annotations

import numpy as np

from ...book import Book, Sheet, SolverModel
from ...errors import UserError
from ...refs import MAX_COLS, MAX_ROWS, Area, absolute_ref, cell_name, span
from ...store import NUM
from ...style import DATA, HEADER, LABEL, NOTE, NUMBER, PARAMETER, RESULT, TITLE, Style
from .. import Built
from .inputs import CollabInputs
from .layout import CrosstabLayout, RowsLayout, WordLayout, collab_layout

#: Largest number of formula cells the crosstab sheets (N x M predictions)
#: and the one-hot sheet (R x (N + M) one-hot cells) are built with; above it
#: those sheets are left out (movielens_emb is always built).
DEFAULT_MAX_CELLS = 1_000_000

ONEHOT_STYLE = Style(number_format="0", align="center", color="7F7F7F")
ID_STYLE = Style(bold=True, fill="D9E1F2", border=True)


# --- the workbook ---------------------------------------------------------------------------


def build_workbook(inputs: CollabInputs, *, sigmoid_range: tuple[float, float] | None = None,
                   faithful: bool = False, max_cells: int = DEFAULT_MAX_CELLS) -> Built:
    """All five sheets (the crosstab and one-hot sheets only up to `max_cells`
    formula cells each; the notes say which were left out and why)."""
    r = inputs.ratings
    N, M, K, R = r.n_users, r.n_movies, inputs.n_factors, r.n_ratings
    if faithful and sigmoid_range is not None:
        raise UserError("the faithful rebuild has no sigmoid range (the original has none)")
    if sigmoid_range is not None and not sigmoid_range[0] < sigmoid_range[1]:
        raise UserError(f"--sigmoid-range LO HI needs LO < HI (got {sigmoid_range[0]:g} {sigmoid_range[1]:g})")
    sig = sigmoid_range is not None
    skipped: list[str] = []

    crosstab_cols = K + 2 + M
    crosstab_rows = 2 * N + K + 9
    crosstabs = True
    if N * M > max_cells:
        crosstabs = False
        skipped.append(f"dotprod and bias left out: the {N:,} x {M:,} crosstab is {N * M:,} formula cells "
                       f"each, over the limit of {max_cells:,} (--max-cells)")
    elif crosstab_cols > MAX_COLS or crosstab_rows > MAX_ROWS:
        crosstabs = False
        skipped.append(f"dotprod and bias left out: {M:,} movies do not fit in a sheet's {MAX_COLS:,} columns")
    onehot_cols = 3 * K + N + M + 14
    onehot = True
    if R * (N + M) > max_cells:
        onehot = False
        skipped.append(f"movielens_1hot left out: {R:,} rating rows x {N + M:,} one-hot columns is "
                       f"{R * (N + M):,} formula cells, over the limit of {max_cells:,} (--max-cells)")
    elif onehot_cols > MAX_COLS:
        onehot = False
        skipped.append(f"movielens_1hot left out: {N + M:,} one-hot columns do not fit in a sheet's "
                       f"{MAX_COLS:,} columns")
    emb_rows = max(R + 6, N + M + 8)
    if emb_rows > MAX_ROWS:
        raise UserError(f"{R:,} ratings do not fit in one sheet ({MAX_ROWS:,} rows at most)")

    layout = collab_layout(N, M, K, R, len(inputs.vocabulary), len(inputs.text), sigmoid=sig, crosstabs=crosstabs,
                           onehot=onehot, word_factors=inputs.embeddings.shape[1])
    book = Book()
    if layout.dotprod is not None:
        _crosstab_sheet(book, layout.dotprod, inputs, sigmoid_range, faithful)
    if layout.onehot is not None:
        _rows_sheet(book, layout.onehot, inputs, sigmoid_range, faithful, layout.dotprod)
    _rows_sheet(book, layout.emb, inputs, sigmoid_range, faithful, layout.dotprod, skipped)
    if layout.bias is not None:
        _crosstab_sheet(book, layout.bias, inputs, sigmoid_range, faithful)
    _word_sheet(book, layout.words, inputs, faithful)
    return Built(book, layout.roles(), skipped)


# --- helpers ------------------------------------------------------------------------------


def _ids_block(ids: np.ndarray, vertical: bool) -> np.ndarray:
    block = ids.reshape(-1, 1) if vertical else ids.reshape(1, -1)
    return block.astype(np.float64) if ids.dtype != object else block


def _put_ids(s: Sheet, a: Area, ids: np.ndarray) -> None:
    """User/movie ids: numbers stay numbers; text is stored as text (never a formula)."""
    s.set_values((a.r0, a.c0), _ids_block(ids, a.width == 1))


def _solver(book: Book, sheet: str, rmse: Area, changing: list[Area], faithful: bool, crosstab: bool) -> None:
    options = {"solver_rbv": "2", "solver_scl": "2"} if faithful and crosstab else {}
    book.set_solver_model(SolverModel(
        sheet=sheet, objective=absolute_ref(rmse, sheet), changing=[absolute_ref(a, sheet) for a in changing],
        goal="min", engine="GRG Nonlinear", central_derivatives=crosstab or not faithful, options=options))


def _y_range_cells(s: Sheet, low: Area, high: Area, y_range, label_col: int) -> tuple[str, str]:
    s.set_value((low.r0, label_col), "y low")
    s.set_value((high.r0, label_col), "y high")
    s.set_value((low.r0, low.c0), float(y_range[0]))
    s.set_value((high.r0, high.c0), float(y_range[1]))
    s.style(Area(low.r0, low.c0, high.r0, high.c0), DATA)
    s.notes[(low.r0, low.c0)] = ("Predictions pass through a sigmoid scaled to this range, "
                                 "low + (high - low) / (1 + EXP(-x)); change it here, Solver leaves it alone.")
    return low.absolute, high.absolute


def _squash(score: str, y_cells: tuple[str, str] | None, compound: bool) -> str:
    if y_cells is None:
        return score
    lo, hi = y_cells
    inner = f"-({score})" if compound else f"-{score}"
    return f"{lo}+({hi}-{lo})/(1+EXP({inner}))"


# --- dotprod and bias ------------------------------------------------------------------------


def _crosstab_sheet(book: Book, lay: CrosstabLayout, inputs: CollabInputs, y_range, faithful: bool) -> None:
    s = book.add_sheet(lay.sheet)
    s.values.ensure(lay.rmse.r0 + 3, lay.rmse.c1 + 1)    # the final size at once: no regrowing
    r = inputs.ratings
    M, K = lay.n_movies, lay.n_factors
    bias = lay.has_bias
    c_ids = lay.user_ids.c0
    rat, pred = lay.ratings, lay.predictions
    uf = inputs.bias_user_factors if bias else inputs.user_factors
    mf = inputs.bias_movie_factors if bias else inputs.movie_factors

    # titles and labels
    s.set_value((0, 0), "Biases added to the dot product" if bias else "Rating = user factors x movie factors")
    s.style(Area(0, 0, 0, 0), TITLE)
    s.set_value((0, c_ids), "movieId")
    s.set_value((1, c_ids - 1), "userId")
    s.set_value((lay.pred_movie_ids.r0 - 1, c_ids), "movieId")
    s.set_value((lay.pred_movie_ids.r0, c_ids - 1), "userId")
    top = lay.movie_bias.r0 if bias else lay.movie_factors.r0
    s.set_value((top, 1), ("movie bias and factors" if bias else "movie factors") + " (Solver changes) ->")
    s.style(Area(top, 1, top, 1), NOTE)
    if bias:
        s.set_value((lay.movie_bias.r0, c_ids), "bias")
        s.set_value((lay.pred_movie_ids.r0, 0), "bias")
        s.style(Area(lay.movie_bias.r0, c_ids, lay.movie_bias.r0, c_ids), LABEL)
        s.style(Area(lay.pred_movie_ids.r0, 0, lay.pred_movie_ids.r0, 0), LABEL)

    # ids, ratings, factors
    _put_ids(s, lay.movie_ids, r.movie_ids)
    _put_ids(s, lay.user_ids, r.user_ids)
    _put_ids(s, lay.pred_movie_ids, r.movie_ids)
    _put_ids(s, lay.pred_user_ids, r.user_ids)
    s.values.ensure(rat.r1 + 1, rat.c1 + 1)
    s.values.set_cells((rat.r0 + r.user).astype(np.int64), (rat.c0 + r.movie).astype(np.int64),
                       np.full(r.n_ratings, NUM, dtype=np.uint8), r.rating.astype(np.float64))
    s.set_values((lay.movie_factors.r0, lay.movie_factors.c0), np.asarray(mf, dtype=np.float64))
    s.set_values((lay.user_factors.r0, lay.user_factors.c0), np.asarray(uf, dtype=np.float64))
    if bias:
        s.set_values((lay.movie_bias.r0, lay.movie_bias.c0), np.asarray(inputs.movie_bias, np.float64)[None, :])
        s.set_values((lay.user_bias.r0, lay.user_bias.c0), np.asarray(inputs.user_bias, np.float64)[:, None])

    # formulas
    label_col = lay.rmse.c0 - 1 if M >= 2 else c_ids
    y_cells = _y_range_cells(s, lay.y_low, lay.y_high, y_range, label_col) if y_range is not None else None
    rp, c0 = pred.r0, pred.c0
    first_rating = cell_name(rat.r0, c0)
    users = f"{cell_name(rp, lay.user_factors.c0, False, True)}:{cell_name(rp, lay.user_factors.c1, False, True)}"
    movies = (f"{cell_name(lay.movie_factors.r0, c0, True, False)}:"
              f"{cell_name(lay.movie_factors.r1, c0, True, False)}")
    dot = f"MMULT({users},{movies})"
    if bias:
        biases = f"+{cell_name(lay.movie_bias.r0, c0, True, False)}+{cell_name(rp, 0, False, True)}"
        if faithful:
            text = f'=IF({first_rating}="",0,{dot}){biases}'
        else:
            text = f'=IF({first_rating}="",0,{_squash(dot + biases, y_cells, True)})'
    else:
        text = f'=IF({first_rating}="",0,{_squash(dot, y_cells, False)})'
    s.fill(pred, text)
    R_, P_ = rat.a1, pred.a1
    if faithful:
        s.fill(lay.rmse, f"=SQRT(SUMXMY2({R_},{P_})/COUNT({R_}))")
    else:
        s.fill(lay.rmse,
                      f'=SQRT(SUMPRODUCT(({R_}<>"")*({R_}-{P_})^2)/COUNT({R_}))')
        s.set_value((lay.rmse.r0, label_col), "RMSE")
        s.style(Area(lay.rmse.r0, label_col, lay.rmse.r0, label_col), LABEL)
    s.set_value((lay.rmse.r0, 0), "Data > Solver: minimise the RMSE by changing the yellow cells.")
    s.style(Area(lay.rmse.r0, 0, lay.rmse.r0, 0), NOTE)

    # styles
    s.style(lay.movie_ids, HEADER)
    s.style(lay.user_ids, ID_STYLE)
    s.style(lay.pred_movie_ids, HEADER)
    s.style(lay.pred_user_ids, ID_STYLE)
    s.style(rat, DATA)
    for a in lay.changing:
        s.style(a, PARAMETER)
    s.style(pred, NUMBER)
    s.style(lay.rmse, RESULT)
    for c in range(lay.user_factors.c0 - 1, lay.user_factors.c1 + 1):
        s.col_widths[c] = 9.5
    s.col_widths[0] = 9.5
    s.freeze = (1, rat.c0)

    # notes
    s.notes[(rat.r0, rat.c0)] = ("MovieLens ratings, one row per user and one column per movie; "
                                 "a blank cell means that user did not rate that movie.")
    seed = f" from seed {inputs.seed}" if inputs.seed is not None else ""
    s.notes[(lay.movie_factors.r0, lay.movie_factors.c0)] = (
        f"Movie factors: {K} numbers per movie (one column each), started at random{seed}; "
        f"Solver changes them to make the RMSE small.")
    s.notes[(lay.user_factors.r0, lay.user_factors.c0)] = (
        f"User factors: {K} numbers per user (one row each), started at random{seed}; Solver changes them too.")
    if bias:
        s.notes[(lay.movie_bias.r0, lay.movie_bias.c0)] = (
            "Movie bias: one number per movie added to every prediction for it (how much everyone likes it).")
        s.notes[(lay.user_bias.r0, lay.user_bias.c0)] = (
            "User bias: one number per user added to every prediction for them (how generous a rater they are).")
    what = "dot product of the user's factor row and the movie's factor column" + (
        " plus both biases" if bias else "")
    squash = ", through the sigmoid range," if y_range is not None else ""
    if faithful and bias:
        s.notes[(pred.r0, pred.c0)] = ("As in the original lesson: dot product (0 where there is no rating) plus "
                                       "both biases, so unrated cells hold the biases alone.")
    else:
        s.notes[(pred.r0, pred.c0)] = (f"Prediction = {what}{squash}; 0 where there is no rating, so those "
                                       f"cells add nothing to the error.")
    if faithful:
        s.notes[(lay.rmse.r0, lay.rmse.c0)] = (
            "The original objective: SUMXMY2 skips blank ratings in Excel but counts them as 0 in "
            "LibreOffice, so the two applications can disagree here.")
    else:
        s.notes[(lay.rmse.r0, lay.rmse.c0)] = (
            "Solver objective: root mean squared error over the rated cells only -- the (ratings<>\"\") mask "
            "makes Excel and LibreOffice agree, where plain SUMXMY2 treats blanks differently in the two.")
    _solver(book, lay.sheet, lay.rmse, lay.changing, faithful, crosstab=True)


# --- movielens_1hot and movielens_emb ------------------------------------------------------------


def _rows_sheet(book: Book, lay: RowsLayout, inputs: CollabInputs, y_range, faithful: bool,
                dotprod: CrosstabLayout | None, left_out: list[str] = ()) -> None:
    s = book.add_sheet(lay.sheet)
    s.values.ensure(max(lay.rmse.r0 + 3, lay.movie_ids.r1 + 1), lay.rmse.c1 + 3)
    r = inputs.ratings
    K = lay.n_factors
    onehot = lay.kind == "onehot"
    d0 = lay.rating_users.c0
    r0, r1 = lay.rating_users.r0, lay.rating_users.r1

    s.set_value((0, 0), "Multiplying by a one-hot matrix is a look-up" if onehot
                else "Embeddings: look the factors up with OFFSET")
    s.style(Area(0, 0, 0, 0), TITLE)
    if left_out:
        c = lay.rmse.c1 + 2
        s.set_value((0, c), "Left out of this workbook: " + "; ".join(left_out) + ".")
        s.style(Area(0, c, 0, c), NOTE)

    # the two factor tables
    for label, idx, ids_area, table, ids, values in (
            ("users", lay.user_index_col, lay.user_ids, lay.user_factors, r.user_ids, inputs.user_factors),
            ("movies", lay.movie_index_col, lay.movie_ids, lay.movie_factors, r.movie_ids,
             np.asarray(inputs.movie_factors).T)):
        head = idx.r0 - 1
        s.set_value((head - 1, 1), label)
        s.style(Area(head - 1, 1, head - 1, 1), LABEL)
        s.set_values((head, 0), [["idx", "userId" if label == "users" else "movieId"]
                                 + [f"factor {k}" for k in range(1, K + 1)]])
        s.style(Area(head, 0, head, table.c1), HEADER)
        s.set_value((idx.r0, 0), 1)
        if idx.height > 1:
            s.fill(Area(idx.r0 + 1, 0, idx.r1, 0), f"={cell_name(idx.r0, 0)}+1")
        _put_ids(s, ids_area, ids)
        s.style(ids_area, ID_STYLE)
        s.style(table, PARAMETER)
        if faithful and label == "users" and dotprod is not None:
            s.fill(table, f"={dotprod.sheet}!{cell_name(dotprod.user_factors.r0, dotprod.user_factors.c0)}")
        else:
            s.set_values((table.r0, table.c0), np.asarray(values, dtype=np.float64))
    seed = f" from seed {inputs.seed}" if inputs.seed is not None else ""
    s.notes[(lay.user_factors.r0, lay.user_factors.c0)] = (
        f"User factor table, one row per user, started at random{seed} (the same numbers as dotprod's "
        f"user factors); Solver changes it.")
    s.notes[(lay.movie_factors.r0, lay.movie_factors.c0)] = (
        "Movie factor table, one row per movie (dotprod's movie factors turned on their side); Solver changes it.")

    # the rating rows
    s.set_value((0, d0), "ratings")
    s.style(Area(0, d0, 0, d0), LABEL)
    _put_ids(s, lay.rating_users, r.user_ids[r.user])
    _put_ids(s, lay.rating_movies, r.movie_ids[r.movie])
    s.set_values((r0, lay.rating_values.c0), r.rating.astype(np.float64)[:, None])
    heads = {lay.rating_users.c0: "userId", lay.rating_movies.c0: "movieId", lay.rating_values.c0: "rating",
             lay.user_index.c0: "user idx", lay.movie_index.c0: "movie idx",
             lay.predictions.c0: "prediction", lay.errors.c0: "error^2"}
    for c, h in heads.items():
        s.set_value((1, c), h)
        s.style(Area(1, c, 1, c), HEADER)
    s.style(Area(r0, lay.rating_users.c0, r1, lay.rating_movies.c0), ID_STYLE)
    s.style(lay.rating_values, DATA)

    mode = "" if faithful else ",0"
    users_col = span(lay.user_ids.r0, 1, lay.user_ids.r1, 1, absolute=True)
    movies_col = span(lay.movie_ids.r0, 1, lay.movie_ids.r1, 1, absolute=True)
    s.fill(lay.user_index, f"=MATCH({cell_name(r0, lay.rating_users.c0)},{users_col}{mode})")
    s.fill(lay.movie_index, f"=MATCH({cell_name(r0, lay.rating_movies.c0)},{movies_col}{mode})")
    if faithful:
        s.notes[(r0, lay.user_index.c0)] = ("As in the original lesson: approximate MATCH, which finds the right "
                                            "row only because the ids are sorted.")
    else:
        s.notes[(r0, lay.user_index.c0)] = (
            "MATCH(id, ids, 0) is an exact match: the original lesson left out the 0 and relied on sorted "
            "ids, while the exact form stays right if ids are reordered and shows #N/A for an unknown id.")
    ui = cell_name(r0, lay.user_index.c0, False, True)
    mi = cell_name(r0, lay.movie_index.c0, False, True)

    if onehot:
        for oh, head, act, table, idx_ref, what in (
                (lay.user_onehot, lay.onehot_user_header, lay.user_activations, lay.user_factors, ui, "user"),
                (lay.movie_onehot, lay.onehot_movie_header, lay.movie_activations, lay.movie_factors, mi,
                 "movie")):
            s.set_value((0, oh.c0), f"{what} one-hot")
            s.set_value((0, act.c0), f"{what} activations")
            s.style(Area(0, oh.c0, 0, oh.c0), LABEL)
            s.style(Area(0, act.c0, 0, act.c0), LABEL)
            s.set_value((1, oh.c0), 1)
            if head.width > 1:
                s.fill(Area(1, oh.c0 + 1, 1, head.c1), f"={cell_name(1, oh.c0)}+1")
            s.style(head, HEADER)
            s.fill(oh, f"=IF({idx_ref}={cell_name(1, oh.c0, True, False)},1,0)")
            s.style(oh, ONEHOT_STYLE)
            s.set_array_formula(act, f"=MMULT({oh.a1},{table.a1})")
            s.style(act, NUMBER)
            for c in range(oh.c0, oh.c1 + 1):
                s.col_widths[c] = 3.0
            s.notes[(oh.r0, oh.c0)] = (f"One-hot encoding of the {what} index: 1 in that {what}'s column, "
                                       f"0 everywhere else.")
            s.notes[(act.r0, act.c0)] = (f"MMULT(one-hot rows, {what} factor table) picks exactly the {what}'s "
                                         f"row of factors: a matrix product with a one-hot matrix is a look-up.")
    else:
        for act, offs, idx_ref, corner, what in (
                (lay.user_activations, lay.offsets_user, ui, cell_name(lay.user_ids.r0 - 1, 1, True, True), "user"),
                (lay.movie_activations, lay.offsets_movie, mi, cell_name(lay.movie_ids.r0 - 1, 1, True, True), "movie")):
            s.set_value((0, act.c0), f"{what} factors, looked up")
            s.style(Area(0, act.c0, 0, act.c0), LABEL)
            s.set_values((1, offs.c0), np.arange(1, K + 1, dtype=np.float64)[None, :])
            s.style(offs, HEADER)
            s.fill(act, f"=OFFSET({corner},{idx_ref},{cell_name(1, act.c0, True, False)})")
            s.style(act, NUMBER)
            s.notes[(act.r0, act.c0)] = (
                f"OFFSET reads the {what}'s row of the factor table directly (the numbers above say which "
                f"column): the same numbers as the one-hot product, without multiplying -- an embedding.")

    ua, ma = lay.user_activations, lay.movie_activations
    y_cells = (_y_range_cells(s, lay.y_low, lay.y_high, y_range, lay.predictions.c0)
               if y_range is not None else None)
    score = f"SUMPRODUCT({cell_name(r0, ua.c0)}:{cell_name(r0, ua.c1)},{cell_name(r0, ma.c0)}:{cell_name(r0, ma.c1)})"
    s.fill(lay.predictions, "=" + _squash(score, y_cells, False))
    first, second = cell_name(r0, lay.predictions.c0), cell_name(r0, lay.rating_values.c0)
    if not onehot:
        first, second = second, first    # the lesson writes (rating-prediction)^2 here
    s.fill(lay.errors, f"=({first}-{second})^2")
    last = r1 + 1 if faithful else r1    # the original averages one blank row more
    s.fill(lay.rmse,
                  f"=SQRT(AVERAGE({cell_name(r0, lay.errors.c0)}:{cell_name(last, lay.errors.c0)}))")
    s.set_value((lay.rmse.r0, lay.predictions.c0), "RMSE")
    s.style(Area(lay.rmse.r0, lay.predictions.c0, lay.rmse.r0, lay.predictions.c0), LABEL)
    s.style(lay.predictions, NUMBER)
    s.style(lay.errors, NUMBER)
    s.style(lay.rmse, RESULT)
    s.notes[(r0, lay.predictions.c0)] = ("Prediction: the user's factors times the movie's factors, summed "
                                         "(SUMPRODUCT)" + (", through the sigmoid range." if y_range else "."))
    s.notes[(lay.rmse.r0, lay.rmse.c0)] = (
        "Solver objective: root mean squared error over every rating row -- the same number as dotprod's RMSE "
        "for the same factors.")
    s.col_widths[0] = 5.0
    s.col_widths[1] = 9.0
    s.freeze = (2, 0)
    _solver(book, lay.sheet, lay.rmse, lay.changing, faithful, crosstab=False)


# --- word_emb -----------------------------------------------------------------------------------


def _word_sheet(book: Book, lay: WordLayout, inputs: CollabInputs, faithful: bool) -> None:
    s = book.add_sheet(lay.sheet)
    K = lay.n_factors
    s.set_value((0, 0), "Words get embeddings the same way")
    s.style(Area(0, 0, 0, 0), TITLE)
    s.set_value((1, 1), "vocabulary")
    s.style(Area(1, 1, 1, 1), LABEL)
    s.set_values((2, 0), [["id", "word"] + [f"factor {k}" for k in range(1, K + 1)]])
    s.style(Area(2, 0, 2, lay.embeddings.c1), HEADER)
    s.set_value((lay.vocab_index.r0, 0), 1)
    if lay.n_vocab > 1:
        s.fill(Area(lay.vocab_index.r0 + 1, 0, lay.vocab_index.r1, 0), f"={cell_name(lay.vocab_index.r0, 0)}+1")
    s.set_values((lay.vocabulary.r0, 1), np.asarray(list(inputs.vocabulary), dtype=object)[:, None])
    s.set_values((lay.embeddings.r0, lay.embeddings.c0), np.asarray(inputs.embeddings, dtype=np.float64))
    s.style(lay.vocabulary, ID_STYLE)
    s.style(lay.embeddings, PARAMETER)
    t0 = lay.words.c0
    s.set_value((1, t0), "text")
    s.set_value((1, t0 + 1), "word id")
    s.style(Area(1, t0, 1, t0 + 1), HEADER)
    s.set_value((0, lay.offsets.c0), "the word's embedding, looked up")
    s.style(Area(0, lay.offsets.c0, 0, lay.offsets.c0), LABEL)
    s.set_values((1, lay.offsets.c0), np.arange(1, K + 1, dtype=np.float64)[None, :])
    s.style(lay.offsets, HEADER)
    s.set_values((lay.words.r0, t0), np.asarray(list(inputs.text), dtype=object)[:, None])
    s.style(lay.words, DATA)
    mode = "" if faithful else ",0"
    vocab = span(lay.vocabulary.r0, 1, lay.vocabulary.r1, 1, absolute=True)
    s.fill(lay.word_ids, f"=MATCH({cell_name(lay.words.r0, t0)},{vocab}{mode})")
    corner = cell_name(lay.vocabulary.r0 - 1, 1, True, True)
    s.fill(lay.word_vectors, f"=OFFSET({corner},{cell_name(lay.words.r0, lay.word_ids.c0, False, True)},"
                             f"{cell_name(1, lay.offsets.c0, True, False)})")
    s.style(lay.word_vectors, NUMBER)
    seed = f" from seed {inputs.seed}" if inputs.seed is not None else ""
    s.notes[(lay.embeddings.r0, lay.embeddings.c0)] = (
        f"Each word of the vocabulary has {K} numbers, its embedding (random{seed} here; training would "
        f"change them).")
    s.notes[(lay.words.r0, t0)] = "A short text, one word a row."
    s.notes[(lay.word_ids.r0, lay.word_ids.c0)] = (
        "MATCH turns each word into its row number in the vocabulary (ignoring case, as spreadsheets do)"
        + (", approximately, as in the original lesson." if faithful else ", exactly (the 0)."))
    s.notes[(lay.word_vectors.r0, lay.word_vectors.c0)] = (
        "OFFSET looks the word's embedding up by that number: words become vectors exactly as users and "
        "movies do.")
    s.col_widths[0] = 5.0
    s.col_widths[1] = 11.0
    s.col_widths[t0] = 11.0
    s.freeze = (2, 0)
