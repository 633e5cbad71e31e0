"""A certified bound on sup over float x in a box of |y_float(x) - p(x)|: the pipeline
behind ``exactformer float-error``.

    |y_float(x) - p(x)| <= |y_float(x) - y_ref(x)| + |y_ref(x) - p(x)|
                        <=  forward bound F      +  exact gap G

* y_ref is the exact model (an exactformer JSON model; or a float file read exactly,
  each float its dyadic rational), evaluated exactly. Whether y_ref = p is decided by
  the ordinary exact rung (on the box: relu needs sign certificates); G = 0 when it is
  proved, else G bounds the exact difference polynomial on the box
  (|sum c_a x^a| <= sum |c_a| max_box |x^a|). A refuted model still gets a certified
  bound, and it says so: the bound then includes the exact gap and never reads as
  "zero error".
* F (:func:`exactformer.verify.float_error.forward_error_bound`) covers (a) the
  weights the float model holds (each rounded to the precision, ties to even, exactly)
  against the exact model's and (b) every rounding of the forward pass, for any
  summation order, with or without FMA.
* x is a float of the precision in the box, and p is evaluated exactly at that x.

The numpy run at sampled points (corners included) is reported beside the bound as
evidence only; a sampled error above the bound is a contradiction (exit 4, nothing
claimed).
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Sequence, cast

from sympy.polys.rings import PolyElement

from . import api
from .engine.domains import polynomial_interval
from .errors import InternalContradiction, NotExact, ParseError
from .floats.forward import float_model_from_model
from .verify.float_sampling import Observed, observed_error, sample_points
from .floats.schema import FloatModel
from .limits import DEFAULT_LIMITS, Limits
from .model import Model
from .poly import Target, make_target
from .poly.box import Box
from .poly.target import TargetSource, lift
from .verify.box import claim_at
from .verify.float_error import ForwardBound, forward_error_bound, rounded_model
from .verify.precision import Precision, decimal_up

METHOD = ("forward error analysis in exact rational arithmetic: every intermediate of "
          "the numpy forward pass is enclosed over the box (exact polynomial, |sum c_a "
          "x^a| <= sum |c_a| max|x^a|) with a rounding error carried through each layer; "
          "rounding model |fl(a op b) - a op b| <= u|a op b| (+ eta for products in the "
          "subnormal range); dot products of k terms in any order, with or without FMA, "
          "within gamma_k sum|a_i b_i|; errors through products |a'b' - ab| <= |a'||b'-b| "
          "+ |b||a'-a|; relu 1-Lipschitz; softmax rows with one key exact, with several "
          "keys assuming |exp~ - exp| <= {c} u exp; overflow excluded by checking every "
          "enclosure; plus the exact gap between the exact model and the claim")


@dataclass(frozen=True)
class FloatErrorResult:
    """The certified bound, its parts, the exact verdict, and the sampled evidence."""

    claim: Target
    box: Box
    precision: Precision
    exact: api.ProofResult
    forward: ForwardBound
    gap: Fraction
    observed: Observed
    seconds: float

    @property
    def bound(self) -> Fraction:
        return self.forward.error + self.gap

    def summary(self) -> dict[str, Any]:
        """The JSON object of ``float-error --json``."""
        v = self.exact.verdict
        obs = self.observed
        return {
            "verdict": "certified",
            "error_bound": decimal_up(self.bound),
            "error_bound_exact": str(self.bound),
            "error_bound_note": "error_bound_exact is the certified bound (an exact "
                                "rational); error_bound is it rounded UP to 4 significant "
                                "digits",
            "forward_error_bound": decimal_up(self.forward.error),
            "forward_error_bound_exact": str(self.forward.error),
            "exact_gap_bound": decimal_up(self.gap),
            "exact_gap_bound_exact": str(self.gap),
            "exact_model": {"verdict": v.verdict, "rung": v.rung,
                            "equals_claim": v.holds},
            "sampled_max_error": float(obs.max_error),
            "sampled_points": obs.points,
            "sampled_worst_point": dict(zip(self.claim.variables,
                                            (str(x) for x in obs.worst_point))),
            "sampled_note": "evidence, not a bound: the largest |y_float(x) - p(x)| of "
                            f"numpy {self.precision.name} runs at {obs.points} float points "
                            "of the box (corners included), p(x) computed exactly",
            "bound_over_sampled": (None if obs.max_error == 0 else
                                   round(float(self.bound / obs.max_error), 3)),
            "onnxruntime": "not run by this command; the bound holds for any summation order, "
                           "so also for onnxruntime runs of an export-model --onnx graph",
            "precision": self.precision.name,
            "domain": str(self.box),
            "claim": str(self.claim.as_expr()),
            "variables": list(self.claim.variables),
            "error_bound_method": METHOD.format(c=self.precision.exp_error),
            "input_model": "x ranges over the floats of the precision in the box; p is "
                           "evaluated exactly at that same x",
            "layer_errors": [decimal_up(e) for e in self.forward.layer_errors],
            "softmax_rows_with_several_keys": self.forward.softmax_rows,
            "seconds": round(self.seconds, 4),
        }


def claim_on_inputs(claim: TargetSource, model: Model,
                    limits: Limits = DEFAULT_LIMITS) -> Target:
    """The claim as a polynomial in the model's inputs (numeric coefficients only)."""
    t = make_target(claim, variables=list(model.variables), limits=limits)
    if t.params:
        raise ParseError(f"the claim has symbolic coefficients ({', '.join(t.params)}): a "
                         "float error bound needs a numeric claim")
    return t


