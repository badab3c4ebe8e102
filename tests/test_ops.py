"""The operator's commands (python -m ops) against the test database, as the functions' role:
each change writes an audit row naming the operator."""
from __future__ import annotations

import pytest

from ops.__main__ import main
from tests.factories import ok


def audit_actions(admin_sql, org):
    return admin_sql("SELECT action, request_id, changes FROM audit_logs WHERE organization_id = %s"
                     " AND request_id LIKE 'operator:%%' ORDER BY occurred_at", (str(org.id),))


def test_list_shows_plan_standing_and_usage(make_org, capsys):
    org = make_org(tier=None)

    assert main(["list"]) == 0

    line = next(l for l in capsys.readouterr().out.splitlines() if l.startswith(org.subdomain))
    assert line.split()[1:5] == ["trial", "trialing", "0/20", "0/1"]


def test_enterprise_with_contract_limits(client, make_org, admin_sql, capsys):
    org = make_org(tier=None)

    code = main(["--operator", "alice", "enterprise", org.subdomain, "--facilities", "3"])

    assert code == 0 and "Enterprise, active" in capsys.readouterr().out
    current = ok(client.get("/api/usage", token=org.token))["current"]
    assert current["facilities"]["limit"] == 3 and current["admissions"]["limit"] is None
    [row] = audit_actions(admin_sql, org)
    assert row["action"] == "organization.enterprise" and row["request_id"] == "operator:alice"
    assert row["changes"]["operator"] == "alice" and row["changes"]["tier"] == "enterprise"


def test_extend_a_trial_even_after_it_ended(client, make_org, admin_sql):
    org = make_org(tier=None)
    admin_sql("UPDATE organizations SET trial_ends_at = now() - interval '1 day',"
              " status = 'read_only', read_only_reason = 'trial_ended' WHERE id = %s",
              (str(org.id),))

    assert main(["--operator", "bob", "extend-trial", org.subdomain, "--days", "7"]) == 0

    standing = ok(client.get("/api/me", token=org.token))["standing"]
    assert standing["state"] == "trialing" and standing["days_left"] == 7
    assert audit_actions(admin_sql, org)[0]["action"] == "organization.trial_extend"


def test_only_a_trial_is_extended(org, capsys):
    assert main(["extend-trial", org.subdomain, "--days", "7"]) == 1
    assert "Only a trial can be extended" in capsys.readouterr().err


def test_suspend_and_reactivate(client, make_org, admin_sql):
    org = make_org(tier=None)

    assert main(["--operator", "carol", "suspend", org.subdomain, "--reason", "fraud check"]) == 0
    suspended = ok(client.get("/api/me", token=org.token))["standing"]
    refused = client.post("/api/facilities", json={"name": "X", "bed_count": 5}, token=org.token)
    assert main(["--operator", "carol", "reactivate", org.subdomain]) == 0

    assert suspended["state"] == "read_only" and suspended["reason"] == "suspended"
    assert refused.status == 402 and "Contact support" in refused.json()["detail"]
    assert ok(client.get("/api/me", token=org.token))["standing"]["state"] == "trialing"
    assert [r["action"] for r in audit_actions(admin_sql, org)] == [
        "organization.suspend", "organization.reactivate"]
    assert admin_sql("SELECT count(*) AS n FROM email_outbox WHERE organization_id = %s"
                     " AND template = 'read_only'", (str(org.id),))[0]["n"] == 1


def test_an_unknown_subdomain_is_said_plainly(capsys):
    assert main(["suspend", "no-such-org-here", "--reason", "x"]) == 1
    assert "No organization has the subdomain" in capsys.readouterr().err


@pytest.mark.parametrize("args", [["enterprise", "x", "--users", "0"],
                                  ["extend-trial", "x", "--days", "-1"], ["frobnicate"]])
def test_bad_arguments_are_refused_before_anything_runs(args):
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 2
