"""Where every block of the collab_filter sheets lives.

The layout is a pure function of the sizes (users N, movies M, factors K,
rating rows R, vocabulary V, text length T).  At the lesson's sizes (15, 15,
5, 206, 14, 48) it puts every block where the original workbook has it --
dotprod's RMSE in V41, bias's in V42, movielens_1hot's in BH210,
movielens_emb's in Y210 -- so the generated sheets can be read alongside
the lesson.

Every Area-valued field of a sheet's layout is one of the lesson's roles
(``rmse``, ``ratings``, ``user_factors`` ...): :meth:`CollabLayout.roles`
publishes them, and the workbook carries them as sheet-local defined names.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ...refs import Area, area
from .. import Roles

DOTPROD, ONEHOT, EMB, BIAS, WORDS = "dotprod", "movielens_1hot", "movielens_emb", "bias", "word_emb"
SHEETS = (DOTPROD, ONEHOT, EMB, BIAS, WORDS)


class _Roles:
    """Shared behaviour: every Area-valued field is a role."""

    sheet: str

    def publish(self, roles: Roles) -> None:
        """Add this sheet's blocks to `roles`, under their field names."""
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Area):
                roles.add(self.sheet, f.name, value)


@dataclass(frozen=True)
class CrosstabLayout(_Roles):
    """dotprod and bias: ratings crosstab on top, factor blocks below,
    predictions beside the user factors, the RMSE under the predictions."""

    sheet: str
    n_users: int
    n_movies: int
    n_factors: int
    has_bias: bool
    movie_ids: Area            # H1:V1
    user_ids: Area             # G2:G16
    ratings: Area              # H2:V16
    movie_bias: Area | None    # bias: H19:V19
    movie_factors: Area        # K x M: H19:V23 (bias: H20:V24)
    pred_movie_ids: Area       # H24:V24, the ids again above the predictions
    pred_user_ids: Area        # G25:G39
    user_bias: Area | None     # bias: A26:A40
    user_factors: Area         # N x K: B25:F39
    predictions: Area          # H25:V39
    rmse: Area                 # V41
    y_low: Area | None         # --sigmoid-range cells
    y_high: Area | None

    @property
    def changing(self) -> list[Area]:
        """What Solver changes: movie bias + factors as one block, user bias + factors as one block."""
        top = self.movie_factors if self.movie_bias is None else Area(
            self.movie_bias.r0, self.movie_bias.c0, self.movie_factors.r1, self.movie_factors.c1)
        left = self.user_factors if self.user_bias is None else Area(
            self.user_bias.r0, self.user_bias.c0, self.user_factors.r1, self.user_factors.c1)
        return [top, left]


def crosstab_layout(sheet: str, n_users: int, n_movies: int, n_factors: int, has_bias: bool,
                    sigmoid: bool) -> CrosstabLayout:
    N, M, K = n_users, n_movies, n_factors
    c_ids = K + 1                 # G: the user ids column
    c0, c1 = K + 2, K + 1 + M     # H..V: one column per movie
    rm = N + 3                    # first row below the ratings and two blank rows (row 19)
    movie_bias = area(rm, c0, rm, c1) if has_bias else None
    f0 = rm + 1 if has_bias else rm
    rh = f0 + K                   # movie ids again, above the predictions
    rp = rh + 1
    user_bias = area(rp, 0, rp + N - 1, 0) if has_bias else None
    rr = rp + N + 1
    return CrosstabLayout(
        sheet=sheet, n_users=N, n_movies=M, n_factors=K, has_bias=has_bias,
        movie_ids=area(0, c0, 0, c1),
        user_ids=area(1, c_ids, N, c_ids),
        ratings=area(1, c0, N, c1),
        movie_bias=movie_bias,
        movie_factors=area(f0, c0, f0 + K - 1, c1),
        pred_movie_ids=area(rh, c0, rh, c1),
        pred_user_ids=area(rp, c_ids, rp + N - 1, c_ids),
        user_bias=user_bias,
        user_factors=area(rp, 1, rp + N - 1, K),
        predictions=area(rp, c0, rp + N - 1, c1),
        rmse=area(rr, c1),
        y_low=area(rr + 1, c1) if sigmoid else None,
        y_high=area(rr + 2, c1) if sigmoid else None,
    )


