-- A part belongs to its export (kept from 0037 until the table is distributed on Citus; on plain
-- PostgreSQL the same key).
ALTER TABLE data_export_parts ADD CONSTRAINT data_export_parts_export_fkey
    FOREIGN KEY (organization_id, export_id) REFERENCES data_exports (organization_id, id);
