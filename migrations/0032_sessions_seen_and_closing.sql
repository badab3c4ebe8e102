-- Sessions a user can see and end, and an organization its owner can close.
--
-- Sessions: the browser and a coarse source network (IPv4 /24, IPv6 /48: enough to recognise
-- "that is me at the office", not a person's address) at sign-in, and when a session was last
-- used (updated at most once a minute, so a busy session costs no write per request).
-- Columns, then each named check on its own statement (what Citus accepts on its tables).
ALTER TABLE sessions
    ADD COLUMN user_agent text,
    ADD COLUMN source_network cidr,
    ADD COLUMN last_used_at timestamptz;
ALTER TABLE sessions ADD CONSTRAINT sessions_user_agent_check CHECK (length(user_agent) <= 300);

-- Closing: read-only at once, erased when the grace period ends (deletes_at), reopenable until
-- then. Both set together, both cleared together on reopening.
ALTER TABLE organizations
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN deletes_at timestamptz;
ALTER TABLE organizations ADD CONSTRAINT organizations_closed_together
    CHECK ((closed_at IS NULL) = (deletes_at IS NULL));
CREATE INDEX organizations_deletes_at_idx ON organizations (deletes_at) WHERE deletes_at IS NOT NULL;

-- Erasing a closed organization whose grace period ended: every row of it in every table that
-- has an organization_id (found in the catalog, so a table added later is erased too), then the
-- organization itself. The functions' role may delete nothing else anywhere (audit rows are
-- append-only); this function, owned by the schema's owner, is the one way, and only for the
-- organization of the current tenant transaction, closed, past its deletes_at. The owner obeys
-- row-level security too (FORCE), so the tenant policies still admit only that organization.
-- Tables are tried in passes: a foreign key still pointing at a table's rows fails its delete,
-- which the next pass retries after the referencing rows are gone.
CREATE FUNCTION erase_organization(target uuid) RETURNS jsonb
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp
AS $$
DECLARE
    remaining text[];
    failed text[];
    t text;
    n bigint;
    counts jsonb := '{}'::jsonb;
BEGIN
    IF target IS DISTINCT FROM current_organization_id() THEN
        RAISE EXCEPTION 'erase_organization: %% is not the organization of this transaction', target;
    END IF;
    PERFORM 1 FROM organizations
      WHERE id = target AND closed_at IS NOT NULL AND deletes_at <= now() FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'erase_organization: %% is not closed past its grace period', target;
    END IF;
    SELECT array_agg(DISTINCT c.relname::text ORDER BY c.relname::text) INTO remaining
      FROM pg_class c
      JOIN pg_namespace ns ON ns.oid = c.relnamespace
      JOIN pg_attribute a ON a.attrelid = c.oid
     WHERE ns.nspname = 'public' AND c.relkind IN ('r', 'p')
       AND a.attname = 'organization_id' AND NOT a.attisdropped;
    WHILE cardinality(remaining) > 0 LOOP
        failed := '{}';
        FOREACH t IN ARRAY remaining LOOP
            BEGIN
                EXECUTE format('DELETE FROM %%I WHERE organization_id = $1', t) USING target;
                GET DIAGNOSTICS n = ROW_COUNT;
                counts := counts || jsonb_build_object(t, coalesce((counts ->> t)::bigint, 0) + n);
            EXCEPTION WHEN foreign_key_violation THEN
                failed := failed || t;
            END;
        END LOOP;
        IF cardinality(failed) = cardinality(remaining) THEN
            RAISE EXCEPTION 'erase_organization: foreign keys hold rows in %%', failed;
        END IF;
        remaining := failed;
    END LOOP;
    DELETE FROM organizations WHERE id = target;
    RETURN counts || jsonb_build_object('organizations', 1);
END $$;

REVOKE ALL ON FUNCTION erase_organization(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION erase_organization(uuid) TO %(app_role)s;
