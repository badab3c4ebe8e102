-- Foundation: organizations, users, sessions, facilities, audit_logs.
--
-- Tenancy rules every table here keeps (and every later migration copies):
--   * organization_id NOT NULL, primary key (organization_id, id); every unique constraint and
--     foreign key includes organization_id, so no row can point at another organization's row
--     (the shape a Citus cluster distributed by organization_id needs too);
--   * indexes that serve tenant queries lead with organization_id;
--   * row-level security ENABLEd and FORCEd, one policy for all commands that admits only the
--     organization set by the data layer's tenant transaction, and nothing when none is set;
--   * the functions' role %(app_role)s owns nothing and gets only the privileges it uses.

CREATE FUNCTION current_organization_id() RETURNS uuid
    LANGUAGE sql STABLE PARALLEL SAFE
    AS $$ SELECT NULLIF(current_setting('app.organization_id', true), '')::uuid $$;

COMMENT ON FUNCTION current_organization_id() IS
    'The organization of the current tenant transaction; NULL (no rows) when none is set.';

CREATE TABLE organizations (
    id uuid PRIMARY KEY,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    subdomain text NOT NULL CHECK (subdomain ~ '^[a-z0-9]([a-z0-9-]{1,28})[a-z0-9]$'),
    tier text NOT NULL DEFAULT 'trial'
        CHECK (tier IN ('trial', 'starter', 'professional', 'enterprise')),
    status text NOT NULL DEFAULT 'trialing'
        CHECK (status IN ('trialing', 'active', 'past_due', 'read_only')),
    trial_ends_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
-- Subdomains are the public name of an organization: unique regardless of case.
CREATE UNIQUE INDEX organizations_subdomain_key ON organizations (lower(subdomain));

CREATE TABLE users (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'coordinator', 'viewer')),
    is_active boolean NOT NULL DEFAULT true,
    last_login_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
-- E-mail addresses are unique within an organization only.
CREATE UNIQUE INDEX users_organization_email_key ON users (organization_id, lower(email));

CREATE TABLE sessions (
    organization_id uuid NOT NULL,
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, token_hash),
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
CREATE INDEX sessions_organization_user_idx ON sessions (organization_id, user_id);

CREATE TABLE facilities (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 120),
    bed_count integer NOT NULL CHECK (bed_count BETWEEN 1 AND 2000),
    state char(2) CHECK (state ~ '^[A-Z]{2}$'),
    locality text NOT NULL DEFAULT 'urban' CHECK (locality IN ('urban', 'rural')),
    wage_index numeric(6, 4) NOT NULL DEFAULT 1.0000 CHECK (wage_index > 0 AND wage_index < 5),
    target_occupancy_pct numeric(5, 2) NOT NULL DEFAULT 90.00
        CHECK (target_occupancy_pct > 0 AND target_occupancy_pct <= 100),
    current_census integer NOT NULL DEFAULT 0 CHECK (current_census >= 0),
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    CHECK (current_census <= bed_count)
);
-- Two active facilities of one organization never share a name; deactivated ones free it.
CREATE UNIQUE INDEX facilities_organization_active_name_key
    ON facilities (organization_id, lower(name)) WHERE is_active;
CREATE INDEX facilities_organization_name_idx ON facilities (organization_id, name, id);

CREATE TABLE audit_logs (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    occurred_at timestamptz NOT NULL DEFAULT now(),
    user_id uuid,
    action text NOT NULL,
    object_type text NOT NULL,
    object_id uuid,
    source_address inet,
    request_id text,
    -- Only non-PHI fields, with their new values.
    changes jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (organization_id, id),
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);
CREATE INDEX audit_logs_organization_time_idx ON audit_logs (organization_id, occurred_at DESC, id);

-- Row-level security: one policy for all commands per tenant table, fail-closed.
ALTER TABLE organizations ENABLE ROW LEVEL SECURITY;
ALTER TABLE organizations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organizations
    USING (id = (SELECT current_organization_id()))
    WITH CHECK (id = (SELECT current_organization_id()));
-- Sign-in finds an organization by subdomain before any organization is set; only the data
-- layer's dangerously_cross_tenant_transaction sets app.cross_tenant, and only reads pass.
CREATE POLICY cross_tenant_lookup ON organizations FOR SELECT
    USING (NULLIF((SELECT current_setting('app.cross_tenant', true)), '') IS NOT NULL);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'sessions', 'facilities', 'audit_logs'] LOOP
        EXECUTE format('ALTER TABLE %%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %%I'
            ' USING (organization_id = (SELECT current_organization_id()))'
            ' WITH CHECK (organization_id = (SELECT current_organization_id()))', t);
    END LOOP;
END $$;

-- The functions' role: what it uses and nothing more. Audit rows are append-only.
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO %(app_role)s;
GRANT EXECUTE ON FUNCTION current_organization_id() TO %(app_role)s;
GRANT SELECT, INSERT, UPDATE ON organizations, users, facilities TO %(app_role)s;
GRANT SELECT, INSERT, UPDATE, DELETE ON sessions TO %(app_role)s;
GRANT SELECT, INSERT ON audit_logs TO %(app_role)s;
