-- A data export built in chunks across timer runs (a large organization's export no longer has
-- to fit one run of the host): each chunk is a keyset page of one file's rows, kept as a part
-- until the last chunk, when the zip is assembled from the parts and they are deleted.
--
-- Progress, on the export: the files planned when the build began (in order), the file being
-- written, the last key written of it (the primary key after organization_id, as text), and
-- its rows written and to write. A chunk's part and the progress after it commit together, so a
-- run stopped half-way loses at most that chunk and the next run neither skips nor repeats rows.
ALTER TABLE data_exports
    ADD COLUMN files jsonb,
    ADD COLUMN file_index integer,
    ADD COLUMN after_key jsonb,
    ADD COLUMN file_rows integer,
    ADD COLUMN file_total integer;

CREATE TABLE data_export_parts (
    organization_id uuid NOT NULL REFERENCES organizations (id),
    export_id uuid NOT NULL,
    seq integer NOT NULL,
    file text NOT NULL,
    rows integer NOT NULL,
    content bytea NOT NULL,
    PRIMARY KEY (organization_id, export_id, seq)
    -- The key to data_exports comes in 0038 (after Citus distributes this table).
);
-- Parts are compressed by the builder (zlib), read once, in order, and deleted. (No SET
-- STORAGE EXTERNAL to spare TOAST a second try: Citus refuses it, and pglz gives up early on
-- data that does not compress.)

ALTER TABLE data_export_parts ENABLE ROW LEVEL SECURITY;
ALTER TABLE data_export_parts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON data_export_parts
    USING (organization_id = current_organization_id())
    WITH CHECK (organization_id = current_organization_id());

GRANT SELECT, INSERT, DELETE ON data_export_parts TO %(app_role)s;