def box_in_model_order(box: Box, order: Sequence[str] | None, model: Model) -> Box:
    """A box whose intervals are listed in ``order`` (default: the model's inputs),
    rearranged into the model's input order."""
    if order is None:
        return box
    if sorted(order) != sorted(model.variables) or len(set(order)) != len(order):
        raise ParseError(f"--vars {','.join(order)} must list the model's inputs "
                         f"{','.join(model.variables)} (in the order of the box's intervals)")
    where = {v: i for i, v in enumerate(order)}
    return Box(tuple(box.intervals[where[v]] for v in model.variables))


def _gap(exact: api.ProofResult, claim: Target, box: Box) -> Fraction:
    """sup_box |y_ref - p| <= the enclosure of the exact difference (0 when proved)."""
    if exact.proved:
        return Fraction(0)
    y = cast(PolyElement, exact.output_poly)  # not None: the caller checked the trace
    ring = y.ring
    diff = y - ring.from_dict(lift(claim, tuple(str(s) for s in ring.symbols)))
    lo, hi = polynomial_interval(diff, box.intervals)
    return max(-lo, hi)


def certify_float_error(ref: Model, claim: TargetSource, box: Box, precision: Precision,
                        run: Model | None = None, observed_model: FloatModel | None = None,
                        samples: int = 2000, seed: int = 0,
                        limits: Limits = DEFAULT_LIMITS,
                        timeout: float | None = None) -> FloatErrorResult:
    """Certify sup over float x in ``box`` of |y_float(x) - claim(x)| for the model run in
    ``precision``. ``run``: the weights the float model holds (default: ``ref`` rounded
    to the precision); ``observed_model``: the float file numpy runs for the evidence
    (default: ``run`` as float64 arrays)."""
    start = time.perf_counter()
    deadline = None if timeout is None else time.monotonic() + timeout
    t = claim_on_inputs(claim, ref, limits)
    if box.dimension != len(ref.variables):
        raise ParseError(f"box {box} has dimension {box.dimension}, the model has "
                         f"{len(ref.variables)} inputs")
    run = rounded_model(ref, precision) if run is None else run
    exact = api.check_model(ref, t, variables=list(ref.variables), limits=limits,
                            timeout=timeout, domain=box)
    if exact.trace is None:
        raise NotExact(f"the exact model is not one polynomial on the box {box} (a relu "
                       f"argument changes sign there): {exact.verdict.detail}; no float "
                       "error bound is certified")
    forward = forward_error_bound(ref, run, box, precision, deadline)
    y = cast(PolyElement, exact.output_poly)  # not None when the trace is not
    if dict(forward.output.items()) != dict(y.items()):
        raise InternalContradiction("the float analysis and the exact engine computed "
                                    "different output polynomials")
    gap = _gap(exact, t, box)
    fm = observed_model if observed_model is not None else float_model_from_model(run)
    try:
        # claim_at is never None here: t has numeric coefficients and the box's dimension
        obs = observed_error(fm, lambda p: cast(Fraction, claim_at(t, p)),
                             sample_points(box, precision, samples, seed), precision)
    except ArithmeticError as exc:
        raise InternalContradiction(f"a sampled float run was not finite although overflow "
                                    f"was excluded: {exc}") from None
    result = FloatErrorResult(t, box, precision, exact, forward, gap, obs,
                              time.perf_counter() - start)
    if obs.max_error > result.bound:
        raise InternalContradiction(
            f"the sampled error {float(obs.max_error):.6g} exceeds the bound "
            f"{float(result.bound):.6g} about to be certified; nothing is claimed")
    return result


__all__ = ["FloatErrorResult", "METHOD", "box_in_model_order", "certify_float_error",
           "claim_on_inputs"]
