"""Excel Solver models, solved with scipy: exact gradients through the
formula graph (torch autograd) when the model allows, finite differences
like Excel's GRG otherwise."""

from .problem import Problem, problem_from_book
from .run import SolveResult, solve

__all__ = ["Problem", "problem_from_book", "SolveResult", "solve"]
