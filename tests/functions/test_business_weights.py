"""Business weights (defaults until the organization saves its own, replaced by PUT, admins
only, validated, per organization) and the reference data of GET /api/reference."""
from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from shared.catalog import ACUITY_LEVELS, PAYER_TYPES, SERVICES
from shared.models.business_weights import DEFAULTS
from tests.factories import at, audit_rows, count, fields_named, header, new_client, tenant

DEFAULT_VALUES = DEFAULTS.model_dump()


@pytest.fixture(scope="module")
def quiet(database, app):
    """An organization with a user of each role that never saves weights: every PUT it sees is
    refused, so it keeps the defaults."""
    return tenant(new_client(app), "Weights quiet")


@pytest.fixture
def still_default(quiet, admin_sql):
    """Asserts, after the test, that `quiet` stored no weights and no audit row."""
    audited = count(admin_sql, "audit_logs", quiet.id)
    yield
    assert count(admin_sql, "business_weights", quiet.id) == 0
    assert count(admin_sql, "audit_logs", quiet.id) == audited


def weights(**changes) -> dict:
    """A valid PUT body, different from the defaults."""
    body = {
        "factor_weights": {"margin": 40, "census": 10, "payer": 20, "clinical": 25, "risk": 5},
        "target_margin_pct": 12.5, "margin_floor_pct": -2, "target_occupancy_pct": 95,
        "payer_preferences": {"medicare_a": 100, "medicaid": 20, "private_pay": 75},
        "accept_threshold": 75.5, "review_threshold": 55,
    }
    body.update(changes)
    return body


def as_decimals(body: dict) -> dict:
    """The weights of a response (or a PUT body) with every number as a Decimal."""
    def convert(value):
        if isinstance(value, dict):
            return {k: convert(v) for k, v in value.items()}
        return Decimal(str(value))
    keys = ("factor_weights", "target_margin_pct", "margin_floor_pct", "target_occupancy_pct",
            "payer_preferences", "accept_threshold", "review_threshold")
    # Optional in a PUT body: 100 (all coinsurance collected) when left out.
    return {**{k: convert(body[k]) for k in keys},
            "coinsurance_collection_pct": convert(body.get("coinsurance_collection_pct", 100))}


# --- defaults -----------------------------------------------------------------------------

def test_a_new_organization_gets_the_defaults(client, org):
    response = client.get("/api/business-weights", token=org.token)

    assert response.status == 200, response.body
    body = response.json()
    assert body["is_default"] is True
    assert body["updated_at"] is None
    assert as_decimals(body) == DEFAULT_VALUES
    assert as_decimals(body)["factor_weights"] == {
        "margin": Decimal(35), "census": Decimal(20), "payer": Decimal(15),
        "clinical": Decimal(20), "risk": Decimal(10)}
    assert set(body["payer_preferences"]) == set(PAYER_TYPES)


@pytest.mark.parametrize("role", ["viewer", "coordinator", "admin"])
def test_every_role_reads_the_weights(client, quiet, role):
    response = client.get("/api/business-weights", token=quiet.tokens[role])

    assert response.status == 200
    assert response.json()["is_default"] is True


# --- replace ------------------------------------------------------------------------------

def test_an_admin_put_replaces_the_weights_and_is_audited(client, org, make_user, admin_sql):
    token = make_user(org, "admin")
    admin_id = client.get("/api/me", token=token).json()["user"]["id"]

    response = client.request("PUT", "/api/business-weights", json=weights(), token=token)

    assert response.status == 200, response.body
    body = response.json()
    assert body["is_default"] is False
    assert body["updated_at"]
    assert as_decimals(body) == as_decimals(weights())
    assert client.get("/api/business-weights", token=org.token).json() == body
    rows = audit_rows(admin_sql, "business_weights", organization_id=org.id)
    assert [(r["action"], r["object_id"], r["user_id"], r["request_id"]) for r in rows] == [
        ("business_weights.update", None, admin_id, header(response, "X-Request-Id"))]
    assert as_decimals(rows[0]["changes"]) == as_decimals(weights())


