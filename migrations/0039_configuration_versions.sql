-- Versions of what an evaluation reads, so the functions can keep evaluated configurations per
-- process and send no configuration read on a repeated admission create (issue 14). The session
-- lookup returns both versions in the request's first round trip.

-- An organization's configuration (facilities, payers, rates, cost models, business weights):
-- every write to those tables bumps it in the same statement (the repositories' SQL, a CTE:
-- shared/repositories/configuration_versions.py). On organizations, the row the session lookup
-- joins already: reading it costs the lookup nothing (a table of its own, joined, cost every
-- request about 0.1 ms of planning and execution).
ALTER TABLE organizations ADD COLUMN configuration_version bigint NOT NULL DEFAULT 0;

-- The PDPM reference data (fiscal years, rates, coinsurance): one row, bumped by the operator's
-- load of a year (local/pdpm_year.py) and by every later migration that changes that data.
CREATE TABLE reference_version (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    version bigint NOT NULL
);
INSERT INTO reference_version (version) VALUES (1);
ALTER TABLE reference_version ENABLE ROW LEVEL SECURITY;
ALTER TABLE reference_version FORCE ROW LEVEL SECURITY;
CREATE POLICY reference_read ON reference_version FOR SELECT USING (true);
CREATE POLICY reference_maintenance ON reference_version TO CURRENT_USER
    USING (true) WITH CHECK (true);
GRANT SELECT ON reference_version TO %(app_role)s;
