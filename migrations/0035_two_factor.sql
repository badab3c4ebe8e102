-- Two-factor sign-in (TOTP, RFC 6238): a user's secret, their recovery codes, the sign-in
-- challenges between the password step and the code step, and an owner's requirement.

-- An owner's requirement: users without two-factor sign-in must enroll at their next sign-in.
ALTER TABLE organizations ADD COLUMN require_two_factor boolean NOT NULL DEFAULT false;

-- One per user. The secret is sealed with AES-GCM under TOTP_ENCRYPTION_KEY (never stored in
-- the clear); unconfirmed until the user types a first code. last_used_step is the last time
-- step a code was accepted for: each code is used once.
CREATE TABLE two_factor_credentials (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    user_id uuid NOT NULL,
    secret_sealed bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    confirmed_at timestamptz,
    last_used_step bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (organization_id, user_id)
    -- The key to users comes in 0036 (Citus distributes a new table when its file ends).
);

-- Single-use recovery codes, stored as SHA-256 only (each has about 59 random bits).
CREATE TABLE recovery_codes (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    code_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz,
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX recovery_codes_user_idx ON recovery_codes (organization_id, user_id);

-- Between the password step and the code (or enrollment) step: a short-lived, single-use
-- token, stored as its SHA-256 only; no session exists until the second step succeeds.
CREATE TABLE sign_in_challenges (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    purpose text NOT NULL CHECK (purpose IN ('code', 'enroll')),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    PRIMARY KEY (organization_id, id)
);
CREATE UNIQUE INDEX sign_in_challenges_token_idx ON sign_in_challenges (organization_id, token_hash);

ALTER TABLE two_factor_credentials ENABLE ROW LEVEL SECURITY;
ALTER TABLE two_factor_credentials FORCE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes ENABLE ROW LEVEL SECURITY;
ALTER TABLE recovery_codes FORCE ROW LEVEL SECURITY;
ALTER TABLE sign_in_challenges ENABLE ROW LEVEL SECURITY;
ALTER TABLE sign_in_challenges FORCE ROW LEVEL SECURITY;
-- Plain expressions, no subqueries: Citus refuses a policy with a subquery on a distributed table.
CREATE POLICY tenant_isolation ON two_factor_credentials
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());
CREATE POLICY tenant_isolation ON recovery_codes
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());
CREATE POLICY tenant_isolation ON sign_in_challenges
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

-- DELETE: turning 2FA off drops the secret and the codes; old challenges are purged.
GRANT SELECT, INSERT, UPDATE, DELETE ON two_factor_credentials TO %(app_role)s;
GRANT SELECT, INSERT, UPDATE, DELETE ON recovery_codes TO %(app_role)s;
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_challenges TO %(app_role)s;
