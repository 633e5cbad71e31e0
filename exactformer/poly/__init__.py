"""Polynomials: a safe parser and canonical sparse targets."""
from .monomials import graded_monomials
from .syntax import parse
from .target import Target, make_target, monomial_to_expr, n_monomials

__all__ = ["Target", "make_target", "parse", "graded_monomials", "monomial_to_expr",
           "n_monomials"]