@dataclass(frozen=True)
class RowsLayout(_Roles):
    """movielens_1hot and movielens_emb: the two factor tables on the left,
    one row per rating on the right."""

    sheet: str
    kind: str                  # "onehot" or "emb"
    n_users: int
    n_movies: int
    n_factors: int
    n_ratings: int
    user_index_col: Area       # A4:A18: 1..N
    user_ids: Area             # B4:B18
    user_factors: Area         # C4:G18 (N x K)
    movie_index_col: Area      # A22:A36
    movie_ids: Area            # B22:B36
    movie_factors: Area        # C22:G36 (M x K)
    rating_users: Area         # I3:I208 userId of each rating row
    rating_movies: Area        # J3:J208
    rating_values: Area        # 1hot M3:M208, emb K3:K208
    user_index: Area           # MATCH results: 1hot K3:K208, emb L3:L208
    movie_index: Area          # 1hot L3:L208, emb R3:R208
    user_onehot: Area | None   # 1hot O3:AC208
    movie_onehot: Area | None  # 1hot AK3:AY208
    onehot_user_header: Area | None   # O2:AC2 = 1..N
    onehot_movie_header: Area | None  # AK2:AY2 = 1..M
    user_activations: Area     # 1hot AE3:AI208 (MMULT), emb M3:Q208 (OFFSET)
    movie_activations: Area    # 1hot BA3:BE208, emb S3:W208
    offsets_user: Area | None  # emb M2:Q2 = 1..K (OFFSET's column argument)
    offsets_movie: Area | None  # emb S2:W2
    predictions: Area          # 1hot BG3:BG208, emb X3:X208
    errors: Area               # 1hot BH3:BH208, emb Y3:Y208
    rmse: Area                 # 1hot BH210, emb Y210
    y_low: Area | None
    y_high: Area | None

    @property
    def changing(self) -> list[Area]:
        return [self.user_factors, self.movie_factors]


def rows_layout(sheet: str, kind: str, n_users: int, n_movies: int, n_factors: int, n_ratings: int,
                sigmoid: bool) -> RowsLayout:
    N, M, K, R = n_users, n_movies, n_factors, n_ratings
    u0 = 3                        # first user row (row 4)
    m0 = u0 + N + 3               # first movie row (row 22)
    d0 = K + 3                    # first rating-row column (I)
    r0, r1 = 2, 2 + R - 1         # rating rows (3..208)
    col = lambda c: area(r0, c, r1, c)          # noqa: E731
    block = lambda c, w: area(r0, c, r1, c + w - 1)  # noqa: E731
    if kind == "onehot":
        oh_u = d0 + 6
        act_u = oh_u + N + 1
        oh_m = act_u + K + 1
        act_m = oh_m + M + 1
        pred = act_m + K + 1
        parts = dict(
            rating_values=col(d0 + 4), user_index=col(d0 + 2), movie_index=col(d0 + 3),
            user_onehot=block(oh_u, N), movie_onehot=block(oh_m, M),
            onehot_user_header=area(1, oh_u, 1, oh_u + N - 1), onehot_movie_header=area(1, oh_m, 1, oh_m + M - 1),
            user_activations=block(act_u, K), movie_activations=block(act_m, K),
            offsets_user=None, offsets_movie=None)
    elif kind == "emb":
        pred = d0 + 5 + 2 * K
        parts = dict(
            rating_values=col(d0 + 2), user_index=col(d0 + 3), movie_index=col(d0 + 4 + K),
            user_onehot=None, movie_onehot=None, onehot_user_header=None, onehot_movie_header=None,
            user_activations=block(d0 + 4, K), movie_activations=block(d0 + 5 + K, K),
            offsets_user=area(1, d0 + 4, 1, d0 + 3 + K), offsets_movie=area(1, d0 + 5 + K, 1, d0 + 4 + 2 * K))
    else:
        raise ValueError(kind)
    rr = r1 + 2
    return RowsLayout(
        sheet=sheet, kind=kind, n_users=N, n_movies=M, n_factors=K, n_ratings=R,
        user_index_col=area(u0, 0, u0 + N - 1, 0), user_ids=area(u0, 1, u0 + N - 1, 1),
        user_factors=area(u0, 2, u0 + N - 1, K + 1),
        movie_index_col=area(m0, 0, m0 + M - 1, 0), movie_ids=area(m0, 1, m0 + M - 1, 1),
        movie_factors=area(m0, 2, m0 + M - 1, K + 1),
        rating_users=col(d0), rating_movies=col(d0 + 1),
        predictions=col(pred), errors=col(pred + 1), rmse=area(rr, pred + 1),
        y_low=area(rr + 1, pred + 1) if sigmoid else None,
        y_high=area(rr + 2, pred + 1) if sigmoid else None,
        **parts)


