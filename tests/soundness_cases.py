"""The differential soundness harness: random models and claims, three deciders.

For each random model (every kind the IR allows) and each claim (the model's true
output, or a near miss of it), three deciders answer:

1. the prover: :func:`exactformer.api.check_model` (exact identity or exact on a box)
   and the Schwartz-Zippel rung :func:`verify_schwartz_zippel`;
2. the independent checker, through certificates: the prover's own certificate of
   every proof, the same certificate with one weight changed or its box widened, and
   certificates written by the oracle for the claim (true or not);
3. the oracle of :mod:`soundness_oracle` (no exactformer code).

A *disagreement* is a false "proved"/"holds"/"VALID" (the oracle shows model != claim),
a false refutation (the oracle decided model == claim exactly), a proof whose
certificate the checker does not accept, or a crash (an exception that is not an
ExactformerError, or any exception from the checker). Refusals (NotExact,
LimitExceeded, ...) are never disagreements.

:func:`run_case` decides one model with its claims; :func:`run_names_case` the
name-discipline cases, where the only right answer is a refusal.
"""
from __future__ import annotations

import json
import random
import traceback
from dataclasses import dataclass, field
from fractions import Fraction

from soundness_oracle import Poly, judge, readout_names, symbolic_output, value_at

from exactformer import checker
from exactformer.api import check_model
from exactformer.formats.certificate import certificate_for
from exactformer.errors import CertificateError, ExactformerError
from exactformer.formats.model_json import model_from_json
from exactformer.verify.schwartz_zippel import verify_schwartz_zippel

VARIABLE_POOL = ("x", "y", "z", "w", "x1", "u_2", "t")
PARAM_POOL = ("a", "b", "c", "k", "p", "q2")
WEIGHTS = (1, -1, 2, -2, Fraction(1, 2), Fraction(-1, 2), 3, Fraction(1, 3), Fraction(-2, 3))
CYRILLIC = {"x": "\u0445", "y": "\u0443", "a": "\u0430", "c": "\u0441", "p": "\u0440"}

# ------------------------------------------------------------------ generation


def _w(rng: random.Random, zero: float, positive: bool = False) -> Fraction:
    if rng.random() < zero:
        return Fraction(0)
    v = Fraction(rng.choice(WEIGHTS))
    return abs(v) if positive else v


def _matrix(rng, rows, cols, zero=0.6, positive=False):
    return [[_w(rng, zero, positive) for _ in range(cols)] for _ in range(rows)]


def _degree_bound(spec) -> int:
    """A crude bound on the output degree in the variables (whole-stream)."""
    d = 1 if spec["variables"] else 0
    for blk in spec["blocks"]:
        d = d if blk["activation"] == "softmax" else 3 * d
        if blk["ffn"] is not None and blk["ffn"]["activation"] == "square":
            d *= 2
    return d


def _form(rng, params) -> Poly:
    """A symbolic readout entry: a parameter, or a small affine/quadratic form."""
    a, b = rng.sample(params, 2)
    pa, pb = Poly.var(a), Poly.var(b)
    forms = [pa, pa * 2 + Fraction(1, 3), pa * pb, -pb + 1, pa - pb * Fraction(1, 2)]
    if rng.random() < 0.25:  # the constants: independent symbols pi, E; sqrt(q) exact
        forms += [Poly.var("pi") * pa, Poly.var("E") - 1, Poly.var("sqrt(2)"),
                  Poly.var("sqrt(3)") * pb + Poly.var("sqrt(2)")]
    return rng.choice(forms)


CONSTANTS = ("pi", "E")


def is_constant_name(n: str) -> bool:
    return n in CONSTANTS or n.startswith("sqrt(")


def claim_params(claim: Poly, variables) -> list:
    """The names a claim must declare as parameters (not inputs, not constants)."""
    return sorted(n for n in claim.names() - set(variables) if not is_constant_name(n))


