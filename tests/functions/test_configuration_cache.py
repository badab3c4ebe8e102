"""Evaluations keep the configuration they read per process, keyed by the organization's
configuration version and the reference data's (read with the session): a write to anything an
evaluation reads is seen by the very next evaluation, another organization is never served from
the cache, and the cache is bounded."""
from __future__ import annotations

import copy
import json
import re
from decimal import Decimal as D
from pathlib import Path

import pytest

from shared import db
from shared.repositories import configuration_versions
from shared.services import evaluations
from shared.models.admissions import AdmissionIn
from shared.tenancy import caller_lookup, caller_of
from tests.factories import (configured_facility, created, fields_named, new_client, new_org, ok,
                             org_payers, referral)

EVALUATE = "/api/admissions/evaluate"
ADMISSIONS = "/api/admissions"


@pytest.fixture
def clinic(database, app):
    """A fresh organization with a configured facility, its cache filled by one evaluation."""
    client = new_client(app)
    org = new_org(client, "Cache")
    place = configured_facility(client, org, org_payers(client, org), name="Birch Court")
    return client, org, place


def _evaluate(client, org, body):
    return client.post(EVALUATE, json=body, token=org.token)


# (what is written, the write, what the next evaluation shows of it, what it shows after)
def _rename_facility(client, org, place):
    ok(client.patch(f"/api/facilities/{place.id}", json={"name": "Birch Court East"},
                    token=org.token))


def _rename_payer(client, org, place):
    ok(client.patch(f"/api/payers/{place.payer_id('medicaid')}", json={"name": "Buckeye Medicaid"},
                    token=org.token))


def _raise_per_diem(client, org, place):
    ok(client.patch(f"/api/rates/{place.rates['medicaid']['id']}", json={"per_diem": 300},
                    token=org.token))


def _raise_fixed_cost(client, org, place):
    ok(client.patch(f"/api/cost-models/{place.cost_model['id']}",
                    json={"fixed_daily_cost": 199}, token=org.token))


def _put_weights(client, org, place):
    body = ok(client.get("/api/business-weights", token=org.token))
    body = {k: v for k, v in body.items() if k not in ("updated_at", "is_default")}
    body["factor_weights"] = {"margin": 40, "census": 10, "payer": 20, "clinical": 25,
                              "risk": 5}
    ok(client.put("/api/business-weights", json=body, token=org.token))


CHANGES = {
    "facility renamed": (_rename_facility, lambda e: e["facility"]["name"], "Birch Court East"),
    "payer renamed": (_rename_payer, lambda e: e["payer"]["name"], "Buckeye Medicaid"),
    "rate changed": (_raise_per_diem, lambda e: D(str(e["revenue"]["per_day_average"])), D(300)),
    "cost model changed": (_raise_fixed_cost,
                           lambda e: D(str(e["cost"]["breakdown"]["fixed"])), D(199)),
    "business weights saved": (_put_weights,
                               lambda e: {f["name"]: D(str(f["weight"])) for f in e["factors"]},
                               {"margin": D(40), "census": D(10), "payer": D(20),
                                "clinical": D(25), "risk": D(5)}),
}


@pytest.mark.parametrize("change", CHANGES)
def test_a_change_to_the_configuration_is_seen_by_the_next_evaluation(clinic, change):
    client, org, place = clinic
    write, seen, expected = CHANGES[change]
    body = referral(place)
    before = ok(_evaluate(client, org, body))
    assert ok(_evaluate(client, org, body)) == before  # from the cache now
    assert seen(before) != expected

    write(client, org, place)

    after = ok(_evaluate(client, org, body))
    assert seen(after) == expected
    assert seen(created(client.post(ADMISSIONS, json=body, token=org.token))["evaluation"]) \
        == expected


# (what is taken away, the write, the field or words of the 422 that follows)
REMOVALS = {
    "facility deactivated": (lambda c, o, p: c.delete(f"/api/facilities/{p.id}", token=o.token),
                             {"facility_id"}),
    "payer deactivated": (lambda c, o, p: c.delete(f"/api/payers/{p.payer_id('medicaid')}",
                                                   token=o.token), {"payer_id"}),
    "rate deactivated": (lambda c, o, p: c.delete(f"/api/rates/{p.rates['medicaid']['id']}",
                                                  token=o.token), "No rate of"),
    "cost model deactivated": (lambda c, o, p: c.delete(
        f"/api/cost-models/{p.cost_model['id']}", token=o.token), "no active cost model"),
}


