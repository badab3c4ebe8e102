-- Who asked for an export is one of the organization's users (kept from 0033 until the table
-- is distributed on Citus; on plain PostgreSQL the same key).
ALTER TABLE data_exports ADD CONSTRAINT data_exports_organization_id_requested_by_fkey
    FOREIGN KEY (organization_id, requested_by) REFERENCES users (organization_id, id);