@dataclass(frozen=True)
class WordLayout(_Roles):
    """word_emb: a vocabulary with its embedding table on the left, a text
    on the right turned into ids (MATCH) and vectors (OFFSET)."""

    sheet: str
    n_vocab: int
    n_words: int
    n_factors: int
    vocab_index: Area          # A4:A17: 1..V
    vocabulary: Area           # B4:B17
    embeddings: Area           # C4:G17 (V x K)
    words: Area                # I3:I50, the text, one word a row
    word_ids: Area             # J3:J50
    offsets: Area              # K2:O2 = 1..K
    word_vectors: Area         # K3:O50


def word_layout(n_vocab: int, n_words: int, n_factors: int, sheet: str = WORDS) -> WordLayout:
    V, T, K = n_vocab, n_words, n_factors
    t0 = K + 3
    return WordLayout(
        sheet=sheet, n_vocab=V, n_words=T, n_factors=K,
        vocab_index=area(3, 0, 2 + V, 0), vocabulary=area(3, 1, 2 + V, 1), embeddings=area(3, 2, 2 + V, K + 1),
        words=area(2, t0, 1 + T, t0), word_ids=area(2, t0 + 1, 1 + T, t0 + 1),
        offsets=area(1, t0 + 2, 1, t0 + 1 + K), word_vectors=area(2, t0 + 2, 1 + T, t0 + 1 + K))


@dataclass(frozen=True)
class CollabLayout:
    """Every sheet of a generated collab_filter workbook (None: not built)."""

    dotprod: CrosstabLayout | None
    onehot: RowsLayout | None
    emb: RowsLayout
    bias: CrosstabLayout | None
    words: WordLayout

    def sheets(self) -> dict[str, object]:
        """sheet name -> layout, in workbook order, built sheets only."""
        return {lay.sheet: lay for lay in (self.dotprod, self.onehot, self.emb, self.bias, self.words)
                if lay is not None}

    def roles(self) -> Roles:
        roles = Roles()
        for lay in self.sheets().values():
            lay.publish(roles)
        return roles


def collab_layout(n_users: int, n_movies: int, n_factors: int, n_ratings: int, n_vocab: int, n_words: int,
                  *, sigmoid: bool = False, crosstabs: bool = True, onehot: bool = True,
                  word_factors: int | None = None) -> CollabLayout:
    """The layout of a whole workbook from its sizes."""
    N, M, K, R = n_users, n_movies, n_factors, n_ratings
    return CollabLayout(
        dotprod=crosstab_layout(DOTPROD, N, M, K, False, sigmoid) if crosstabs else None,
        onehot=rows_layout(ONEHOT, "onehot", N, M, K, R, sigmoid) if onehot else None,
        emb=rows_layout(EMB, "emb", N, M, K, R, sigmoid),
        bias=crosstab_layout(BIAS, N, M, K, True, sigmoid) if crosstabs else None,
        words=word_layout(n_vocab, n_words, word_factors or K),
    )
