"""Ratings in, ratings out: reading MovieLens-format files and choosing the
users and movies a sheet shows.

Two file formats are read (the format is told by the first line):

* ``ratings.csv`` -- comma-separated with a header naming ``userId``,
  ``movieId`` and ``rating`` (a ``timestamp`` or any other column is
  ignored), as in MovieLens' latest/small releases;
* ``u.data`` -- tab-separated ``user item rating timestamp`` with no header,
  as in MovieLens 100k;
* either shape separated by ``;`` (Excel's CSV in locales with a decimal
  comma: ``4,5`` is 4.5), ``::`` (ratings.dat) or spaces -- see
  ``sheetnet.userfiles.separator_of``.

Ids are numbers when every id in the column is a number, otherwise text
(written to the sheet as text, never as a formula).  Every problem names the
file and line: ``ratings.csv:17: rating 'x' is not a number``.

The lesson's sheets show the N users and M movies with the most ratings
(counted over the whole file, ties broken by the smaller id), each sorted by
id, and the ratings among them -- :func:`select_top`.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

import numpy as np

from ...errors import UserError
from ...userfiles import decimal_point, read_text, separator_name, separator_of, split_rows

FIXTURE = os.path.join(os.path.dirname(__file__), "data", "ratings_15x15.csv")

_USER_NAMES = {"userid", "user_id", "user", "user id"}
_MOVIE_NAMES = {"movieid", "movie_id", "movie", "movie id", "itemid", "item_id", "item", "item id"}
_RATING_NAMES = {"rating"}
_WILDCARDS = ("*", "?", "~")


@dataclass(frozen=True)
class RatingsFile:
    """Every rating of a file, in file order."""

    path: str
    user: np.ndarray     # ids: float64, or object (str) when some id is not a number
    movie: np.ndarray
    rating: np.ndarray   # float64
    line: np.ndarray     # 1-based line number of each rating, for messages

    def __len__(self) -> int:
        return len(self.rating)


@dataclass(frozen=True)
class Ratings:
    """The ratings a sheet shows: N users and M movies (each in ascending id
    order) and one row per rating, as 0-based indices into those lists."""

    user_ids: np.ndarray   # N ids (float64 or object/str)
    movie_ids: np.ndarray  # M ids
    user: np.ndarray       # int64, per rating row: index into user_ids
    movie: np.ndarray      # int64, per rating row: index into movie_ids
    rating: np.ndarray     # float64, per rating row
    source: str = "lesson"

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    @property
    def n_movies(self) -> int:
        return len(self.movie_ids)

    @property
    def n_ratings(self) -> int:
        return len(self.rating)

    def crosstab(self) -> np.ndarray:
        """N x M ratings, NaN where the user did not rate the movie (the dotprod sheet's block)."""
        table = np.full((self.n_users, self.n_movies), np.nan)
        table[self.user, self.movie] = self.rating
        return table

    def rated(self) -> np.ndarray:
        """N x M booleans: True where a rating exists."""
        return ~np.isnan(self.crosstab())

    def sorted_rows(self) -> "Ratings":
        """The same ratings with rows ordered by (user, movie), as the crosstab reads row by row."""
        order = np.lexsort((self.movie, self.user))
        return Ratings(self.user_ids, self.movie_ids, self.user[order], self.movie[order],
                       self.rating[order], self.source)

    @classmethod
    def from_crosstab(cls, user_ids, movie_ids, table, source: str = "crosstab") -> "Ratings":
        """From an N x M table with NaN for "no rating" (rows ordered by user, then movie)."""
        table = np.asarray(table, dtype=np.float64)
        user, movie = np.nonzero(~np.isnan(table))
        return cls(_id_array(user_ids), _id_array(movie_ids), user.astype(np.int64),
                   movie.astype(np.int64), table[user, movie], source)


def _id_array(ids) -> np.ndarray:
    ids = list(ids)
    if all(isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) for x in ids):
        return np.asarray(ids, dtype=np.float64)
    return np.asarray([str(x) for x in ids], dtype=object)


# --- reading -----------------------------------------------------------------------------