@pytest.mark.parametrize("removal", REMOVALS)
def test_a_removal_is_seen_by_the_next_evaluation_and_an_addition_after_it(clinic, removal):
    client, org, place = clinic
    write, refused = REMOVALS[removal]
    body = referral(place)
    ok(_evaluate(client, org, body))

    assert write(client, org, place).status == 204

    response = _evaluate(client, org, body)
    if isinstance(refused, set):
        assert fields_named(response) == refused
    else:
        assert response.status == 422 and refused in response.json()["detail"], response.body
    if removal == "rate deactivated":  # an insert bumps too: a new rate prices the next one
        created(client.post("/api/rates", json={
            "facility_id": place.id, "payer_id": place.payer_id("medicaid"),
            "method": "per_diem", "per_diem": 280, "effective_from": "2025-01-01"},
            token=org.token))
        assert D(str(ok(_evaluate(client, org, body))["revenue"]["per_day_average"])) == D(280)
    if removal == "cost model deactivated":
        created(client.post("/api/cost-models", json={
            **{k: v for k, v in place.cost_model.items()
               if k not in ("id", "is_active", "created_at", "updated_at")},
            "fixed_daily_cost": 177}, token=org.token))
        assert D(str(ok(_evaluate(client, org, body))["cost"]["breakdown"]["fixed"])) == D(177)


def test_every_writer_of_the_configuration_tables_bumps_the_version(clinic, admin_sql):
    """The cache is as safe as this: each write the API makes to what an evaluation reads
    moves the organization's version (the write and the bump are one statement)."""
    client, org, place = clinic

    def version():
        return admin_sql("SELECT configuration_version FROM organizations WHERE id = %s",
                         (str(org.id),))[0]["configuration_version"]

    for write, _, _ in CHANGES.values():
        before = version()
        write(client, org, place)
        assert version() == before + 1, write.__name__
    for write, _ in REMOVALS.values():
        before = version()
        write(client, org, place)
        assert version() == before + 1


def test_another_organization_is_never_served_from_the_cache(database, app, admin_sql):
    client = new_client(app)
    a, b = new_org(client, "Cache A"), new_org(client, "Cache B")
    place_a = configured_facility(client, a, org_payers(client, a))
    org_payers(client, b)
    # The same versions in both: only the organization in the key tells them apart.
    admin_sql("UPDATE organizations SET configuration_version = 7 WHERE id IN (%s, %s)",
              (str(a.id), str(b.id)))
    body = referral(place_a)
    ok(_evaluate(client, a, body))  # cached for A

    assert "facility_id" in fields_named(_evaluate(client, b, body))
    assert client.post(ADMISSIONS, json=body, token=b.token).status == 422


def test_the_versions_are_read_with_the_session_in_the_requests_transaction(clinic, admin_sql):
    """A write committed while a request is in flight: the request may keep what it read under
    the version it started with, and the next request, seeing the new version, reads afresh."""
    client, org, place = clinic
    body = referral(place)
    ok(_evaluate(client, org, body))
    data = evaluations.stamped(AdmissionIn.model_validate_json(json.dumps(body)))
    with db.tenant_transaction(org.id, then=caller_lookup(org.id, org.token)) as cur:
        caller = caller_of(cur, organization_id=org.id, row=cur.fetchone())
        stored = admin_sql("SELECT configuration_version FROM organizations WHERE id = %s",
                           (str(org.id),))[0]["configuration_version"]
        reference = admin_sql("SELECT version FROM reference_version")[0]["version"]
        assert caller.configuration_versions == (stored, reference)

        _rename_facility(client, org, place)  # committed by another transaction

        read = evaluations.configuration(cur, org.id, data, caller.configuration_versions)
        assert read["facility"]["name"] == "Birch Court"  # the cache's, at the old version
    assert ok(_evaluate(client, org, body))["facility"]["name"] == "Birch Court East"


def test_a_change_to_the_reference_data_is_seen_by_the_next_evaluation(clinic, admin_sql):
    client, org, place = clinic
    body = referral(place, "medicare_a", hipps_code="KBGE1", length_of_stay_days=30)
    before = ok(_evaluate(client, org, body))
    amounts = admin_sql("SELECT calendar_year, daily_amount FROM snf_coinsurance")
    try:
        # As the operator's load of a year does (local/pdpm_year.py): data, then the bump.
        admin_sql("UPDATE snf_coinsurance SET daily_amount = daily_amount + 10")
        admin_sql("UPDATE reference_version SET version = version + 1")
        after = ok(_evaluate(client, org, body))
    finally:
        for row in amounts:
            admin_sql("UPDATE snf_coinsurance SET daily_amount = %s WHERE calendar_year = %s",
                      (row["daily_amount"], row["calendar_year"]))
        admin_sql("UPDATE reference_version SET version = version + 1")
    assert after["revenue"]["net_total"] != before["revenue"]["net_total"]