def test_a_second_put_replaces_everything_the_first_saved(client, org, admin_sql):
    first = client.request("PUT", "/api/business-weights", json=weights(), token=org.token)
    assert first.status == 200, first.body
    second_body = weights(payer_preferences={"va": 10}, accept_threshold=60,
                          review_threshold=60)

    second = client.request("PUT", "/api/business-weights", json=second_body, token=org.token)

    assert second.status == 200, second.body
    fetched = client.get("/api/business-weights", token=org.token).json()
    assert as_decimals(fetched) == as_decimals(second_body)
    assert set(fetched["payer_preferences"]) == {"va"}
    assert at(fetched["updated_at"]) >= at(first.json()["updated_at"])
    assert count(admin_sql, "business_weights", org.id) == 1
    assert [r["action"] for r in audit_rows(admin_sql, "business_weights",
                                            organization_id=org.id)] == [
        "business_weights.update"] * 2


@pytest.mark.parametrize("role", ["viewer", "coordinator"])
def test_readers_cannot_change_the_weights(client, quiet, still_default, role):
    response = client.request("PUT", "/api/business-weights", json=weights(),
                              token=quiet.tokens[role])

    assert response.status == 403, response.body
    assert response.mimetype == "application/problem+json"
    assert client.get("/api/business-weights",
                      token=quiet.token).json()["is_default"] is True


# --- validation ---------------------------------------------------------------------------

def test_a_review_threshold_above_accept_is_named(client, quiet, still_default):
    response = client.request("PUT", "/api/business-weights", token=quiet.token,
                              json=weights(accept_threshold=60, review_threshold=60.5))

    assert fields_named(response) == {"review_threshold"}


def test_all_zero_factor_weights_are_refused(client, quiet, still_default):
    zero = {"margin": 0, "census": 0, "payer": 0, "clinical": 0, "risk": 0}

    response = client.request("PUT", "/api/business-weights", json=weights(factor_weights=zero),
                              token=quiet.token)

    named = fields_named(response)
    assert len(named) == 1 and named.pop().startswith("factor_weights")


@pytest.mark.parametrize("change, field", [
    ({"target_margin_pct": 0}, "target_margin_pct"),
    ({"target_margin_pct": -5}, "target_margin_pct"),
    ({"target_occupancy_pct": 0}, "target_occupancy_pct"),
    ({"target_occupancy_pct": 101}, "target_occupancy_pct"),
    ({"margin_floor_pct": -101}, "margin_floor_pct"),
    ({"accept_threshold": 100.1}, "accept_threshold"),
    ({"review_threshold": -1}, "review_threshold"),
    ({"factor_weights": {"margin": 101, "census": 0, "payer": 0, "clinical": 0, "risk": 0}},
     "factor_weights.margin"),
    ({"factor_weights": {"margin": 50, "census": 50}}, "factor_weights.payer"),
    ({"payer_preferences": {"crypto": 50}}, "payer_preferences.crypto.[key]"),
    ({"payer_preferences": {"va": 101}}, "payer_preferences.va"),
    ({"surprise": 1}, "surprise"),
])
def test_a_wrong_field_is_named_and_nothing_is_stored(client, quiet, still_default, change,
                                                      field):
    response = client.request("PUT", "/api/business-weights", json=weights(**change),
                              token=quiet.token)

    named = fields_named(response)
    assert field in named
    assert all(name.startswith(field.split(".")[0]) for name in named)


def test_every_missing_field_is_named(client, quiet, still_default):
    response = client.request("PUT", "/api/business-weights", json={}, token=quiet.token)

    assert fields_named(response) == {"factor_weights", "target_margin_pct",
                                      "margin_floor_pct", "target_occupancy_pct",
                                      "payer_preferences", "accept_threshold",
                                      "review_threshold"}


# --- organizations ------------------------------------------------------------------------

