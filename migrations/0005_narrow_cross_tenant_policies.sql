-- Cross-tenant scopes, one policy each, and only what each needs (shared.db.SCOPES):
--   'organization lookup' reads organizations (subdomain -> id, public branding, timers);
--   'sign-in throttle' reads and writes sign_in_throttle (0004);
--   'email outbox' reads and marks email_outbox rows, and inserts none.
-- Before this, any non-empty app.cross_tenant could read organizations.

DROP POLICY cross_tenant_lookup ON organizations;
CREATE POLICY organization_lookup ON organizations FOR SELECT
    USING ((SELECT current_setting('app.cross_tenant', true)) = 'organization lookup');

DROP POLICY outbox_sender ON email_outbox;
CREATE POLICY outbox_sender_read ON email_outbox FOR SELECT
    USING ((SELECT current_setting('app.cross_tenant', true)) = 'email outbox');
CREATE POLICY outbox_sender_mark ON email_outbox FOR UPDATE
    USING ((SELECT current_setting('app.cross_tenant', true)) = 'email outbox')
    WITH CHECK ((SELECT current_setting('app.cross_tenant', true)) = 'email outbox');

-- Amounts that no stay can reach, so a typo-sized rate gives a figure, not an overflow.
ALTER TABLE admissions
    ALTER COLUMN margin_pct TYPE numeric(10, 2),
    ALTER COLUMN margin TYPE numeric(14, 2),
    ALTER COLUMN cost_total TYPE numeric(14, 2),
    ALTER COLUMN revenue_total TYPE numeric(14, 2);

-- The daily timer forgets finished e-mails (their bodies are blanked once sent anyway).
GRANT DELETE ON email_outbox TO %(app_role)s;
