-- An owner's export of everything the organization holds: requested by a request, built by a
-- timer (a large organization's export never holds a request open), kept here as one zip until
-- it expires, downloaded by an owner through the API.
CREATE TABLE data_exports (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    requested_by uuid NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'requested'
        CHECK (status IN ('requested', 'ready', 'failed', 'expired')),
    -- Builds begun: a build the host stopped (its time limit) is tried again, three times in all.
    attempts integer NOT NULL DEFAULT 0,
    ready_at timestamptz,
    expires_at timestamptz,
    size_bytes bigint,
    sha256 text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    content bytea,
    PRIMARY KEY (organization_id, id),
    -- The key to users comes in 0034: on Citus a new table is distributed when its file ends,
    -- and a key from a not-yet-distributed table to a distributed one is refused.
    CHECK (status <> 'ready' OR (content IS NOT NULL AND expires_at IS NOT NULL))
);
CREATE INDEX data_exports_organization_time_idx
    ON data_exports (organization_id, requested_at DESC, id);
CREATE INDEX data_exports_requested_idx ON data_exports (requested_at) WHERE status = 'requested';

ALTER TABLE data_exports ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_exports FORCE ROW LEVEL SECURITY;
-- Plain expressions, no subqueries: Citus refuses a policy with a subquery on a distributed table.
CREATE POLICY tenant_isolation ON data_exports
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());
-- The builder timer finds the requested exports across organizations (which ones, nothing
-- more: each is then built in its own organization's tenant transaction).
CREATE POLICY export_queue_read ON data_exports FOR SELECT
    USING (current_setting('app.cross_tenant', true) = 'data export queue');

GRANT SELECT, INSERT, UPDATE ON data_exports TO %(app_role)s;
