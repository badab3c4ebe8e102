"""Admissions: evaluate a referral, save it with a case number, decide it, compare placements."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

from shared import audit, paging
from shared.errors import Conflict, Unprocessable
from shared.models.admissions import (AdmissionIn, AdmissionListQuery, AdmissionPublic,
                                      AdmissionSummary, ComparisonOut, DecisionIn, Evaluation,
                                      Placement, ReferralIn)
from shared.models.common import Page
from shared.repositories import admissions, facilities
from shared.services import lifecycle, limits
from shared.services.business_weights import get_weights
from shared.services.evaluations import configuration, evaluate, load_payer, stamped
from shared.tenancy import Actor

KIND = "admission"
RECOMMENDATION_ORDER = {"accept": 0, "review": 1, "decline": 2}
# pending -> accepted | declined; accepted -> admitted | not_admitted.
TRANSITIONS = {"accepted": "pending", "declined": "pending", "admitted": "accepted",
               "not_admitted": "accepted"}


def evaluate_referral(cur, organization_id: uuid.UUID, data: AdmissionIn,
                      versions: tuple[int, int] | None = None) -> Evaluation:
    """The evaluation alone; nothing is saved. `versions`: the caller's configuration versions
    (the configuration from the cache when they match)."""
    data = stamped(data)
    read = configuration(cur, organization_id, data, versions)
    return evaluate(cur, organization_id, read["facility"], read["payer"], data, read=read)[0]


def case_number(subdomain: str, year: int, sequence: int) -> str:
    """DEMO-2026-000123: the organization, the year and a sequence, nothing of the patient."""
    return f"{subdomain.upper()}-{year}-{sequence:06d}"


def create_admission(cur, actor: Actor, data: AdmissionIn,
                     versions: tuple[int, int] | None = None) -> AdmissionPublic:
    """Evaluate and save, with the next case number of the organization's year. `versions`: as
    evaluate_referral's."""
    data = stamped(data)
    read = configuration(cur, actor.organization_id, data, versions)  # cached, or a round trip
    facility, payer = read["facility"], read["payer"]
    evaluation, rate = evaluate(cur, actor.organization_id, facility, payer, data, read=read)
    now = datetime.now(timezone.utc)
    # The month's count, the limit and the case number: one statement, one round trip.
    organization = limits.count_admission(cur, actor.organization_id, case_year=now.year)
    sequence = organization["case_sequence"]
    groups = data.pdpm_groups.model_dump() if data.pdpm_groups else None
    if groups is None and evaluation.revenue.pdpm and data.hipps_code:
        groups = evaluation.revenue.pdpm.groups
    admission_id = uuid.uuid4()
    number = case_number(organization["subdomain"], now.year, sequence)
    # The audit row and the admission: one round trip (the id is made here so the row names it).
    audited = audit.statement(
        actor, action="admission.create", object_type=KIND, object_id=admission_id,
        changes={"case_number": number, "facility_id": facility["id"], "payer_id": payer["id"],
                 "recommendation": evaluation.recommendation, "score": evaluation.score})
    row = admissions.insert(cur, organization_id=actor.organization_id, before=audited, values={
        "id": admission_id, "case_number": number,
        "facility_id": facility["id"], "payer_id": payer["id"], "rate_id": rate["id"],
        "length_of_stay_days": data.length_of_stay_days, "acuity": data.acuity,
        "required_services": data.required_services,
        "medication_cost_per_day": data.medication_cost_per_day, "pdpm_groups": groups,
        "referral_received_at": data.referral_received_at, "note": data.note,
        "revenue_total": evaluation.revenue.total, "cost_total": evaluation.cost.total,
        "margin": evaluation.margin, "margin_pct": evaluation.margin_pct,
        "score": evaluation.score, "recommendation": evaluation.recommendation,
        "evaluation": evaluation.model_dump_json(), "created_by": actor.user_id,
    })
    return AdmissionPublic.model_validate(
        {**row, "evaluation": evaluation, "facility_name": facility["name"],
         "payer_name": payer["name"]})


def list_admissions(cur, organization_id: uuid.UUID,
                    query: AdmissionListQuery) -> Page[AdmissionSummary]:
    rows = admissions.list_page(
        cur, organization_id=organization_id, facility_id=query.facility_id,
        payer_id=query.payer_id, recommendation=query.recommendation, status=query.status,
        received_from=query.received_from, received_to=query.received_to,
        after=paging.decode_cursor(query.cursor, (datetime.fromisoformat, uuid.UUID)),
        limit=query.limit)
    rows, next_cursor = paging.page(rows, query.limit, ("referral_received_at", "id"))
    return Page[AdmissionSummary](items=rows, next_cursor=next_cursor)


