-- Users and roles, sign-in protection, invitations, password resets, branding, e-mail outbox.
-- The tenancy rules of 0001 hold for every tenant table here.

ALTER TABLE organizations
    ADD COLUMN primary_color text CHECK (primary_color ~ '^#[0-9a-f]{6}$'),
    ADD COLUMN logo bytea CHECK (octet_length(logo) <= 204800),
    ADD COLUMN logo_content_type text
        CHECK (logo_content_type IN ('image/png', 'image/jpeg', 'image/svg+xml')),
    ADD COLUMN logo_updated_at timestamptz;

ALTER TABLE users ADD COLUMN password_changed_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE invitations (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
    role text NOT NULL CHECK (role IN ('owner', 'admin', 'coordinator', 'viewer')),
    token_hash bytea NOT NULL,
    invited_by uuid NOT NULL,
    expires_at timestamptz NOT NULL,
    accepted_at timestamptz,
    revoked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, token_hash),
    FOREIGN KEY (organization_id, invited_by) REFERENCES users (organization_id, id)
);
CREATE INDEX invitations_organization_email_idx ON invitations (organization_id, lower(email));

CREATE TABLE password_resets (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    user_id uuid NOT NULL,
    token_hash bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id),
    UNIQUE (organization_id, token_hash),
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id)
);

-- Each e-mail is written in the transaction of the change that causes it; the outbox timer
-- sends it (rows locked FOR UPDATE SKIP LOCKED, so overlapping runs never send one twice).
CREATE TABLE email_outbox (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    id uuid NOT NULL DEFAULT gen_random_uuid(),
    template text NOT NULL,
    to_address text NOT NULL,
    subject text NOT NULL,
    text_body text NOT NULL,
    html_body text NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    sent_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, id)
);
CREATE INDEX email_outbox_pending_idx ON email_outbox (next_attempt_at) WHERE status = 'pending';

-- Failed sign-ins per source address and per account (organization and e-mail, whether or not
-- the address exists, so a lock-out reveals nothing), across organizations. Keys are hashes:
-- no address or e-mail is stored in clear.
CREATE TABLE sign_in_throttle (
    key_hash bytea PRIMARY KEY,
    failures integer NOT NULL,
    window_started_at timestamptz NOT NULL
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['invitations', 'password_resets', 'email_outbox'] LOOP
        EXECUTE format('ALTER TABLE %%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %%I'
            ' USING (organization_id = (SELECT current_organization_id()))'
            ' WITH CHECK (organization_id = (SELECT current_organization_id()))', t);
    END LOOP;
END $$;

-- The outbox sender works across organizations, only inside the data layer's
-- dangerously_cross_tenant_transaction('email outbox').
CREATE POLICY outbox_sender ON email_outbox
    USING ((SELECT current_setting('app.cross_tenant', true)) = 'email outbox')
    WITH CHECK ((SELECT current_setting('app.cross_tenant', true)) = 'email outbox');
-- The throttle is not a tenant table; only sign-in touches it, across organizations.
ALTER TABLE sign_in_throttle ENABLE ROW LEVEL SECURITY;
ALTER TABLE sign_in_throttle FORCE ROW LEVEL SECURITY;
CREATE POLICY sign_in_only ON sign_in_throttle
    USING ((SELECT current_setting('app.cross_tenant', true)) = 'sign-in throttle')
    WITH CHECK ((SELECT current_setting('app.cross_tenant', true)) = 'sign-in throttle');

GRANT SELECT, INSERT, UPDATE ON invitations, password_resets, email_outbox TO %(app_role)s;
GRANT SELECT, INSERT, UPDATE, DELETE ON sign_in_throttle TO %(app_role)s;