def read_ratings(path: str) -> RatingsFile:
    """Read a ratings.csv (header), u.data (tab-separated, no header) or
    ratings.dat ("::"-separated, no header) file."""
    name = str(path)
    text = read_text(name, "a ratings file")

    lines = text.replace("\r\n", "\n").split("\n")
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    if first is None:
        raise UserError(f"{name}: the file is empty; expected userId,movieId,rating lines")
    # u.data (MovieLens 100k) is tab-separated, ratings.dat (1M) uses "::", European Excel ";"
    sep = separator_of(lines[first])
    rows, numbers = split_rows(name, lines, sep)
    return _columns(name, rows, numbers, sep)


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _columns(name: str, rows: list[list[str]], numbers: list[int], sep: str) -> RatingsFile:
    shown = separator_name(sep)
    head = [f.strip() for f in rows[0]]
    if len(head) >= 3 and _is_number(decimal_point([head[2]], sep)[0]):
        # no header: user, item, rating[, timestamp]
        ui, mi, ri = 0, 1, 2
        allowed = {3, 4}
        expected = "3 or 4"
    else:
        keys = [h.lower() for h in head]
        try:
            ui = next(i for i, k in enumerate(keys) if k in _USER_NAMES)
            mi = next(i for i, k in enumerate(keys) if k in _MOVIE_NAMES)
            ri = next(i for i, k in enumerate(keys) if k in _RATING_NAMES)
        except StopIteration:
            raise UserError(f"{name}:{numbers[0]}: expected a header naming userId, movieId and rating "
                            f"(or u.data lines: user, item, rating, timestamp), found {','.join(head)!r}") from None
        allowed = {len(head)}
        expected = str(len(head))
        rows, numbers = rows[1:], numbers[1:]
    if not rows:
        raise UserError(f"{name}: no ratings (only a header)")

    lengths = np.fromiter(map(len, rows), dtype=np.int64, count=len(rows))
    bad = np.flatnonzero(~np.isin(lengths, list(allowed)))
    if len(bad):
        i = int(bad[0])
        raise UserError(f"{name}:{numbers[i]}: expected {expected} fields separated by {shown} "
                        f"(userId, movieId, rating[, timestamp]), found {lengths[i]}")

    line = np.asarray(numbers, dtype=np.int64)
    users = [r[ui].strip() for r in rows]
    movies = [r[mi].strip() for r in rows]
    texts = decimal_point([r[ri].strip() for r in rows], sep)
    rating = _numbers(name, texts, line, "rating")
    return RatingsFile(name, _ids(name, users, line, "userId"), _ids(name, movies, line, "movieId"),
                       rating, line)


def _underscore(texts: list[str]) -> bool:
    """float() reads "1_000" as 1000; a ratings file should not."""
    return "_" in "".join(texts)


def _numbers(name: str, texts: list[str], line: np.ndarray, what: str) -> np.ndarray:
    """Parse a column of numbers; the first bad one is reported with its line."""
    try:
        values = np.array(texts, dtype=np.float64)
        ok = bool(np.isfinite(values).all()) and not _underscore(texts)
    except ValueError:
        ok = False
    if ok:
        return values
    for t, ln in zip(texts, line.tolist()):
        if t == "":
            raise UserError(f"{name}:{ln}: the {what} is empty")
        try:
            x = float(t)
        except ValueError:
            raise UserError(f"{name}:{ln}: {what} {t!r} is not a number") from None
        if "_" in t or not math.isfinite(x):
            raise UserError(f"{name}:{ln}: {what} {t!r} is not a finite number")
    raise AssertionError("unreachable")


def _ids(name: str, texts: list[str], line: np.ndarray, what: str) -> np.ndarray:
    """Ids are numbers when they all are; otherwise text, checked so that a
    spreadsheet's MATCH finds each one exactly."""
    if "" in texts:
        raise UserError(f"{name}:{line[texts.index('')]}: the {what} is empty")
    try:
        values = np.array(texts, dtype=np.float64)
        if np.isfinite(values).all() and not _underscore(texts):
            return values
    except ValueError:
        pass
    ids = np.asarray(texts, dtype=object)
    seen: dict[str, tuple[str, int]] = {}
    for t, ln in zip(texts, line.tolist()):
        if any(w in t for w in _WILDCARDS):
            raise UserError(f"{name}:{ln}: {what} {t!r} contains * ? or ~, which spreadsheet MATCH "
                            f"treats as wildcards; use ids without them")
        if len(t) > 255:
            raise UserError(f"{name}:{ln}: {what} is longer than 255 characters, the most MATCH can look up")
        key = t.casefold()
        other = seen.get(key)
        if other is None:
            seen[key] = (t, ln)
        elif other[0] != t:
            raise UserError(f"{name}:{ln}: {what} {t!r} differs from {other[0]!r} (line {other[1]}) only in "
                            f"case; spreadsheet MATCH cannot tell them apart")
    return ids


