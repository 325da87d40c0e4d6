"""The collab lesson's inputs: the ratings (see :mod:`.ratings` for the
readers), the starting factors and biases, the word sheet's vocabulary,
embeddings and text."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from ...errors import UserError
from .ratings import Ratings, lesson_ratings, select_top

#: The project's own short text for word_emb.
TEXT = ("A word becomes a number, and the number picks a row of the table. That row is the embedding of "
        "the word. Multiply a one hot row by the table and the same row comes back: an embedding is a look up.")


@dataclass
class CollabInputs:
    """Everything the sheets hold as constants.

    Factor shapes follow the crosstab sheets: users N x K, movies K x M (the
    1hot/emb tables hold the movie factors transposed, M x K).  The bias
    sheet has its own factors and biases (the lesson solved it separately).
    """

    ratings: Ratings
    user_factors: np.ndarray            # N x K: dotprod, movielens_1hot, movielens_emb
    movie_factors: np.ndarray           # K x M
    bias_user_factors: np.ndarray       # N x K: bias
    bias_movie_factors: np.ndarray      # K x M
    user_bias: np.ndarray               # N
    movie_bias: np.ndarray              # M
    vocabulary: list[str]
    embeddings: np.ndarray              # V x K_words
    text: list[str]                     # the words of the text, in order
    seed: int | None = None

    @property
    def n_factors(self) -> int:
        return self.user_factors.shape[1]


def words_of(text: str) -> list[str]:
    """The words of a text (letters only), in order."""
    return re.findall(r"[A-Za-z]+", text)


def vocabulary_of(words: list[str]) -> list[str]:
    """Each word once, lower case, sorted: the word sheet's vocabulary."""
    return sorted({w.lower() for w in words})


def initial_inputs(ratings: Ratings, factors: int = 5, seed: int = 0, text: str = TEXT) -> CollabInputs:
    """Random starting factors for every sheet, drawn from `seed`: uniform in
    [0, 1) like Excel's RAND(); biases start at 0.  dotprod, 1hot, emb and the
    bias sheet start from the same factors, so they start at the same RMSE."""
    if factors < 1:
        raise UserError(f"--factors must be at least 1 (got {factors})")
    rng = np.random.default_rng(seed)
    movie = rng.random((factors, ratings.n_movies))
    user = rng.random((ratings.n_users, factors))
    words = words_of(text)
    vocab = vocabulary_of(words)
    emb = np.random.default_rng([seed, 1]).random((len(vocab), factors))
    return CollabInputs(ratings, user, movie, user.copy(), movie.copy(), np.zeros(ratings.n_users),
                        np.zeros(ratings.n_movies), vocab, emb, words, seed)


def crosscheck_inputs(seed: int = 0) -> CollabInputs:
    """The default ``sheetnet build collab`` inputs (the lesson's 15 x 15 ratings, 5 factors
    from ``seed``), with the bias sheet's biases drawn from the same seed (N(0, 0.25^2)):
    the builder starts them at 0, which would make the bias rows repeat the dot-product rows."""
    inputs = initial_inputs(select_top(lesson_ratings(), 15, 15), factors=5, seed=seed)
    rng = np.random.default_rng([seed, 2])
    return replace(inputs, user_bias=rng.normal(0.0, 0.25, inputs.ratings.n_users),
                   movie_bias=rng.normal(0.0, 0.25, inputs.ratings.n_movies))
