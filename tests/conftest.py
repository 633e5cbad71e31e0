"""Hypothesis profiles for the suite (ci by default)."""
import os

from hypothesis import HealthCheck, settings

settings.register_profile("ci", max_examples=40, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", max_examples=15, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------- every --json output
# Each JSON object the command line prints during the suite (in-process runs through
# exactformer.cli.main) is validated against docs/json-schema/<subcommand>.schema.json,
# or error.schema.json for an error: a drifting key fails the test that printed it.
import json as _json
from functools import lru_cache as _lru_cache
from pathlib import Path as _Path

import pytest as _pytest

_SCHEMAS = _Path(__file__).resolve().parent.parent / "docs" / "json-schema"


@_lru_cache(maxsize=None)
def _validator(name: str):
    import jsonschema
    schema = _json.loads((_SCHEMAS / f"{name}.schema.json").read_text())
    return jsonschema.Draft202012Validator(schema)


@_pytest.fixture(autouse=True)
def _validate_every_json_output(monkeypatch):
    import exactformer.cli as cli
    seen: list[list[str]] = []
    real_run, real_emit = cli._run, cli.emit_json

    def run(argv):
        seen.append(list(argv))
        return real_run(argv)

    def emit(obj, code):
        argv = seen[-1] if seen else []
        name = next((a for a in argv if a in cli.EXAMPLES), None)
        full = {**obj, "exit_code": code}
        schema = "error" if obj.get("verdict") == "error" or name is None else name
        errors = sorted(_validator(schema).iter_errors(full), key=str)
        assert not errors, (f"--json output of {argv[:6]} does not follow "
                            f"{schema}.schema.json: {[e.message for e in errors[:3]]}")
        return real_emit(obj, code)

    monkeypatch.setattr(cli, "_run", run)
    monkeypatch.setattr(cli, "emit_json", emit)
    yield
