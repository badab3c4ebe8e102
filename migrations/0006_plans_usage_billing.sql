-- Plans, their limits and prices; usage a calendar month; the subscription state Stripe and the
-- operator set; the Stripe events applied; the timer runs recorded.
-- The tenancy rules of 0001 hold for every tenant table here.

-- The plans of the product brief. A NULL limit is "no limit"; a NULL price is "by contract".
CREATE TABLE plans (
    tier text PRIMARY KEY CHECK (tier IN ('trial', 'starter', 'professional', 'enterprise')),
    name text NOT NULL,
    max_facilities integer CHECK (max_facilities > 0),
    max_users integer CHECK (max_users > 0),
    max_admissions_per_month integer CHECK (max_admissions_per_month > 0),
    monthly_price_cents integer CHECK (monthly_price_cents >= 0),
    self_serve boolean NOT NULL,            -- bought through Stripe Checkout
    rank integer NOT NULL UNIQUE            -- order of the plans, cheapest first
);
INSERT INTO plans (tier, name, max_facilities, max_users, max_admissions_per_month,
                   monthly_price_cents, self_serve, rank) VALUES
    ('trial', 'Trial', 1, 5, 20, 0, false, 0),
    ('starter', 'Starter', 1, 10, 50, 19900, true, 1),
    ('professional', 'Professional', 5, 50, 200, 49900, true, 2),
    ('enterprise', 'Enterprise', NULL, NULL, NULL, NULL, false, 3);

-- The stored state is what was last recorded; the state a request sees is computed from it and
-- the dates at that moment (shared.services.subscription), so a trial ends on the second.
ALTER TABLE organizations
    DROP CONSTRAINT organizations_status_check,
    ADD CONSTRAINT organizations_status_check
        CHECK (status IN ('trialing', 'active', 'past_due', 'read_only')),
    ADD COLUMN read_only_reason text
        CHECK (read_only_reason IN ('trial_ended', 'grace_ended', 'canceled')),
    ADD COLUMN past_due_since timestamptz,
    ADD COLUMN suspended_at timestamptz,
    ADD COLUMN suspended_reason text CHECK (length(suspended_reason) <= 200),
    -- Enterprise contracts may cap what the plan leaves open (NULL: the plan's limit).
    ADD COLUMN contract_max_facilities integer CHECK (contract_max_facilities > 0),
    ADD COLUMN contract_max_users integer CHECK (contract_max_users > 0),
    ADD COLUMN contract_max_admissions_per_month integer
        CHECK (contract_max_admissions_per_month > 0),
    ADD COLUMN stripe_customer_id text,
    ADD COLUMN stripe_subscription_id text,
    ADD COLUMN subscription_status text,    -- Stripe's own word for the subscription
    ADD COLUMN current_period_end timestamptz,
    ADD COLUMN cancel_at_period_end boolean NOT NULL DEFAULT false,
    -- The `created` of the newest Stripe event applied: an older one changes nothing.
    ADD COLUMN subscription_event_at timestamptz,
    -- The trial end the "3 days left" e-mail was sent for (an extended trial gets its own).
    ADD COLUMN trial_reminder_for timestamptz,
    ADD CONSTRAINT organizations_tier_fkey FOREIGN KEY (tier) REFERENCES plans (tier);
CREATE UNIQUE INDEX organizations_stripe_customer_key ON organizations (stripe_customer_id);

-- Admissions created in a calendar month (UTC), counted in the statement that enforces the
-- limit; closed by the monthly timer with the facilities and users active at the close.
CREATE TABLE usage_periods (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    period_start date NOT NULL CHECK (extract(day FROM period_start) = 1),
    admissions integer NOT NULL DEFAULT 0 CHECK (admissions >= 0),
    active_facilities integer,              -- at the close; NULL while open
    active_users integer,
    closed_at timestamptz,
    PRIMARY KEY (organization_id, period_start)
);

-- Each Stripe event once: its id is stored in the transaction that applies it.
CREATE TABLE stripe_events (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    event_id text NOT NULL CHECK (event_id ~ '^evt_[A-Za-z0-9_]+$'),
    event_type text NOT NULL,
    event_created_at timestamptz NOT NULL,
    applied boolean NOT NULL,               -- false: older than what was applied, or ignored
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organization_id, event_id)
);

DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['usage_periods', 'stripe_events'] LOOP
        EXECUTE format('ALTER TABLE %%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %%I'
            ' USING (organization_id = (SELECT current_organization_id()))'
            ' WITH CHECK (organization_id = (SELECT current_organization_id()))', t);
    END LOOP;
END $$;

-- Plans are the same for everyone: readable by all, written only by migrations.
ALTER TABLE plans ENABLE ROW LEVEL SECURITY;
ALTER TABLE plans FORCE ROW LEVEL SECURITY;
CREATE POLICY plans_read ON plans FOR SELECT USING (true);

-- Which scheduled runs happened (monthly usage reset, daily transitions); not tenant data.
CREATE TABLE timer_runs (
    timer text NOT NULL,
    period text NOT NULL,                   -- '2026-11' for the monthly reset, a date for daily
    organizations integer NOT NULL,
    finished_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (timer, period)
);
ALTER TABLE timer_runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE timer_runs FORCE ROW LEVEL SECURITY;
CREATE POLICY timer_runs_scope ON timer_runs
    USING ((SELECT current_setting('app.cross_tenant', true)) = 'timer runs')
    WITH CHECK ((SELECT current_setting('app.cross_tenant', true)) = 'timer runs');

-- The Stripe webhook finds an organization by its Stripe customer when an event carries no
-- organization id: the 'organization lookup' scope reads organizations already (0005).

GRANT SELECT ON plans TO %(app_role)s;
GRANT SELECT, INSERT, UPDATE ON usage_periods TO %(app_role)s;
GRANT SELECT, INSERT ON stripe_events TO %(app_role)s;
GRANT SELECT, INSERT, UPDATE ON timer_runs TO %(app_role)s;
