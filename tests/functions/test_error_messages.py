"""A 422 says what is wrong in words a user can act on, at the field's location: never
pydantic's wording ("Value error, ...", "Input should be ...") nor a regular expression
(tester, last UX item)."""
from __future__ import annotations

import pytest

from tests.factories import (configured_facility, is_plain, new_client, new_org, org_payers,
                             referral)

EVALUATE = "/api/admissions/evaluate"


@pytest.fixture(scope="module")
def site(database, app):
    client = new_client(app)
    org = new_org(client, "Plain words")
    place = configured_facility(client, org, org_payers(client, org), name="Gum Tree")
    return client, org, place


CASES = [
    ({"hipps_code": "KBGEX"}, "hipps_code",
     "must be a HIPPS code: 4 letters and an optional 0 or 1, such as KBGE1"),
    ({"prior_case_number": "#1"}, "prior_case_number",
     "must be a case number such as DEMO-2026-000123"),
    ({"pdpm_groups": {"pt_ot": "XX", "slp": "SB", "nursing": "HBC1", "nta": "NE"}},
     "pdpm_groups.pt_ot", "must be a PT/OT group, TA to TP"),
    ({"note": "ref 123.45.6789"}, "note",
     "looks like it holds a Social Security number; notes must not identify the patient"),
    ({"length_of_stay_days": 0}, "length_of_stay_days", "must be at least 1"),
    ({"length_of_stay_days": 400}, "length_of_stay_days", "must be at most 365"),
    ({"length_of_stay_days": "ten"}, "length_of_stay_days", "must be a whole number"),
    ({"acuity": "severe"}, "acuity", "must be one of: low, moderate, high, complex"),
    ({"payer_id": "nope"}, "payer_id", "must be an id (a UUID)"),
    ({"referral_received_at": "2026-06-01T10:00:00"}, "referral_received_at",
     "must say its time zone, such as 2026-06-01T10:00:00Z or 2026-06-01T10:00:00-05:00"),
    ({"referral_received_at": "June 1"}, "referral_received_at",
     "must be a date and time such as 2026-06-01T10:00:00Z"),
    ({"expected_admission_date": "June 1"}, "expected_admission_date",
     "must be a date written YYYY-MM-DD"),
    ({"medication_cost_per_day": "12.345"}, "medication_cost_per_day",
     "must have at most 2 decimal places"),
    ({"hiv_aids": "yes"}, "hiv_aids", "must be true or false"),
    ({"required_services": "iv_therapy"}, "required_services", "must be a list"),
    ({"colour": "red"}, "colour", "is not a field of this request"),
    ({"note": "x" * 281}, "note", "must be at most 280 characters"),
]


@pytest.mark.parametrize("change, field, message", CASES, ids=[c[1] for c in CASES])
def test_each_mistake_is_said_in_plain_words_at_its_field(site, change, field, message):
    client, org, place = site
    response = client.post(EVALUATE, json={**referral(place, "medicare_a"), **change},
                           token=org.token)
    assert response.status == 422, response.body
    errors = response.json()["errors"]
    assert [(e["location"], e["field"], e["message"]) for e in errors] == [
        ("body", field, message)]


def test_a_missing_field_is_required(site):
    client, org, place = site
    body = referral(place, "medicare_a")
    del body["acuity"]
    errors = client.post(EVALUATE, json=body, token=org.token).json()["errors"]
    assert [(e["field"], e["message"]) for e in errors] == [("acuity", "is required")]


@pytest.mark.parametrize("path, body, field, message", [
    ("/api/facilities", {"name": "Oak", "bed_count": 10, "state": "ohio"}, "state",
     "must be a two-letter state or territory code in capitals, such as OH"),
    ("/api/facilities", {"name": "Oak", "bed_count": "ten", "state": "OH"}, "bed_count",
     "must be a whole number"),
    ("/api/organization", {"primary_color": "blue"}, "primary_color",
     "must be a colour written #rrggbb, such as #1f5f8b"),
])
def test_other_resources_say_it_plainly_too(site, path, body, field, message):
    client, org, _ = site
    method = "PATCH" if path == "/api/organization" else "POST"
    response = client.request(method, path, json=body, token=org.token)
    assert response.status == 422, response.body
    assert (field, message) in [(e["field"], e["message"]) for e in response.json()["errors"]]


def test_a_query_parameter_is_said_plainly_at_its_location(site):
    client, org, _ = site
    response = client.get("/api/audit-log?action=Not+An+Action", token=org.token)
    assert response.status == 422, response.body
    errors = response.json()["errors"]
    assert [(e["location"], e["field"]) for e in errors] == [("query", "action")]
    assert is_plain(errors[0]["message"]), errors[0]["message"]


def patterns_of(annotation_metadata) -> list[str]:
    found = []
    for item in annotation_metadata:
        if getattr(item, "pattern", None):
            found.append(item.pattern)
        found += patterns_of(getattr(item, "metadata", []) or [])
    return found


def test_every_pattern_a_request_checks_has_its_rule_in_words():
    import importlib
    import pkgutil
    import typing

    import shared.models
    from shared.models.common import PATTERN_RULES, _Text

    checked = []
    for module in pkgutil.iter_modules(shared.models.__path__):
        for value in vars(importlib.import_module(f"shared.models.{module.name}")).values():
            if isinstance(value, type) and issubclass(value, _Text):
                for field in value.model_fields.values():
                    annotations = [field.annotation, *typing.get_args(field.annotation)]
                    nested = [m for a in annotations for m in getattr(a, "__metadata__", ())]
                    checked += patterns_of([*field.metadata, *nested])
    assert len(checked) >= 8      # HIPPS, the PDPM groups, case number, state, colour, audit
    assert [p for p in checked if p not in PATTERN_RULES] == []