def random_spec(rng: random.Random, hint: str | None = None) -> tuple[dict, list | None]:
    """(spec, box or None): a small random model and, mostly for relu, a box."""
    hint = hint or rng.choice(("polynomial", "softmax", "relu", "relu", "mixed"))
    d = rng.choice((0, 1, 1, 2, 2, 3, 3))
    variables = rng.sample(VARIABLE_POOL, d)
    N, D, L = rng.randint(1, 5), rng.randint(1, 4), rng.randint(0, 3)
    positive = hint == "relu" and rng.random() < 0.5
    zero = rng.choice((0.4, 0.6, 0.8))
    base = _matrix(rng, N, D, zero, positive)
    coefficients = [_matrix(rng, N, D, zero, positive) for _ in variables]
    if N >= 2 and rng.random() < 0.3:  # duplicated tokens: softmax rows with equal scores
        base[1] = list(base[0])
        for A in coefficients:
            A[1] = list(A[0])
    blocks = []
    for _ in range(L):
        if hint == "polynomial":
            act = "identity"
        elif hint == "softmax":
            act = rng.choice(("softmax", "softmax", "identity"))
        elif hint == "relu":
            act = rng.choice(("relu", "relu", "identity"))
        else:
            act = rng.choice(("identity", "relu", "softmax"))
        h, hv = rng.randint(1, 3), rng.randint(1, 3)
        blk = {"wq": _matrix(rng, D, h, zero, positive), "wk": _matrix(rng, D, h, zero, positive),
               "wv": _matrix(rng, D, hv, zero, positive), "wo": _matrix(rng, hv, D, zero, positive),
               "activation": act, "mask": None, "ffn": None}
        mode = rng.random()
        if act == "softmax" and mode < 0.25:
            blk["wk" if rng.random() < 0.5 else "wq"] = _matrix(rng, D, h, 1.0)  # scores all 0
        if rng.random() < 0.6:
            if act == "softmax" and 0.25 <= mode < 0.6:  # at most one key per row
                blk["mask"] = [sorted(rng.sample(range(N), rng.randint(0, 1))) for _ in range(N)]
            else:
                blk["mask"] = [sorted(j for j in range(N) if rng.random() < 0.5)
                               for _ in range(N)]
        ffn_kind = rng.choice((None, None, "square", "relu") if hint != "relu"
                              else (None, "relu", "relu", "square"))
        if hint == "polynomial" and ffn_kind == "relu":
            ffn_kind = "square"
        if ffn_kind is not None:
            hid = rng.randint(1, 3)
            b1 = [_w(rng, zero, positive) for _ in range(hid)]
            if ffn_kind == "relu" and not positive and rng.random() < 0.3:
                b1 = [Fraction(-rng.choice((20, 50, 200)))] * hid  # mostly a dead unit
            blk["ffn"] = {"w1": _matrix(rng, D, hid, zero, positive), "b1": b1,
                          "w2": _matrix(rng, hid, D, zero, positive),
                          "b2": [_w(rng, zero, positive) for _ in range(D)],
                          "activation": ffn_kind}
        blocks.append(blk)
    readout = [[Poly.const(_w(rng, 0.5)) for _ in range(D)] for _ in range(N)]
    bias = Poly.const(_w(rng, 0.5))
    if rng.random() < 0.3:
        params = list(PARAM_POOL)
        for t in range(N):
            for c in range(D):
                if rng.random() < 0.3:
                    readout[t][c] = _form(rng, params)
        if rng.random() < 0.3:
            bias = _form(rng, params)
    spec = {"variables": variables, "tokens": N, "width": D, "base": base,
            "coefficients": coefficients, "blocks": blocks, "readout": readout, "bias": bias}
    cap = 12 if d <= 2 else 8
    while spec["blocks"] and _degree_bound(spec) > cap:
        spec["blocks"].pop()
    box = None
    if d and (hint in ("relu", "mixed") or rng.random() < 0.2) and rng.random() < 0.85:
        box = []
        for _ in variables:
            if positive:
                lo = Fraction(rng.choice((0, 1, 1, 2)), 2)
            else:
                lo = Fraction(rng.randint(-4, 2), rng.choice((1, 2)))
            box.append((lo, lo + Fraction(rng.randint(1, 6), rng.choice((1, 2, 4)))))
    return spec, box


