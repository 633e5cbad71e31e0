"""Write the JSON Schemas of ``exactformer SUBCOMMAND --json`` (draft 2020-12) into this
folder: ``python docs/json-schema/generate.py``.

Every key that several subcommands print is defined ONCE, in :data:`SHARED` (one type,
one meaning); a subcommand only lists which keys it prints (:data:`COMMANDS`) and
defines the keys no other subcommand has. The test suite checks that the committed
files equal this script's output and validates every ``--json`` object against them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

DRAFT = "https://json-schema.org/draft/2020-12/schema"
HERE = Path(__file__).resolve().parent

STRING = {"type": "string"}
INTEGER = {"type": "integer", "minimum": 0}
NUMBER = {"type": "number"}
BOOLEAN = {"type": "boolean"}
NAMES = {"type": "array", "items": STRING}
STRINGS_BY_NAME = {"type": "object", "additionalProperties": STRING}
#: An exact rational written as text: an integer or p/q.
RATIONAL = {"type": "string", "pattern": r"^-?[0-9]+(/[0-9]+)?$"}
#: A decimal upper bound, rounded up: "8.07e-4", "0".
DECIMAL_UP = {"type": "string", "pattern": r"^(0|[0-9](\.[0-9]+)?e[-+]?[0-9]+)$"}
#: A point: each coordinate's name and its exact rational value.
POINT = {"type": "object", "additionalProperties": RATIONAL}

#: verdict -> the exit codes it goes with (the exit code is the process exit code).
VERDICTS = {
    "proved": [0],                   # an exact proof (or a valid certificate)
    "refuted": [1],                  # an exact or rigorous refutation (or an invalid certificate)
    "probabilistic-agreement": [5],  # Schwartz-Zippel agreement: not a proof
    "numerical-agreement": [5],      # mpmath agreement: not a proof
    "certified": [0],                # float-error: a rigorous error bound
    "written": [0],                  # export: a checked certificate written as Coq
    "error": [2, 3, 4, 130],         # bad input, a limit, an internal contradiction, ^C
}

RUNG = {"enum": ["exact polynomial identity", "exact on a box (sign certificates)",
                 "Schwartz-Zippel (probabilistic)",
                 "numerical evidence (mpmath, not a proof)"]}

#: The keys of more than one subcommand: ONE definition each.
SHARED: dict[str, dict] = {
    "verdict": {"enum": list(VERDICTS), "description": "what was decided (see README.md)"},
    "exit_code": {"enum": sorted({c for cs in VERDICTS.values() for c in cs}),
                  "description": "the process exit code, always equal to it"},
    "error": {**STRING, "description": "the one line printed on stderr"},
    "rung": {**RUNG, "description": "the rung of the verification ladder that decided"},
    "detail": {**STRING, "description": "one line on how the rung decided"},
    "evidence": {**STRINGS_BY_NAME, "description": "what the verdict rests on (box, sign "
                                                   "certificates, softmax weights, ...)"},
    "difference": {"type": "object", "required": ["monomial", "model", "claim"],
                   "properties": {"monomial": STRING, "model": STRING, "claim": STRING},
                   "additionalProperties": False,
                   "description": "the first monomial whose coefficients differ"},
    "target": {**STRING, "description": "the polynomial decided, in canonical form"},
    "claim": {**STRING, "description": "the claimed function or polynomial (--claim)"},
    "statement": {**STRING, "description": "the universally quantified statement asserted"},
    "variables": {**NAMES, "description": "the input variables, in order"},
    "params": {**NAMES, "description": "symbolic coefficients (--params)"},
    "constants": {**NAMES, "description": "named constants kept exact (pi, sqrt(2), ...)"},
    "note": {**STRING, "description": "how the target's constants were treated"},
    "dimension": {**INTEGER, "description": "d, the number of input variables"},
    "degree": {**INTEGER, "description": "n, the total degree"},
    "construction": {**STRING, "description": "the construction of the fixed blocks"},
    "tokens": {**INTEGER, "description": "N, the number of tokens"},
    "width": {**INTEGER, "description": "the residual width"},
    "blocks": {**INTEGER, "description": "the number of transformer blocks"},
    "free_parameters": {**INTEGER, "description": "the readout's free numbers"},
    "parameters": {"type": "object", "required": ["fixed", "free"],
                   "description": "counts of the model's numbers (fixed, free, by part)"},
    "polynomial": {**STRING, "description": "the polynomial found (readable by prove)"},
    "seconds": {"type": "number", "minimum": 0, "description": "wall-clock time"},
    "domain": {**STRING, "description": "the box, as text ('[-1,1]^2', '[0,1]x[0,2]')"},
    "model": {**STRING, "description": "the model file that was read"},
    "certificate": {"oneOf": [{"type": "object", "required": ["file"],
                               "properties": {"file": STRING,
                                              "sha256": {"type": "string",
                                                         "pattern": "^[0-9a-f]{64}$"}},
                               "additionalProperties": False},
                              {"type": "null"}],
                    "description": "a certificate file {file, sha256}; null: none written"},
    "error_bound": {**DECIMAL_UP, "description": "a certified upper bound on the error, "
                                                 "decimal, rounded UP"},
    "error_bound_method": {**STRING, "description": "how error_bound was certified"},
    "sampled_max_error": {**NUMBER, "description": "the largest error seen at sampled "
                                                   "points: evidence, never a bound"},
    "reconstruction": {**STRING, "description": "how the weights of a float file were read"},
    "float_reading": {**STRING, "description": "floats read as exact dyadic rationals, or "
                                               "rounded (labelled)"},
    "verdict_about": {**STRING, "description": "the verdict is about ROUNDED weights"},
    "decided_by": {**STRING, "description": "which rung decided when --fallback was given"},
    "fallback_reason": {**STRING, "description": "why the exact rungs could not decide"},
    "format": {"enum": ["onnx"], "description": "the model file's format, when not JSON"},
    "nodes": INTEGER, "opset": INTEGER,
    "batch_sizes": {"type": "array", "items": INTEGER},
    # the sampling rungs (never a proof)
    "exact_proof": {"const": False, "description": "false: this is not an exact proof"},
    "probabilistic": {"const": True}, "numerical": {"const": True},
    "assumption": STRING, "point_derivation": STRING,
    "seed": {"type": ["string", "null"], "pattern": "^[0-9]+$",
             "description": "the seed of the points (repeat with --seed)"},
    "points": {"type": "array", "items": POINT, "description": "the exact points used"},
    "witness": {"type": "object", "required": ["point"],
                "description": "the point where model and claim differ"},
    "error_probability": {"type": "number", "minimum": 0, "maximum": 1,
                          "description": "an upper bound on the probability that "
                                         "agreement is wrong"},
    "error_probability_formula": {**STRING, "description": "that bound as a formula"},
    "degree_bound": INTEGER, "sample_size": INTEGER,
    "dps": INTEGER, "point_count": INTEGER, "agreement_digits": INTEGER,
    "max_enclosure_width": STRING, "max_difference_bound": STRING, "not_a_proof": STRING,
}

#: The keys of prove's result (api.ProofResult.summary), shared by the commands that
#: prove a target.
PROOF = ["verdict", "exit_code", "rung", "target", "variables", "dimension", "degree",
         "construction", "tokens", "width", "blocks", "free_parameters", "parameters",
         "seconds"]
PROOF_OPTIONAL = ["detail", "difference", "evidence", "params", "constants", "note",
                  "certificate"]
PROBABILISTIC = ["exact_proof", "probabilistic", "error_probability",
                 "error_probability_formula", "degree_bound", "sample_size", "seed",
                 "point_derivation", "assumption", "points", "witness"]
NUMERICAL = ["exact_proof", "numerical", "dps", "point_count", "seed", "point_derivation",
             "assumption", "max_enclosure_width", "max_difference_bound",
             "agreement_digits", "not_a_proof", "points", "witness", "decided_by",
             "fallback_reason", "certificate"]
FLOAT_FILE = ["reconstruction", "float_reading", "verdict_about"]
ONNX = ["format", "nodes", "opset", "batch_sizes", "domain"]

#: name -> (verdicts, required keys, optional keys, keys of this subcommand alone).
COMMANDS: dict[str, tuple[list[str], list[str], list[str], dict[str, dict]]] = {
    "prove": (["proved", "refuted", "probabilistic-agreement", "numerical-agreement"],
              ["verdict", "exit_code", "rung", "target", "variables", "seconds"],
              PROOF + PROOF_OPTIONAL + PROBABILISTIC + NUMERICAL, {}),
    "check-model": (["proved", "refuted", "probabilistic-agreement", "numerical-agreement"],
                    ["verdict", "exit_code", "rung", "model", "seconds"],
                    PROOF + PROOF_OPTIONAL + PROBABILISTIC + NUMERICAL + FLOAT_FILE + ONNX
                    + ["claim"], {}),
    "theorem": (["proved", "refuted"],
                ["verdict", "exit_code", "rung", "statement", "dimension", "degree",
                 "construction", "tokens", "width", "blocks", "free_parameters",
                 "parameters", "seconds"],
                ["detail", "evidence", "certificate"], {}),
    "demo": (["proved", "refuted"], ["verdict", "exit_code", "examples", "seconds"], [],
             {"examples": {"type": "array", "minItems": 1,
                           "items": {"type": "object", "required": ["example", "verdict"],
                                     "properties": {"example": STRING,
                                                    "verdict": {"enum": ["proved",
                                                                         "refuted"]}}},
                           "description": "one object per example (prove's keys)"}}),
    "check": (["proved", "refuted"], ["verdict", "exit_code", "certificate", "message"],
              ["kind", "statement", "rung", "variables", "terms", "tokens", "width",
               "blocks", "dimension", "degree", "domain", "seconds", "trace_layers"],
              {"message": {**STRING, "description": "the checker's line, as in the text "
                                                    "output (VALID: ... / INVALID: ...)"},
               "kind": {"enum": ["identity", "theorem"]},
               "terms": INTEGER,
               "trace_layers": {**INTEGER, "description": "layers of the recorded trace a "
                                                          "--trace certificate holds"}}),
    "export": (["written"],
               ["verdict", "exit_code", "certificate", "coq", "lines", "command", "route"], [],
               {"coq": {**STRING, "description": "the Coq file written"},
                "lines": INTEGER, "command": {**STRING, "description": "how to check it"},
                "route": {"enum": ["generic", "unrolled"]}}),
    "explain": (["proved", "refuted"], PROOF + ["written", "consistent"], PROOF_OPTIONAL,
                {"written": {"type": "object",
                             "description": "the report files written (markdown, html, "
                                            "figures)"},
                 "consistent": {**BOOLEAN, "description": "the narrative agrees with the "
                                                          "proof"}}),
    "export-model": (["proved"], PROOF + ["exported", "dtype", "export_note"], PROOF_OPTIONAL,
                     {"exported": {**STRINGS_BY_NAME, "description": "kind -> file written"},
                      "dtype": {"enum": ["float64", "float32"]},
                      "export_note": {**STRING, "description": "the export is numerical"}}),
    "approx": (["proved", "refuted"],
               ["verdict", "exit_code", "rung", "function", "variables", "domain", "degree",
                "tokens", "width", "blocks", "free_parameters", "approximant", "polynomial",
                "error_bound", "error_bound_method", "sampled_max_error",
                "sampled_max_error_note", "seconds"],
               ["detail", "difference", "plot", "plot_rows"],
               {"function": STRING, "approximant": STRING, "sampled_max_error_note": STRING,
                "plot": {**STRING, "description": "the plot file written"},
                "plot_rows": {"type": "array", "items": {
                    "type": "object", "required": ["degree", "error_bound",
                                                   "sampled_max_error"],
                    "properties": {"degree": SHARED["degree"],
                                   "error_bound": SHARED["error_bound"],
                                   "sampled_max_error": SHARED["sampled_max_error"]},
                    "additionalProperties": False}}}),
    "fit": (["proved", "refuted"],
            ["verdict", "exit_code", "rung", "variables", "response", "rows", "degree",
             "tokens", "width", "blocks", "free_parameters", "method", "exact", "rank",
             "polynomial", "residual_sum_of_squares", "max_abs_residual", "interpolates",
             "seconds"],
            ["detail", "difference"],
            {"response": STRING, "rows": INTEGER, "rank": INTEGER,
             "method": {**STRING, "description": "the least-squares method"},
             "exact": {**BOOLEAN, "description": "exact rational least squares"},
             "residual_sum_of_squares": {**STRING, "description": "exact rational, or a "
                                                                  "float's digits"},
             "max_abs_residual": STRING, "interpolates": BOOLEAN}),
    "float-error": (["certified"],
                    ["verdict", "exit_code", "error_bound", "error_bound_exact",
                     "error_bound_method", "forward_error_bound", "exact_gap_bound",
                     "exact_model", "sampled_max_error", "sampled_points", "precision",
                     "domain", "claim", "variables", "model", "weights", "seconds"],
                    ["error_bound_note", "forward_error_bound_exact",
                     "exact_gap_bound_exact", "sampled_worst_point", "sampled_note",
                     "bound_over_sampled", "onnxruntime", "input_model", "layer_errors",
                     "softmax_rows_with_several_keys"] + FLOAT_FILE,
                    {"error_bound_exact": {**RATIONAL, "description": "error_bound exactly"},
                     "error_bound_note": STRING,
                     "forward_error_bound": DECIMAL_UP, "forward_error_bound_exact": RATIONAL,
                     "exact_gap_bound": DECIMAL_UP, "exact_gap_bound_exact": RATIONAL,
                     "exact_model": {"type": "object",
                                     "required": ["verdict", "rung", "equals_claim"],
                                     "properties": {"verdict": {"enum": ["proved",
                                                                         "refuted"]},
                                                    "rung": RUNG, "equals_claim": BOOLEAN},
                                     "additionalProperties": False},
                     "sampled_points": INTEGER, "sampled_worst_point": POINT,
                     "sampled_note": STRING,
                     "bound_over_sampled": {"type": ["number", "null"]},
                     "onnxruntime": STRING, "precision": {"enum": ["float32", "float64"]},
                     "input_model": STRING, "weights": STRING,
                     "layer_errors": {"type": "array", "items": DECIMAL_UP},
                     "softmax_rows_with_several_keys": INTEGER}),
}


def exit_rules(verdicts: list[str]) -> list[dict]:
    """exit_code is the one that goes with the verdict."""
    return [{"if": {"properties": {"verdict": {"const": v}}},
             "then": {"properties": {"exit_code": {"enum": VERDICTS[v]}}}}
            for v in verdicts if len(verdicts) > 1]


def error_schema() -> dict:
    return {"type": "object", "required": ["verdict", "exit_code", "error"],
            "properties": {"verdict": {"const": "error"},
                           "exit_code": {"enum": VERDICTS["error"],
                                         "description": SHARED["exit_code"]["description"]},
                           "error": SHARED["error"]},
            "additionalProperties": False}


def command_schema(name: str) -> dict:
    verdicts, required, optional, own = COMMANDS[name]
    clash = set(own) & set(SHARED)
    if clash:
        raise SystemExit(f"{name}: {sorted(clash)} are shared keys: define them in SHARED")
    keys = dict.fromkeys(required + optional + list(own))
    props = {k: own.get(k, SHARED.get(k)) for k in keys}
    missing = [k for k, v in props.items() if v is None]
    if missing:
        raise SystemExit(f"{name}: no definition for {missing}")
    props["verdict"] = {**SHARED["verdict"], "enum": verdicts}
    props["exit_code"] = {**SHARED["exit_code"],
                          "enum": sorted({c for v in verdicts for c in VERDICTS[v]})}
    result = {"type": "object", "required": required, "properties": props,
              "additionalProperties": False}
    rules = exit_rules(verdicts)
    if rules:
        result["allOf"] = rules
    return {"$schema": DRAFT, "title": f"exactformer {name} --json",
            "description": f"The one JSON object `exactformer {name} --json` prints on "
                           "stdout: the result, or the error object (verdict \"error\").",
            "oneOf": [{"$ref": "#/$defs/error"}, {"$ref": "#/$defs/result"}],
            "$defs": {"error": error_schema(), "result": result}}


def schemas() -> dict[str, dict]:
    """File name -> schema."""
    out = {f"{name}.schema.json": command_schema(name) for name in COMMANDS}
    out["error.schema.json"] = {"$schema": DRAFT, "title": "exactformer --json error",
                                "description": "The object every subcommand prints with "
                                               "--json when it fails (exit 2, 3, 4 or 130).",
                                **error_schema()}
    return out


def text(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    for name, schema in schemas().items():
        (HERE / name).write_text(text(schema), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