def test_an_organization_never_sees_anothers_weights(client, org, other_org, admin_sql):
    saved = client.request("PUT", "/api/business-weights", json=weights(), token=org.token)
    assert saved.status == 200

    theirs = client.get("/api/business-weights", token=other_org.token).json()

    assert theirs["is_default"] is True
    assert as_decimals(theirs) == DEFAULT_VALUES
    mine_too = client.request("PUT", "/api/business-weights", token=other_org.token,
                              json=weights(target_margin_pct=30))
    assert mine_too.status == 200
    assert as_decimals(client.get("/api/business-weights", token=org.token).json()) == (
        as_decimals(weights()))
    assert count(admin_sql, "business_weights", org.id) == 1
    assert count(admin_sql, "business_weights", other_org.id) == 1
    assert len(audit_rows(admin_sql, "business_weights", organization_id=org.id)) == 1


def test_weights_need_a_session(client):
    assert client.get("/api/business-weights").status == 401
    assert client.request("PUT", "/api/business-weights", json=weights()).status == 401


# --- reference ----------------------------------------------------------------------------

def by_group(body: dict) -> dict[tuple[str, str], Decimal]:
    return {(g["component"], g["group"]): Decimal(g["cmi"]) for g in body["pdpm_groups"]}


def test_reference_lists_the_catalogs_and_the_latest_pdpm_year(client, quiet):
    response = client.get("/api/reference", token=quiet.tokens["viewer"])

    assert response.status == 200, response.body
    body = response.json()
    assert [o["code"] for o in body["acuity_levels"]] == ["low", "moderate", "high", "complex"]
    assert {o["code"]: o["label"] for o in body["acuity_levels"]} == ACUITY_LEVELS
    assert {o["code"]: o["label"] for o in body["services"]} == SERVICES
    assert len(body["payer_types"]) == 9
    assert {o["code"]: o["label"] for o in body["payer_types"]} == PAYER_TYPES
    assert body["pdpm_fiscal_years"] == list(range(2020, 2028))
    # The newest loaded year, FY2027, is the proposed rule's; its CMIs are FY2026's.
    assert body["pdpm_fiscal_year"] == 2027
    assert body["pdpm_fiscal_year_status"] == {**{str(y): "final" for y in range(2020, 2027)},
                                               "2027": "proposed"}
    assert len(body["pdpm_groups"]) == 75
    assert Counter(g["component"] for g in body["pdpm_groups"]) == {
        "PT": 16, "OT": 16, "SLP": 12, "NURSING": 25, "NTA": 6}
    groups = by_group(body)
    assert groups[("NURSING", "ES3")] == Decimal("3.84")
    assert groups[("PT", "TA")] == Decimal("1.45")
    es3 = next(g for g in body["pdpm_groups"] if g["group"] == "ES3")
    assert es3["hipps_char"] == "A"


def test_reference_gives_the_pdpm_groups_of_the_year_asked(client, quiet):
    response = client.get("/api/reference?fiscal_year=2021", token=quiet.token)

    assert response.status == 200, response.body
    body = response.json()
    assert body["pdpm_fiscal_year"] == 2021
    assert body["pdpm_fiscal_years"] == list(range(2020, 2028))
    assert len(body["pdpm_groups"]) == 75
    groups = by_group(body)
    assert groups[("NURSING", "ES3")] == Decimal("4.06")
    assert groups[("PT", "TA")] == Decimal("1.53")
    assert groups[("NTA", "NA")] == Decimal("3.24")


@pytest.mark.parametrize("year", ["1999", "2031", "twenty"])
def test_reference_refuses_a_year_without_data(client, quiet, year):
    response = client.get(f"/api/reference?fiscal_year={year}", token=quiet.token)

    assert fields_named(response) == {"fiscal_year"}
    assert response.json()["errors"][0]["location"] == "query"


def test_reference_needs_a_session(client):
    response = client.get("/api/reference")

    assert response.status == 401
    assert response.mimetype == "application/problem+json"
    assert {k.lower(): v for k, v in response.headers.items()}["www-authenticate"] == "Bearer"