def kind_of(spec: dict, box, info: dict) -> str:
    acts = {b["activation"] for b in spec["blocks"]}
    ffns = {b["ffn"]["activation"] for b in spec["blocks"] if b["ffn"] is not None}
    if info["irrational_softmax"]:
        return "softmax-irrational"
    if "relu" in acts or "relu" in ffns:
        if info["uncertified_relu"]:
            return "relu-box-sign-change" if box is not None else "relu-no-box"
        return "relu-box-certified" if info["used_box"] else "relu-constant-args"
    if "softmax" in acts:
        return "softmax-irrational" if info["irrational_softmax"] else "softmax-exact"
    return "polynomial"


# ------------------------------------------------------------------ model JSON

def _entries(m) -> list:
    return [[r, c, str(v)] for r, row in enumerate(m) for c, v in enumerate(row) if v]


def _mjson(m, rows, cols) -> dict:
    return {"shape": [rows, cols], "entries": _entries(m)}


def model_json(spec: dict, meta: dict | None = None) -> dict:
    """The spec in the exactformer-model/1 JSON format (the checker's and the loader's)."""
    N, D = spec["tokens"], spec["width"]
    blocks = []
    for b in spec["blocks"]:
        h, hv = len(b["wq"][0]) if D else 0, len(b["wo"])
        att = {"wq": _mjson(b["wq"], D, h), "wk": _mjson(b["wk"], D, h),
               "wv": _mjson(b["wv"], D, hv), "wo": _mjson(b["wo"], hv, D),
               "activation": b["activation"],
               "mask": None if b["mask"] is None else
               [[t, j] for t, keys in enumerate(b["mask"]) for j in keys]}
        ffn = None
        if b["ffn"] is not None:
            f = b["ffn"]
            hid = len(f["b1"])
            ffn = {"w1": _mjson(f["w1"], D, hid), "b1": _mjson([f["b1"]], 1, hid),
                   "w2": _mjson(f["w2"], hid, D), "b2": _mjson([f["b2"]], 1, D),
                   "activation": f["activation"]}
        blocks.append({"attention": att, "ffn": ffn})
    readout = [[t, c, f.text()] for t, row in enumerate(spec["readout"])
               for c, f in enumerate(row) if f]
    return {"format": "exactformer-model/1", "variables": list(spec["variables"]),
            "tokens": N, "width": D,
            "embedding": {"base": _mjson(spec["base"], N, D),
                          "coefficients": [_mjson(a, N, D) for a in spec["coefficients"]]},
            "blocks": blocks,
            "readout": {"shape": [N, D], "entries": readout, "bias": spec["bias"].text()},
            "meta": dict(meta or {})}


def box_text(box) -> str | None:
    if box is None:
        return None
    return "x".join(f"[{lo},{hi}]" for lo, hi in box)


# ------------------------------------------------------------------ claims

def near_misses(rng: random.Random, P: Poly, variables, params) -> list[tuple[str, Poly]]:
    """Claims close to P: one coefficient off by a tiny rational, a term dropped,
    variables swapped, a degree changed, a parameter renamed, an extra term, zero."""
    out = []
    terms = sorted(P.terms.items())
    eps = Fraction(rng.choice((1, -1)), rng.choice((10**6, 997, 2**20, 3)))
    if terms:
        m, c = rng.choice(terms)
        out.append(("coefficient+eps", P + Poly({m: eps})))
        out.append(("term-dropped", P - Poly({m: c})))
        if variables:
            v = rng.choice(variables)
            out.append(("degree-changed", P - Poly({m: c}) + Poly({m: c}) * Poly.var(v)))
        out.append(("zero", Poly()))
    else:
        out.append(("coefficient+eps", Poly.const(eps)))
    if len(variables) >= 2:
        a, b = rng.sample(list(variables), 2)
        out.append(("variables-swapped", P.rename({a: b, b: a})))
    if variables:
        v = rng.choice(variables)
        out.append(("extra-term", P + Poly.var(v) * Poly.var(v) * Fraction(1, 7)))
    used = claim_params(P, variables)
    out.append(("foreign-variable", P + Poly.var("zz") * Fraction(1, 5)))
    if used:
        old = rng.choice(used)
        fresh = next(n for n in ("a9", "b9", "r_x") if n not in P.names())
        out.append(("param-renamed", P.rename({old: fresh})))
    return out


