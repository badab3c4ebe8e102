-- Admission decisions: payers, rates, cost models, business weights, admissions.
-- The tenancy rules of 0001 hold for every table here.

CREATE TABLE payers (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    payer_type text NOT NULL CHECK (payer_type IN ('medicare_a', 'medicare_advantage', 'medicaid',
        'managed_medicaid', 'commercial', 'private_pay', 'va', 'hospice', 'other')),
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX payers_organization_active_name_key
    ON payers (organization_id, lower(name)) WHERE is_active;
CREATE INDEX payers_organization_name_idx ON payers (organization_id, name, id);

CREATE TABLE rates (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    facility_id uuid NOT NULL,
    payer_id uuid NOT NULL,
    method text NOT NULL CHECK (method IN ('per_diem', 'acuity', 'pdpm')),
    effective_from date NOT NULL,
    effective_to date,                      -- inclusive; NULL: until further notice
    per_diem numeric(10, 2) CHECK (per_diem >= 0),
    acuity_rates jsonb,                     -- {"low": 210.00, "moderate": ..., ...}
    fiscal_year integer,
    locality text CHECK (locality IN ('urban', 'rural')),
    wage_index numeric(6, 4) CHECK (wage_index > 0 AND wage_index < 5),
    vbp_multiplier numeric(7, 5) CHECK (vbp_multiplier > 0 AND vbp_multiplier < 2),
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, facility_id) REFERENCES facilities (organization_id, id),
    FOREIGN KEY (organization_id, payer_id) REFERENCES payers (organization_id, id),
    CHECK (effective_to IS NULL OR effective_to >= effective_from),
    CHECK (method <> 'per_diem' OR per_diem IS NOT NULL),
    CHECK (method <> 'acuity' OR acuity_rates IS NOT NULL),
    CHECK (method <> 'pdpm' OR (fiscal_year IS NOT NULL AND locality IS NOT NULL
                                AND wage_index IS NOT NULL AND vbp_multiplier IS NOT NULL))
);
-- One rate in force per facility and payer on any day: the rates service checks for an
-- overlap under a transaction lock on the pair (an exclusion constraint would need
-- btree_gist, which the embedded PostgreSQL lacks).
CREATE INDEX rates_organization_facility_payer_idx
    ON rates (organization_id, facility_id, payer_id, effective_from);

CREATE TABLE cost_models (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    facility_id uuid NOT NULL,
    fixed_daily_cost numeric(10, 2) NOT NULL CHECK (fixed_daily_cost >= 0),
    nursing_hours_per_day jsonb NOT NULL,   -- by acuity level
    nursing_wage_hourly numeric(8, 2) NOT NULL CHECK (nursing_wage_hourly >= 0),
    therapy_cost_per_day numeric(10, 2) NOT NULL CHECK (therapy_cost_per_day >= 0),
    service_costs jsonb NOT NULL DEFAULT '{}'::jsonb,
    default_medication_cost_per_day numeric(10, 2) NOT NULL DEFAULT 0
        CHECK (default_medication_cost_per_day >= 0),
    supported_services text[] NOT NULL DEFAULT '{}',
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, facility_id) REFERENCES facilities (organization_id, id)
);
-- One active cost model per facility.
CREATE UNIQUE INDEX cost_models_organization_facility_active_key
    ON cost_models (organization_id, facility_id) WHERE is_active;

CREATE TABLE business_weights (
    organization_id uuid PRIMARY KEY REFERENCES organizations (id),
    factor_weights jsonb NOT NULL,
    target_margin_pct numeric(5, 2) NOT NULL,
    margin_floor_pct numeric(6, 2) NOT NULL,
    target_occupancy_pct numeric(5, 2) NOT NULL,
    payer_preferences jsonb NOT NULL,
    accept_threshold numeric(4, 1) NOT NULL,
    review_threshold numeric(4, 1) NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    CHECK (review_threshold <= accept_threshold)
);

-- Case numbers: one counter per organization and year, taken under its row lock.
CREATE TABLE case_number_counters (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    year integer NOT NULL,
    last_value integer NOT NULL,
    PRIMARY KEY (organization_id, year)
);

CREATE TABLE admissions (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    case_number text NOT NULL,
    facility_id uuid NOT NULL,
    payer_id uuid NOT NULL,
    rate_id uuid NOT NULL,
    -- The referral (no patient identifiers: see the note check in the API).
    length_of_stay_days integer NOT NULL CHECK (length_of_stay_days BETWEEN 1 AND 365),
    acuity text NOT NULL CHECK (acuity IN ('low', 'moderate', 'high', 'complex')),
    required_services text[] NOT NULL DEFAULT '{}',
    medication_cost_per_day numeric(10, 2),
    pdpm_groups jsonb,
    referral_received_at timestamptz NOT NULL,
    note text CHECK (length(note) <= 280),
    -- The evaluation, as computed when saved.
    revenue_total numeric(12, 2) NOT NULL,
    cost_total numeric(12, 2) NOT NULL,
    margin numeric(12, 2) NOT NULL,
    margin_pct numeric(8, 2) NOT NULL,
    score numeric(4, 1) NOT NULL,
    recommendation text NOT NULL CHECK (recommendation IN ('accept', 'review', 'decline')),
    evaluation jsonb NOT NULL,
    -- The decision.
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'declined', 'admitted', 'not_admitted')),
    decision_reason text,
    decided_at timestamptz,
    decided_by uuid,
    turnaround_minutes integer,
    outcome_at timestamptz,
    outcome_by uuid,
    created_by uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, case_number),
    FOREIGN KEY (organization_id, facility_id) REFERENCES facilities (organization_id, id),
    FOREIGN KEY (organization_id, payer_id) REFERENCES payers (organization_id, id),
    FOREIGN KEY (organization_id, rate_id) REFERENCES rates (organization_id, id),
    FOREIGN KEY (organization_id, created_by) REFERENCES users (organization_id, id),
    FOREIGN KEY (organization_id, decided_by) REFERENCES users (organization_id, id),
    FOREIGN KEY (organization_id, outcome_by) REFERENCES users (organization_id, id)
);
-- History (newest first) and the dashboard's monthly aggregates.
CREATE INDEX admissions_organization_received_idx
    ON admissions (organization_id, referral_received_at DESC, id DESC);
CREATE INDEX admissions_organization_facility_received_idx
    ON admissions (organization_id, facility_id, referral_received_at DESC);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['payers', 'rates', 'cost_models', 'business_weights',
                             'case_number_counters', 'admissions'] LOOP
        EXECUTE format('ALTER TABLE %%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %%I'
            ' USING (organization_id = (SELECT current_organization_id()))'
            ' WITH CHECK (organization_id = (SELECT current_organization_id()))', t);
    END LOOP;
END $$;

GRANT SELECT, INSERT, UPDATE ON payers, rates, cost_models, business_weights,
    case_number_counters, admissions TO %(app_role)s;