# --- choosing users and movies ------------------------------------------------------------


def _codes(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unique ids in ascending order, code of each id); numbers sort
    numerically, text case-insensitively."""
    if ids.dtype != object:
        return np.unique(ids, return_inverse=True)
    uniq = sorted(set(ids.tolist()), key=lambda s: (s.casefold(), s))
    index = {u: i for i, u in enumerate(uniq)}
    return np.asarray(uniq, dtype=object), np.fromiter((index[x] for x in ids), dtype=np.int64, count=len(ids))


def select_top(data: RatingsFile, n_users: int, n_movies: int) -> Ratings:
    """The lesson's choice: the `n_users` users and `n_movies` movies with the
    most ratings in the whole file (ties: the smaller id first), each list
    sorted by id, and every rating among them, rows ordered by (user, movie)."""
    name = data.path
    users, ucode = _codes(data.user)
    movies, mcode = _codes(data.movie)
    _no_duplicates(data, ucode, mcode, len(movies))
    if len(users) < n_users:
        raise UserError(f"{name}: only {len(users):,} users have ratings, fewer than the {n_users:,} asked "
                        f"for (--users)")
    if len(movies) < n_movies:
        raise UserError(f"{name}: only {len(movies):,} movies have ratings, fewer than the {n_movies:,} asked "
                        f"for (--movies)")
    ukeep = _top(ucode, len(users), n_users)
    mkeep = _top(mcode, len(movies), n_movies)
    # new 0-based index (ascending id order, since codes are) or -1
    unew = np.full(len(users), -1, dtype=np.int64)
    unew[ukeep] = np.arange(len(ukeep))
    mnew = np.full(len(movies), -1, dtype=np.int64)
    mnew[mkeep] = np.arange(len(mkeep))
    u, m = unew[ucode], mnew[mcode]
    keep = (u >= 0) & (m >= 0)
    if not keep.any():
        raise UserError(f"{name}: none of the chosen {n_users:,} users rated any of the chosen "
                        f"{n_movies:,} movies")
    chosen = Ratings(users[ukeep], movies[mkeep], u[keep], m[keep], data.rating[keep],
                     source=os.path.basename(name))
    return chosen.sorted_rows()


def _top(code: np.ndarray, n_unique: int, n: int) -> np.ndarray:
    """Codes of the n most frequent ids (ties: smaller code = smaller id), ascending."""
    counts = np.bincount(code, minlength=n_unique)
    order = np.lexsort((np.arange(n_unique), -counts))
    return np.sort(order[:n])


def _no_duplicates(data: RatingsFile, ucode: np.ndarray, mcode: np.ndarray, n_movies: int) -> None:
    key = ucode.astype(np.int64) * n_movies + mcode
    order = np.argsort(key, kind="stable")
    same = np.flatnonzero(key[order][1:] == key[order][:-1])
    if len(same) == 0:
        return
    # report the duplicate met first when reading the file
    second = order[same + 1]
    j = int(np.argmin(data.line[second]))
    i_first, i_second = int(order[same[j]]), int(second[j])
    raise UserError(f"{data.path}:{data.line[i_second]}: user {_show(data.user[i_second])} rated movie "
                    f"{_show(data.movie[i_second])} twice (also on line {data.line[i_first]})")


def _show(x) -> str:
    if isinstance(x, (float, np.floating)) and float(x).is_integer():
        return str(int(x))
    return repr(x) if isinstance(x, str) else str(x)


def lesson_ratings() -> RatingsFile:
    """The lesson's 15 x 15 MovieLens ratings (the project's own fixture)."""
    return read_ratings(FIXTURE)