# ------------------------------------------------------------------ outcomes

@dataclass
class Outcome:
    """Everything decided for one model: counts and disagreements (with reproducers)."""

    counts: dict = field(default_factory=dict)
    disagreements: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    def count(self, *keys):
        for k in keys:
            self.counts[k] = self.counts.get(k, 0) + 1

    def merge(self, other: "Outcome"):
        for k, v in other.counts.items():
            self.counts[k] = self.counts.get(k, 0) + v
        self.disagreements += other.disagreements
        self.notes += other.notes


def reproducer(what: str, mjson: dict, claim: str, variables, params, domain,
               **extra) -> dict:
    out = {"what": what, "model": mjson, "claim": claim, "variables": list(variables),
           "params": list(params), "domain": domain}
    out.update({k: (v if isinstance(v, (str, int, float, list, dict, type(None))) else str(v))
                for k, v in extra.items()})
    return out


def _prover(model, claim_text, variables, params, domain):
    """('proved' | 'refuted' | 'refused' | 'crash', result or error text)."""
    try:
        r = check_model(model, claim_text,
                        variables=None if variables is None else tuple(variables),
                        params=tuple(params) or None, domain=domain, timeout=60)
    except ExactformerError as exc:
        return "refused", f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001 - a crash is what we are looking for
        return "crash", traceback.format_exc()
    return ("proved" if r.proved else "refuted"), r


def _sz(model, claim_text, seed, params=None):
    try:
        r = verify_schwartz_zippel(model, claim_text, points=3, seed=seed,
                                   params=",".join(params) if params else None)
    except ExactformerError as exc:
        return "refused", f"{type(exc).__name__}: {exc}"
    except Exception:  # noqa: BLE001
        return "crash", traceback.format_exc()
    return ("holds" if r.holds else "refuted"), r


def _check(cert) -> tuple[str, str]:
    try:
        rep = checker.check_certificate(cert)
    except Exception:  # noqa: BLE001 - the checker must never raise
        return "crash", traceback.format_exc()
    return rep.status, rep.message


def rehash(cert: dict) -> dict:
    cert = {k: v for k, v in cert.items() if k != checker.HASH_FIELD}
    cert[checker.HASH_FIELD] = checker.content_hash(cert)
    return cert


def oracle_certificate(spec, claim: Poly, box, rung: str, meta=None) -> dict:
    """An identity certificate for ``claim`` written by the oracle (not by the prover)."""
    variables = list(spec["variables"])
    params = sorted(claim.names() - set(variables))
    gens = variables + params
    terms = []
    for m, c in claim.terms.items():
        e = dict(m)
        terms.append([[e.get(g, 0) for g in gens], str(c)])
    terms.sort()
    bjson = None if box is None else [[str(lo), str(hi)] for lo, hi in box]
    cert = {"format": checker.CERTIFICATE_FORMAT, "kind": "identity",
            "model": model_json(spec, meta),
            "target": {"variables": variables, "params": params, "terms": terms},
            "claim": checker.claim_text("identity", box=bjson), "verdict": "proved",
            "rung": rung, "trace": None}
    if bjson is not None:
        cert["box"] = bjson
    return rehash(cert)


