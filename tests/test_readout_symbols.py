"""A readout symbol may never stand for an input: otherwise the readout alone could
compute the target and the blocks would prove nothing."""
from __future__ import annotations

import json
import re

import pytest

from exactformer import ModelFormatError, checker
from exactformer.formats.certificate import certificate_from_theorem
from exactformer.cli import main
from exactformer.formats.model_json import loads


def _trivial_model(readout: str, variables=("x",), coefficient_entries=()) -> dict:
    return {"format": "exactformer-model/1", "variables": list(variables), "tokens": 1,
            "width": 1,
            "embedding": {"base": {"shape": [1, 1], "entries": [[0, 0, "1"]]},
                          "coefficients": [{"shape": [1, 1], "entries": list(coefficient_entries)}
                                           for _ in variables]},
            "blocks": [], "meta": {},
            "readout": {"shape": [1, 1], "entries": [[0, 0, readout]], "bias": "0"}}


@pytest.mark.parametrize("readout, claim", [("x**5", "x**5"), ("y", "x*y"), ("2*x + 1", "2*x + 1")])
def test_check_model_refuses_readout_symbols_named_like_variables(tmp_path, capsys, readout, claim):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_trivial_model(readout)))
    assert main(["check-model", str(path), "--claim", claim]) == 2
    err = capsys.readouterr().err
    assert re.search(r"'[xy]' is (an input of the model|a variable of the claim) and is a "
                     r"symbol of the model's readout", err), err
    assert len(err.strip().splitlines()) == 1


def test_readout_parameters_that_are_not_variables_still_work(tmp_path, capsys):
    path = tmp_path / "m.json"
    path.write_text(json.dumps(_trivial_model("a")))
    assert main(["check-model", str(path), "--claim", "a", "--params", "a"]) == 0


def test_duplicate_variable_names_are_refused():
    doc = _trivial_model("1", variables=("x", "x"))
    with pytest.raises(ModelFormatError, match="distinct"):
        loads(json.dumps(doc))


def test_checker_rejects_a_vacuous_theorem_certificate():
    """Zero blocks and the readout c_0 + c_1*x + c_2*x**2: the old checker said VALID."""
    from exactformer.theorem import prove_theorem
    # a genuine theorem certificate, then its model swapped for the vacuous one
    good = certificate_from_theorem(prove_theorem(1, 2))
    x = good["model"]["variables"][0]
    cert = dict(good)
    cert["model"] = _trivial_model(f"c_0 + c_1*{x} + c_2*{x}**2", variables=(x,))
    cert.pop("sha256", None)
    cert["sha256"] = checker.content_hash(cert)
    report = checker.check_bytes(json.dumps(cert).encode())
    assert not report.valid
    assert "as a coefficient" in report.message