def test_a_change_to_the_pdpm_tables_is_seen_by_the_next_evaluation(clinic, admin_sql):
    """The base rates and case-mix indexes are kept per process for the reference version: a
    corrected table, then the bump, prices the next stay with the correction."""
    client, org, place = clinic
    body = referral(place, "medicare_a", hipps_code="KBGE1", length_of_stay_days=30)
    before = ok(_evaluate(client, org, body))
    try:
        admin_sql("UPDATE pdpm_base_rates SET rate = rate + 1, qrp_reduced_rate = "
                  "qrp_reduced_rate + 1")
        admin_sql("UPDATE reference_version SET version = version + 1")
        after = ok(_evaluate(client, org, body))
    finally:
        admin_sql("UPDATE pdpm_base_rates SET rate = rate - 1, qrp_reduced_rate = "
                  "qrp_reduced_rate - 1")
        admin_sql("UPDATE reference_version SET version = version + 1")
    assert D(str(after["revenue"]["total"])) > D(str(before["revenue"]["total"]))
    assert ok(_evaluate(client, org, body))["revenue"] == before["revenue"]
    assert {version for version, _, _ in evaluations._tables} == {
        admin_sql("SELECT version FROM reference_version")[0]["version"]}  # older ones dropped


def test_what_the_cache_holds_is_not_changed_by_the_evaluations_that_use_it(clinic):
    """Every request of the process shares the cached rows: an evaluation that changed one (a
    rate's amounts turned to text, a list appended to) would change the next one's answer."""
    client, org, place = clinic
    medicare = referral(place, "medicare_a", hipps_code="KBGE1", length_of_stay_days=110,
                        then_payer_id=place.payer_id("medicaid"))
    ok(_evaluate(client, org, medicare))
    ok(_evaluate(client, org, referral(place)))

    def ours():
        return {key: copy.deepcopy(value) for key, value in evaluations.configurations._entries
                .items() if key[0] == org.id}
    before = ours()
    assert len(before) == 2
    for body in (medicare, referral(place), referral(place, acuity="high")):
        ok(_evaluate(client, org, body))
        created(client.post(ADMISSIONS, json=body, token=org.token))
    assert ours() == before


def test_the_cache_is_bounded_least_recently_used_first_out():
    cache = evaluations.Configurations(size=3)
    for n in range(3):
        cache.put(("org", n), {"n": n})
    assert cache.get(("org", 0)) == {"n": 0}  # now the most recently used
    cache.put(("org", 3), {"n": 3})
    cache.put(("org", 4), {"n": 4})

    assert len(cache) == 3
    assert cache.get(("org", 1)) is None and cache.get(("org", 2)) is None
    assert [cache.get(("org", n)) for n in (0, 3, 4)] == [{"n": 0}, {"n": 3}, {"n": 4}]
    assert evaluations.configurations.size == 2048


_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+(" +
                    "|".join(configuration_versions.TABLES) + r")\b", re.IGNORECASE)
# Each module that writes those tables by name, and why its writes bump the version. The
# generic writes of facilities, payers, rates and cost models (shared/repositories/records.py,
# `{self.name}`) bump in `bumping`, which the tests above exercise through the API.
KNOWN_WRITERS = {
    "shared/repositories/business_weights.py": "upsert: bumping(...)",
    "legacy/tables.py": "legacy/migrate.py _copy_range bumps after each chunk's inserts",
    "legacy/generate.py": "writes the legacy deployment's own database, not this one",
}


def test_no_other_code_writes_what_an_evaluation_reads():
    """A new writer of the configuration tables must bump the version (or the cache serves the
    old configuration): it fails here until it is listed above with how it does."""
    root = Path(__file__).resolve().parents[2]
    writers = {str(path.relative_to(root)) for folder in ("shared", "functions", "local", "legacy", "ops")
               for path in (root / folder).rglob("*.py") if _WRITE.search(path.read_text())}
    assert writers == set(KNOWN_WRITERS)
    assert "bumping(" in (root / "shared/repositories/business_weights.py").read_text()
    assert "configuration_versions.bump(" in (root / "legacy/migrate.py").read_text()


def test_bumping_refuses_a_write_with_its_own_ctes():
    """Two WITH clauses would not parse: the caller joins its CTEs to the bump's instead."""
    with pytest.raises(ValueError):
        configuration_versions.bumping(" with moved AS (SELECT 1) UPDATE rates SET name = 'x'")
    assert configuration_versions.bumping("UPDATE rates SET name = 'x'").startswith("WITH ")