def mutate(rng: random.Random, spec: dict) -> tuple[dict, str]:
    """A deep copy of spec with one weight changed (or one mask bit, or one readout entry)."""
    s = json_copy(spec)
    places = [("base", s["base"])] + [(f"coefficients[{i}]", a) for i, a in
                                      enumerate(s["coefficients"])]
    for k, b in enumerate(s["blocks"], 1):
        for key in ("wq", "wk", "wv", "wo"):
            places.append((f"block {k} {key}", b[key]))
        if b["ffn"] is not None:
            f = b["ffn"]
            places += [(f"block {k} w1", f["w1"]), (f"block {k} w2", f["w2"]),
                       (f"block {k} b1", [f["b1"]]), (f"block {k} b2", [f["b2"]])]
    places = [(n, m) for n, m in places if m and m[0]]
    r = rng.random()
    if r < 0.15 and any(b["mask"] is not None for b in s["blocks"]):
        k, b = rng.choice([(k, b) for k, b in enumerate(s["blocks"], 1) if b["mask"] is not None])
        t, j = rng.randrange(s["tokens"]), rng.randrange(s["tokens"])
        keys = set(b["mask"][t]) ^ {j}
        b["mask"][t] = sorted(keys)
        return s, f"block {k} mask bit ({t}, {j}) flipped"
    if r < 0.3 or not places:
        t, c = rng.randrange(s["tokens"]), rng.randrange(s["width"])
        s["readout"][t][c] = s["readout"][t][c] + rng.choice((1, -1, Fraction(1, 1000)))
        return s, f"readout[{t}][{c}] changed"
    name, m = rng.choice(places)
    i, j = rng.randrange(len(m)), rng.randrange(len(m[0]))
    m[i][j] = m[i][j] + rng.choice((1, -1, Fraction(1, 1000), 2))
    return s, f"{name}[{i}][{j}] changed"


