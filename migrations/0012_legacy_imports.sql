-- Moving a single-tenant (legacy Flask) deployment in as one organization: python -m legacy.
-- The tenancy rules of 0001 hold for legacy_id_map; legacy_imports is the operator's record.

-- Every legacy row's new id, written in the transaction that inserts the row: the proof of
-- what was moved, the lookup for foreign keys and audit history, and the resume point (the
-- highest legacy id of a table mapped is where an interrupted run goes on).
CREATE TABLE legacy_id_map (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    legacy_table text NOT NULL,
    legacy_id bigint NOT NULL,
    new_id uuid NOT NULL,
    PRIMARY KEY (organization_id, legacy_table, legacy_id)
);

-- One row per import, kept after a rollback: who moved what in, from where, with which backup
-- acknowledged, and when it finished or was rolled back. Not tenant data (it outlives the
-- organization), hence no foreign key and a column not named organization_id.
CREATE TABLE legacy_imports (
    imported_organization_id uuid PRIMARY KEY,
    subdomain text NOT NULL,
    legacy_source text NOT NULL,            -- host/database, never a password
    backup_acknowledged text NOT NULL CHECK (length(backup_acknowledged) BETWEEN 3 AND 500),
    legacy_counts jsonb NOT NULL,           -- rows per legacy table when the import began
    started_by text NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    moved_counts jsonb,
    rolled_back_at timestamptz,
    rolled_back_by text
);
CREATE UNIQUE INDEX legacy_imports_open_subdomain_key
    ON legacy_imports (lower(subdomain)) WHERE rolled_back_at IS NULL;

ALTER TABLE legacy_id_map ENABLE ROW LEVEL SECURITY;
ALTER TABLE legacy_id_map FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON legacy_id_map
    USING (organization_id = (SELECT current_organization_id()))
    WITH CHECK (organization_id = (SELECT current_organization_id()));

-- Only the import tool reads and writes these, in its own scope; the functions never do.
ALTER TABLE legacy_imports ENABLE ROW LEVEL SECURITY;
ALTER TABLE legacy_imports FORCE ROW LEVEL SECURITY;
CREATE POLICY legacy_import_tool ON legacy_imports
    USING ((SELECT current_setting('app.cross_tenant', true)) = 'legacy import')
    WITH CHECK ((SELECT current_setting('app.cross_tenant', true)) = 'legacy import');
