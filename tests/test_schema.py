"""The JSON Schema printed by `decision schema` accepts the shipped profiles and rejects
what the loader rejects, so editor validation tells analysts the truth."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.conftest import DOMAINS_DIR


@pytest.fixture(scope="module")
def validator(rulebook):
    from decision.inputs.profiles import profile_json_schema

    schema = profile_json_schema(rulebook)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("path", sorted(DOMAINS_DIR.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_profiles_satisfy_the_schema(validator, path):
    data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))
    assert list(validator.iter_errors(data)) == []


@pytest.mark.parametrize(
    "profile",
    [
        {"id": "x", "name": "X", "scores": {"sciense": 4}},
        {"id": "x", "name": "X", "scores": {"science": 6}},
        {"id": "x", "name": "X", "scores": {"science": "+++"}},
        {"id": "x", "name": "X", "scores": {"science": {"valeu": 4}}},
        {"id": "X Y", "name": "X"},
        {"name": "X"},
        {"id": "x", "name": "X", "colour": "red"},
    ],
)
def test_schema_rejects_what_the_loader_rejects(validator, profile):
    assert list(validator.iter_errors(profile))


def test_schema_accepts_a_domains_list(validator):
    assert not list(validator.iter_errors({"domains": [{"id": "a", "name": "A", "scores": {"science": "++"}}]}))
