"""Each benchmark of `make bench` run small: a few requests, tiny data. Not a measurement (no
ratio is asserted): `make bench` must not break unnoticed when the code it follows changes
(it broke once when the pool changed). Each runs on a throwaway database of its own, as
`python -m bench` runs it."""
from __future__ import annotations

import pytest

from bench import (admissions_create, cold_start, facilities_get, legacy_move, limit_check,
                   tenant_scale)
from bench.database import throwaway_database

FEW = {"WARMUP": 2, "BLOCKS": 2, "PER_BLOCK": 2}


@pytest.fixture
def small(monkeypatch):
    """Every benchmark's request counts cut to a few."""
    for module in (facilities_get, admissions_create, limit_check, tenant_scale):
        for name, value in FEW.items():
            monkeypatch.setattr(module, name, value)
    monkeypatch.setattr(facilities_get, "ORGANIZATIONS", 3)
    monkeypatch.setattr(facilities_get, "FACILITIES_PER_ORG", 2)
    monkeypatch.setattr(tenant_scale, "OTHER_ORGANIZATIONS", 3)
    monkeypatch.setattr(tenant_scale, "OWN_ADMISSIONS", 6)
    monkeypatch.setattr(tenant_scale, "THROUGH_API", 2)
    monkeypatch.setattr(cold_start, "RUNS", 1)


def _on_database(run, *extra):
    with throwaway_database() as (target, _):
        return run(target, *extra)


def test_facility_get_counts_its_round_trips_on_loopback_and_through_the_proxy(small):
    result = _on_database(facilities_get.run)
    assert result.round_trips == 3  # BEGIN + settings + session lookup; the SELECT; COMMIT
    assert result.statements > result.round_trips
    assert result.floor_us > 0 and result.floor_network_us > result.floor_us


def test_admission_create_runs_both_referrals(small):
    results = _on_database(admissions_create.run)
    assert [r.name.split()[0] for r in results] == ["Medicare", "Medicaid"]
    for result in results:
        assert result.floor_round_trips == 4
        # The configuration from the cache: the floor's round trips; read, one more
        assert result.endpoint_round_trips == result.floor_round_trips
        assert result.miss_round_trips == result.floor_round_trips + 1
        assert result.miss_us > 0 and result.miss_floor_us > 0
        assert result.endpoint_network_us > 0 and result.floor_network_us > 0


def test_limit_check_runs(small):
    result = _on_database(limit_check.run)
    assert result.with_us > 0 and result.without_us > 0 and "usage_periods" in result.plan


def test_tenant_scale_runs(small):
    result = _on_database(tenant_scale.run, 20)
    assert result.other_admissions == 20 and result.plan_summary


def test_legacy_move_runs_and_verifies():
    result = _on_database(legacy_move.run, 20)
    assert result.verified


def test_cold_start_runs_and_keeps_the_rule(small):
    result = _on_database(cold_start.run)
    assert result.app.import_ms > 0 and result.heavy_loaded == []
    assert result.app.request_ms > 0 and result.bare.request_ms > 0