def get_admission(cur, organization_id: uuid.UUID, admission_id: uuid.UUID) -> AdmissionPublic:
    return AdmissionPublic.model_validate(
        lifecycle.fetch(cur, admissions, organization_id, admission_id, KIND))


def decide(cur, actor: Actor, admission_id: uuid.UUID, data: DecisionIn) -> AdmissionPublic:
    """Record a decision or an outcome, in order; who and when are kept."""
    current = lifecycle.fetch(cur, admissions, actor.organization_id, admission_id, KIND,
                              for_update=True)
    if current["status"] != TRANSITIONS[data.decision]:
        raise Conflict(f"This admission is {current['status']}; it can become {data.decision} "
                       f"only when {TRANSITIONS[data.decision]}.")
    now = datetime.now(timezone.utc)
    record = admissions.decide if data.decision in ("accepted", "declined") \
        else admissions.record_outcome
    row = record(cur, organization_id=actor.organization_id, id=admission_id,
                 status=data.decision, reason=data.reason_code, user_id=actor.user_id, at=now)
    audit.record(cur, actor, action=f"admission.{data.decision}", object_type=KIND,
                 object_id=admission_id,
                 changes={"status": data.decision, "reason_code": data.reason_code})
    return AdmissionPublic.model_validate(row)


# An admin may undo a decision or an outcome for this long after it was recorded: long enough
# to catch a wrong click or a changed mind the same shift, short enough that the dashboard's
# months and turnarounds do not move once people have read them.
REOPEN_WINDOW = timedelta(hours=24)
REOPENED_TO = {"accepted": "pending", "declined": "pending", "admitted": "accepted",
               "not_admitted": "accepted"}


def reopen(cur, actor: Actor, admission_id: uuid.UUID) -> AdmissionPublic:
    """Undo the last decision or outcome, within REOPEN_WINDOW of it; audited with what it was."""
    current = lifecycle.fetch(cur, admissions, actor.organization_id, admission_id, KIND,
                              for_update=True)
    if current["status"] not in REOPENED_TO:
        raise Conflict("This admission is pending: there is no decision to undo.")
    recorded_at = current["outcome_at"] if current["status"] in ("admitted", "not_admitted") \
        else current["decided_at"]
    if datetime.now(timezone.utc) - recorded_at > REOPEN_WINDOW:
        raise Conflict(f"This admission was {current['status']} more than "
                       f"{REOPEN_WINDOW.total_seconds() // 3600:.0f} hours ago; it can no longer "
                       "be reopened.")
    row = admissions.reopen(cur, organization_id=actor.organization_id, id=admission_id,
                            status=REOPENED_TO[current["status"]])
    audit.record(cur, actor, action="admission.reopen", object_type=KIND, object_id=admission_id,
                 changes={"status": row["status"], "undone": current["status"],
                          "reason_code": current["decision_reason"]})
    return AdmissionPublic.model_validate(row)


def compare(cur, organization_id: uuid.UUID, data: ReferralIn) -> ComparisonOut:
    """The same referral at every active facility, best placement first; where one cannot be
    evaluated (no rate, no cost model), it says why."""
    data = stamped(data)
    payer = load_payer(cur, organization_id, data.payer_id)
    weights = get_weights(cur, organization_id)
    evaluated, unavailable = [], []
    for facility in facilities.list_active(cur, organization_id=organization_id):
        named = {"id": facility["id"], "name": facility["name"]}
        try:
            evaluation, _ = evaluate(cur, organization_id, facility, payer, data, weights)
        except Unprocessable as exc:
            if exc.errors:  # the referral itself is wrong, wherever it goes
                raise
            unavailable.append(Placement(facility=named, rank=None, evaluation=None,
                                         unavailable=exc.detail))
            continue
        evaluated.append((facility, evaluation))
    evaluated.sort(key=lambda pair: (RECOMMENDATION_ORDER[pair[1].recommendation],
                                     -pair[1].score, -pair[1].margin, pair[0]["name"]))
    placements = [Placement(facility={"id": f["id"], "name": f["name"]}, rank=rank,
                            evaluation=e, unavailable=None)
                  for rank, (f, e) in enumerate(evaluated, start=1)]
    return ComparisonOut(placements=placements + unavailable)
