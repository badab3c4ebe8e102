-- The keys of 0035's tables to their users (kept out of 0035 until the tables are distributed on
-- Citus; on plain PostgreSQL the same keys).
ALTER TABLE two_factor_credentials ADD CONSTRAINT two_factor_credentials_user_fkey
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id);
ALTER TABLE recovery_codes ADD CONSTRAINT recovery_codes_user_fkey
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id);
ALTER TABLE sign_in_challenges ADD CONSTRAINT sign_in_challenges_user_fkey
    FOREIGN KEY (organization_id, user_id) REFERENCES users (organization_id, id);
