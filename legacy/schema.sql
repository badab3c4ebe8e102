-- The legacy single-tenant layout: the Flask app's tables (config/database.py of the app the
-- product grew from), integer ids, no organization_id anywhere. Timestamps are naive UTC
-- (the app wrote datetime.utcnow()). Passwords are Werkzeug hashes. Admissions and audit_logs
-- carry no foreign keys: the app added those columns later and never declared them, which is
-- why a real legacy database can hold an admission pointing at a missing facility.

CREATE TABLE users (
    id serial PRIMARY KEY,
    email varchar(255) NOT NULL UNIQUE,          -- case-sensitive: 'Ann@x' and 'ann@x' both fit
    password_hash varchar(255) NOT NULL,         -- pbkdf2:sha256:N$salt$hex or scrypt:N:r:p$...
    role varchar(20) NOT NULL DEFAULT 'coordinator',   -- admin, coordinator, viewer
    is_active boolean NOT NULL DEFAULT true,
    last_login timestamp,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE facilities (
    id serial PRIMARY KEY,
    name varchar(120) NOT NULL,
    bed_count integer NOT NULL,
    state char(2),
    locality varchar(10) NOT NULL DEFAULT 'urban',
    wage_index numeric(6, 4) NOT NULL DEFAULT 1.0,
    target_occupancy numeric(5, 2) NOT NULL DEFAULT 90,
    current_census integer NOT NULL DEFAULT 0,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE payers (
    id serial PRIMARY KEY,
    name varchar(120) NOT NULL,
    payer_type varchar(30) NOT NULL,   -- Medicare, Medicare Advantage, Medicaid, Managed Care, ...
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE rates (
    id serial PRIMARY KEY,
    facility_id integer NOT NULL REFERENCES facilities (id),
    payer_id integer NOT NULL REFERENCES payers (id),
    rate_type varchar(20) NOT NULL,    -- per_diem, acuity
    daily_rate numeric(10, 2),
    acuity_rates jsonb,                -- {"low": 300.00, ...}
    effective_date date NOT NULL,
    end_date date,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE cost_models (
    id serial PRIMARY KEY,
    facility_id integer NOT NULL REFERENCES facilities (id),
    fixed_daily_cost numeric(10, 2) NOT NULL,
    nursing_hours jsonb NOT NULL,      -- hours a day by acuity
    nursing_wage numeric(8, 2) NOT NULL,
    therapy_cost_per_day numeric(10, 2) NOT NULL,
    medication_cost_per_day numeric(10, 2) NOT NULL DEFAULT 0,
    service_costs jsonb NOT NULL DEFAULT '{}',
    supported_services text NOT NULL DEFAULT '',   -- comma-separated
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE business_weights (
    id serial PRIMARY KEY,             -- one row
    factor_weights jsonb NOT NULL,
    target_margin numeric(5, 2) NOT NULL,
    margin_floor numeric(6, 2) NOT NULL,
    target_occupancy numeric(5, 2) NOT NULL,
    payer_preferences jsonb NOT NULL,
    accept_threshold numeric(4, 1) NOT NULL,
    review_threshold numeric(4, 1) NOT NULL,
    updated_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE admissions (
    id serial PRIMARY KEY,
    case_number varchar(40) NOT NULL UNIQUE,   -- SNF-2025-000123: PHI-free
    facility_id integer NOT NULL,
    payer_id integer NOT NULL,
    rate_id integer NOT NULL,
    length_of_stay integer NOT NULL,
    acuity varchar(10) NOT NULL,
    required_services text NOT NULL DEFAULT '',    -- comma-separated
    medication_cost_per_day numeric(10, 2),
    referral_date timestamp NOT NULL,
    expected_revenue numeric(12, 2) NOT NULL,
    expected_cost numeric(12, 2) NOT NULL,
    margin numeric(12, 2) NOT NULL,
    margin_pct numeric(8, 2) NOT NULL,
    score numeric(4, 1) NOT NULL,
    recommendation varchar(10) NOT NULL,       -- ACCEPT, REVIEW, DECLINE
    status varchar(20) NOT NULL DEFAULT 'pending',  -- pending, accepted, declined, admitted
    decision_reason text,
    decided_at timestamp,
    decided_by integer,
    created_by integer NOT NULL,
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);

CREATE TABLE audit_logs (
    id serial PRIMARY KEY,
    user_id integer,
    action varchar(50) NOT NULL,       -- create, update, delete, login
    table_name varchar(50) NOT NULL,
    record_id integer,
    changes jsonb,
    ip_address varchar(45),
    created_at timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
);
