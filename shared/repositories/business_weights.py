"""SQL for business weights: one row per organization, once it saves its own."""
from __future__ import annotations

import uuid

from psycopg2.extras import Json
from pydantic_core import to_jsonable_python

from shared.repositories.configuration_versions import bumping

COLUMNS = ("factor_weights, target_margin_pct, margin_floor_pct, target_occupancy_pct, "
           "payer_preferences, accept_threshold, review_threshold, coinsurance_collection_pct, "
           "updated_at")


def get(cur, *, organization_id: uuid.UUID) -> dict | None:
    cur.execute(*get_statement(organization_id=organization_id))
    return cur.fetchone()


def get_statement(*, organization_id: uuid.UUID) -> tuple[str, dict]:
    """get's (query, parameters), to read together with others."""
    return (f"SELECT {COLUMNS} FROM business_weights"
            " WHERE organization_id = %(organization_id)s",
            {"organization_id": organization_id})


def upsert(cur, *, organization_id: uuid.UUID, values: dict) -> dict:
    bound = {**values, "factor_weights": Json(to_jsonable_python(values["factor_weights"])),
             "payer_preferences": Json(to_jsonable_python(values["payer_preferences"]))}
    cur.execute(bumping(f"""
        INSERT INTO business_weights (organization_id, factor_weights, target_margin_pct,
                                      margin_floor_pct, target_occupancy_pct, payer_preferences,
                                      accept_threshold, review_threshold,
                                      coinsurance_collection_pct)
        VALUES (%(organization_id)s, %(factor_weights)s, %(target_margin_pct)s,
                %(margin_floor_pct)s, %(target_occupancy_pct)s, %(payer_preferences)s,
                %(accept_threshold)s, %(review_threshold)s, %(coinsurance_collection_pct)s)
        ON CONFLICT (organization_id) DO UPDATE SET
            factor_weights = EXCLUDED.factor_weights,
            target_margin_pct = EXCLUDED.target_margin_pct,
            margin_floor_pct = EXCLUDED.margin_floor_pct,
            target_occupancy_pct = EXCLUDED.target_occupancy_pct,
            payer_preferences = EXCLUDED.payer_preferences,
            accept_threshold = EXCLUDED.accept_threshold,
            review_threshold = EXCLUDED.review_threshold,
            coinsurance_collection_pct = EXCLUDED.coinsurance_collection_pct,
            updated_at = now()
        RETURNING {COLUMNS}
    """), {"organization_id": organization_id, **bound})
    return cur.fetchone()
