-- Medicare PDPM reference data: the same for every organization (Citus reference tables).
-- `sources` names codes of pdpm_sources; `basis` says how each value was obtained.
CREATE TABLE pdpm_sources (
    code text PRIMARY KEY,
    citation text NOT NULL
);

CREATE TABLE pdpm_base_rates (
    fiscal_year integer NOT NULL,
    area text NOT NULL CHECK (area IN ('urban', 'rural')),
    component text NOT NULL CHECK (component IN ('PT', 'OT', 'SLP', 'NURSING', 'NTA', 'NON_CASE_MIX')),
    rate numeric(8, 2) NOT NULL,
    qrp_reduced_rate numeric(8, 2),
    basis text NOT NULL,
    sources text NOT NULL,
    PRIMARY KEY (fiscal_year, area, component)
);

CREATE TABLE pdpm_case_mix_indexes (
    fiscal_year integer NOT NULL,
    component text NOT NULL CHECK (component IN ('PT', 'OT', 'SLP', 'NURSING', 'NTA')),
    group_code text NOT NULL,
    hipps_char char(1) NOT NULL,
    cmi numeric(5, 2) NOT NULL,
    basis text NOT NULL,
    sources text NOT NULL,
    PRIMARY KEY (fiscal_year, component, group_code),
    UNIQUE (fiscal_year, component, hipps_char)
);

CREATE TABLE pdpm_labor_shares (
    fiscal_year integer PRIMARY KEY,
    labor_related_share numeric(6, 4) NOT NULL,
    non_labor_share numeric(6, 4) NOT NULL,
    basis text NOT NULL,
    sources text NOT NULL
);

CREATE TABLE pdpm_variable_per_diem (
    component text NOT NULL CHECK (component IN ('PT_OT', 'NTA')),
    first_day integer NOT NULL,
    last_day integer NOT NULL,
    factor numeric(4, 2) NOT NULL,
    sources text NOT NULL,
    PRIMARY KEY (component, first_day)
);

CREATE TABLE snf_coinsurance (
    calendar_year integer PRIMARY KEY,
    daily_amount numeric(8, 2) NOT NULL,
    sources text NOT NULL
);

GRANT SELECT ON pdpm_sources, pdpm_base_rates, pdpm_case_mix_indexes, pdpm_labor_shares,
    pdpm_variable_per_diem, snf_coinsurance TO %(app_role)s;