def json_copy(spec):
    """A deep copy (Fractions and Polys are immutable values here)."""
    if isinstance(spec, dict):
        return {k: json_copy(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [json_copy(v) for v in spec]
    return spec


# ------------------------------------------------------------------ one case

def run_case(seed: int, claims_per_model: int = 3, with_checker: bool = True,
             points: int = 20) -> Outcome:
    """Generate model ``seed``, its true claim and near misses; decide each claim with
    every decider; return counts and disagreements."""
    rng = random.Random(seed)
    out = Outcome()
    spec, box = random_spec(rng)
    variables = spec["variables"]
    domain = box_text(box)
    meta = {}
    if box is not None and rng.random() < 0.2:  # the box recorded by the model
        meta, domain = {"box": domain}, None
    default_variables = rng.random() < 0.3  # check_model's default: model's, then others
    mjson = model_json(spec, meta)
    try:
        model = model_from_json(mjson)
    except ExactformerError as exc:
        out.count("model refused by the loader")
        out.notes.append(f"seed {seed}: loader refused a generated model: {exc}")
        return out
    reference = None if box is None else [(lo + hi) / 2 for lo, hi in box]
    P, ar = symbolic_output(spec, box, reference)
    info = {"irrational_softmax": ar.irrational_softmax,
            "uncertified_relu": ar.uncertified_relu, "used_box": ar.used_box}
    kind = kind_of(spec, box, info)
    has_params = bool(readout_names(spec))
    claims = [("true", P)]
    misses = near_misses(rng, P, variables, readout_names(spec))
    rng.shuffle(misses)
    claims += misses[:max(0, claims_per_model - 1)]
    for label, claim in claims:
        out.count("cases", f"kind {kind}", f"claim {label}" if label == "true" else "claim near-miss",
                  *(["readout params"] if has_params else []))
        text = claim.text()
        params = claim_params(claim, variables)
        if default_variables:
            params = [n for n in params if n != "zz"]
        j = judge(spec, claim, box, random.Random(seed * 7919 + len(text)), points=points)
        out.count(f"oracle {j.status}")

        def disagree(what, **extra):
            out.count("disagreements")
            out.disagreements.append(reproducer(what, mjson, text, variables, params, domain,
                                                seed=seed, kind=kind, claim_kind=label,
                                                check_model_variables=(
                                                    "default" if default_variables
                                                    else "given"),
                                                oracle=j.status, oracle_detail=j.detail,
                                                witness=_witness(j), **extra))

        verdict, res = _prover(model, text, None if default_variables else variables,
                               params, domain)
        out.count(f"prover {verdict}", f"{kind}: prover {verdict}")
        if verdict == "crash":
            disagree("prover crashed", traceback=res)
        elif verdict == "proved" and j.differs:
            disagree("prover PROVED a claim the oracle refutes", verdict=str(res.verdict))
        elif verdict == "refuted" and j.equal:
            disagree("prover REFUTED a claim the oracle decided true", verdict=str(res.verdict))
        elif verdict == "proved" or (verdict == "refuted" and j.differs):
            out.count("agreements")
        if verdict == "refuted":
            _check_witness(out, spec, claim, res.verdict, disagree)
        if verdict == "refuted" and j.status == "agrees":
            out.count("prover refuted, oracle found no difference")
        if verdict == "refused" and j.equal:
            out.count("prover refused an exactly decidable true claim")
        if verdict == "proved" and j.status == "agrees":
            out.count("prover proved, oracle sampled only")

        sz, sres = _sz(model, text, seed, params)
        out.count(f"schwartz-zippel {sz}")
        if sz == "crash":
            disagree("Schwartz-Zippel rung crashed", traceback=sres)
        elif sz == "holds" and j.differs:
            disagree("Schwartz-Zippel HOLDS for a claim the oracle refutes", line=sres.line())
        elif sz == "refuted" and j.equal:
            disagree("Schwartz-Zippel REFUTED a claim the oracle decided true",
                     line=sres.line())
        if sz == "refuted" and sres.witness is not None:
            _check_sz_witness(out, spec, claim, sres, disagree)
        if sz in ("holds", "refuted") and verdict in ("proved", "refuted") \
                and (sz == "holds") != (verdict == "proved") and box is None:
            disagree("Schwartz-Zippel and the exact rung disagree",
                     prover=verdict, schwartz_zippel=sz)

        if not with_checker:
            continue
        pieces = dict(res.verdict.evidence).get("pieces") if verdict == "proved" else None
        if pieces:  # a split-box proof: each piece is proved and certified on its own
            out.count("prover proved by splitting the box")
            for piece in pieces.split("; "):
                pv, pres = _prover(model, text, None if default_variables else variables,
                                   params, piece)
                if pv != "proved" or dict(pres.verdict.evidence).get("pieces"):
                    disagree("a piece of a split-box proof is not proved on its own",
                             piece=piece, verdict=pv)
                    continue
                status, msg = _check(certificate_for(pres, verify=False))
                out.count(f"checker on split pieces {status}")
                if status != "valid":
                    disagree("the checker does not confirm a piece of a split-box proof",
                             piece=piece, checker=msg)
        elif verdict == "proved":
            try:
                cert = certificate_for(res, trace=rng.random() < 0.3, verify=False)
            except CertificateError as exc:
                out.count("certificate refused by the writer")
                out.notes.append(f"seed {seed}: certificate_for refused: {exc}")
                cert = None
            except Exception:  # noqa: BLE001
                disagree("certificate writer crashed", traceback=traceback.format_exc())
                cert = None
            if cert is not None:
                status, msg = _check(cert)
                out.count(f"checker on proofs {status}")
                if status != "valid":
                    disagree("prover PROVED but the checker does not confirm its certificate",
                             checker=msg)
                _mutations(rng, out, spec, claim, box, cert, disagree, seed)
        # the oracle's own certificate for this claim (true or not)
        rung = checker.EXACT_ON_BOX if ar.used_box else checker.EXACT_IDENTITY
        ocert = oracle_certificate(spec, claim, box, rung)
        status, msg = _check(ocert)
        out.count(f"checker on oracle certificates {status}")
        if status == "crash":
            disagree("checker crashed on an oracle certificate", traceback=msg)
        elif status == "valid" and j.differs:
            disagree("checker says VALID for a claim the oracle refutes", checker=msg)
        elif status == "valid" and verdict == "refuted":
            disagree("checker VALID where the prover refuted", checker=msg,
                     prover=str(res.verdict))
        elif status != "valid" and j.equal and verdict == "proved":
            out.count("checker rejects an oracle certificate of a proved true claim")
            out.notes.append(f"seed {seed}: checker rejects oracle certificate: {msg}")
    return out


def _point_of(text: str) -> dict:
    """'(x=1/2, y=3)' -> {'x': Fraction(1, 2), 'y': Fraction(3)}."""
    body = text.strip()[1:-1].strip()
    out = {}
    for part in filter(None, (p.strip() for p in body.split(","))):
        name, value = part.split("=")
        out[name.strip()] = Fraction(value.strip())
    return out


def _check_witness(out, spec, claim: Poly, verdict, disagree) -> None:
    """A refutation's counterexample point: the oracle must compute the same model
    value there, and a value different from the claim."""
    ev = dict(verdict.evidence)
    if "counterexample" not in ev:
        return
    values = _point_of(ev["counterexample"])
    point = [values[v] for v in spec["variables"]]
    y, how = value_at(spec, point, values)
    stated = Fraction(ev["model value"])
    if how != "exact" or y != stated:
        disagree("the prover's counterexample states a model value the oracle does not "
                 "compute", point=ev["counterexample"], prover_value=str(stated),
                 oracle_value=str(y))
    elif y == claim.value(values):
        disagree("the prover's counterexample is not one: model == claim there",
                 point=ev["counterexample"])
    else:
        out.count("prover counterexamples confirmed by the oracle")


def _check_sz_witness(out, spec, claim: Poly, sres, disagree) -> None:
    values = dict(zip(sres.names, sres.points[-1]))
    for n in readout_names(spec) | claim.names():
        values.setdefault(n, Fraction(0))  # not a coordinate: absent from both sides
    point = [values[v] for v in spec["variables"]]
    y, how = value_at(spec, point, values)
    c = claim.value(values)
    if how != "exact" or y != sres.witness[0] or y == c:
        disagree("the Schwartz-Zippel witness does not check with the oracle",
                 point={n: str(v) for n, v in zip(sres.names, sres.points[-1])},
                 sz_model=str(sres.witness[0]), sz_claim=str(sres.witness[1]),
                 oracle_model=str(y), oracle_claim=str(c))
    else:
        out.count("schwartz-zippel witnesses confirmed by the oracle")


def _witness(j) -> dict | None:
    if j.witness is None:
        return None
    return {k: (str(v) if not isinstance(v, dict) else {n: str(x) for n, x in v.items()})
            for k, v in j.witness.items()}


def _mutations(rng, out, spec, claim, box, cert, disagree, seed):
    """The proved certificate with one weight changed, or its box widened."""
    for _ in range(2):
        mspec, where = mutate(rng, spec)
        mcert = dict(cert)
        mcert["model"] = model_json(mspec, cert["model"].get("meta"))
        mcert["trace"] = None
        mcert = rehash(mcert)
        status, msg = _check(mcert)
        mj = judge(mspec, claim, box, random.Random(seed + 17))
        out.count(f"mutated certificate {status}", f"mutated oracle {mj.status}")
        if status == "crash":
            disagree("checker crashed on a mutated certificate", traceback=msg, mutation=where)
        elif status == "valid" and mj.differs:
            disagree("checker VALID for a mutated certificate whose model differs",
                     mutation=where, mutated_model=model_json(mspec), checker=msg)
    if box is not None and cert.get("box") is not None:
        wide = [(lo - 3, hi + 3) for lo, hi in box]
        bjson = [[str(lo), str(hi)] for lo, hi in wide]
        wcert = dict(cert)
        wcert["box"] = bjson
        wcert["claim"] = checker.claim_text("identity", box=bjson)
        wcert = rehash(wcert)
        status, msg = _check(wcert)
        wj = judge(spec, claim, wide, random.Random(seed + 23))
        out.count(f"widened-box certificate {status}")
        if status == "crash":
            disagree("checker crashed on a widened-box certificate", traceback=msg)
        elif status == "valid" and wj.differs:
            disagree("checker VALID on a widened box where the oracle refutes",
                     box=bjson, checker=msg)


# ------------------------------------------------------------------ name discipline

NAME_KINDS = ("param-named-like-input", "readout-symbol-named-like-input",
              "readout-symbol-named-like-input-sz", "cyrillic-claim-variable",
              "cyrillic-claim-param", "checker-cyrillic-variable",
              "checker-cyrillic-beside-latin", "checker-param-named-like-input")


def name_case(seed: int, kind: str) -> dict:
    """One name-discipline case: the only right answer is a refusal.

    Returns {"kind", "outcome": "refused" | "proved" | "refuted" | "valid" | ...,
    "ok": bool, "reproducer": {...}}."""
    rng = random.Random(seed)
    for _ in range(50):
        spec, box = random_spec(rng, "polynomial")
        if spec["variables"]:
            break
    spec["blocks"] = spec["blocks"][:1]
    variables = list(spec["variables"])
    if kind.startswith("cyrillic") or kind.startswith("checker-cyrillic"):
        if "x" not in variables:
            spec["variables"][0] = "x"
        variables = list(spec["variables"])
    v = "x" if "x" in variables else rng.choice(variables)
    if kind.startswith("readout-symbol"):
        t, c = rng.randrange(spec["tokens"]), rng.randrange(spec["width"])
        spec["readout"][t][c] = Poly.var(v)
        spec["bias"] = Poly.var(v) * Poly.var(v)
    if kind.startswith("checker"):
        return _checker_name_case(spec, kind, rng)
    P, _ = symbolic_output(spec)
    if P.is_constant() or v not in P.names():
        P = P + Poly.var(v) * Poly.var(v)  # a claim that depends on the input
    mjson = model_json(spec)
    try:
        model = model_from_json(mjson)
    except ExactformerError as exc:  # refused when the model is read: also right
        return {"kind": kind, "outcome": "refused", "ok": True,
                "reproducer": reproducer(kind, mjson, "", variables, (), None, seed=seed,
                                         result=f"{type(exc).__name__}: {exc}")}
    text, cvars, params = P.text(), variables, claim_params(P, variables)
    if kind == "param-named-like-input":
        cvars = [u for u in variables if u != v]
        params = sorted(set(params) | {v})
    elif kind == "cyrillic-claim-variable":
        text = P.rename({"x": CYRILLIC["x"]}).text()
    elif kind == "cyrillic-claim-param":
        P = P + Poly.var(CYRILLIC["a"])
        text = P.text()
        params = sorted(set(params) | {CYRILLIC["a"]})
    if kind == "readout-symbol-named-like-input-sz":
        outcome, res = _sz(model, text, seed)
    else:
        outcome, res = _prover(model, text, cvars, params, None)
    rep = reproducer(kind, mjson, text, cvars, params, None, seed=seed,
                     result=res if isinstance(res, str) else str(getattr(res, "verdict", res)))
    return {"kind": kind, "outcome": outcome, "ok": outcome == "refused", "reproducer": rep}


def _checker_name_case(spec, kind, rng) -> dict:
    if kind == "checker-cyrillic-variable":
        spec["variables"][spec["variables"].index("x")] = CYRILLIC["x"]
    elif kind == "checker-cyrillic-beside-latin":
        spec["variables"].append(CYRILLIC["x"])
        spec["coefficients"].append(_matrix(rng, spec["tokens"], spec["width"], 0.5))
    P, ar = symbolic_output(spec)
    claim = P
    cert = oracle_certificate(spec, claim, None, checker.EXACT_IDENTITY)
    if kind == "checker-param-named-like-input":
        v = spec["variables"][0]
        cert["target"]["params"] = cert["target"]["params"] + [v]
        for term in cert["target"]["terms"]:
            term[0].append(0)
        cert = rehash(cert)
    status, msg = _check(cert)
    rep = {"what": kind, "certificate": cert, "checker": msg}
    # a certificate of a true identity, but with a name that is not allowed: not VALID
    return {"kind": kind, "outcome": status, "ok": status in ("malformed", "invalid"),
            "reproducer": rep}


def dump(rep: dict) -> str:
    return json.dumps(rep, indent=1, sort_keys=True, ensure_ascii=False, default=str)
