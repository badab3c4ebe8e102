-- Idempotency keys: a create retried with the same Idempotency-Key within 24 hours answers what
-- the first one answered instead of creating again (shared/idempotency.py). A key is written in
-- the transaction of its create, so the two commit or roll back together.
--
-- Nothing here is readable without the key itself: key_hash is its SHA-256, fingerprint an
-- HMAC of the request keyed by it, and response (status aside) is encrypted with a key derived
-- from it. A replayed signup holds a session token; it must not sit in the clear.
--
-- Anonymous creates (signup) have no organization when they arrive: their key is stored under
-- the organization they created, marked anonymous, and found again only through the
-- 'idempotent replay' cross-tenant scope, which reads anonymous rows and nothing else.
CREATE TABLE idempotency_keys (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    key_hash bytea NOT NULL CHECK (length(key_hash) = 32),
    anonymous boolean NOT NULL DEFAULT false,
    fingerprint bytea NOT NULL CHECK (length(fingerprint) = 32),
    status smallint NOT NULL CHECK (status BETWEEN 100 AND 599),
    response bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, key_hash)
);
CREATE INDEX idempotency_keys_organization_time_idx
    ON idempotency_keys (organization_id, created_at);
CREATE INDEX idempotency_keys_anonymous_idx ON idempotency_keys (key_hash) WHERE anonymous;

-- Policies without a sub-select (a Citus cluster refuses them on distributed tables).
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());
CREATE POLICY anonymous_replay ON idempotency_keys FOR SELECT
    USING (anonymous AND current_setting('app.cross_tenant', true) = 'idempotent replay');

-- DELETE: the purge timer forgets keys after 24 hours.
GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO %(app_role)s;
