-- Inviting an address that has an open invitation renews it (a new link, a new expiry) instead
-- of adding a second one: at most one invitation per address is neither accepted nor withdrawn.
-- An expired one still counts as that one, so inviting again revives it.

-- Earlier duplicates: the newest stays, the older ones are withdrawn. The owner is itself held
-- by the FORCEd row-level security, so FORCE is lifted around this statement, in the migration's transaction.
ALTER TABLE invitations NO FORCE ROW LEVEL SECURITY;
UPDATE invitations older SET revoked_at = now()
 WHERE older.accepted_at IS NULL AND older.revoked_at IS NULL
   AND EXISTS (SELECT 1 FROM invitations newer
                WHERE newer.organization_id = older.organization_id
                  AND lower(newer.email) = lower(older.email)
                  AND newer.accepted_at IS NULL AND newer.revoked_at IS NULL
                  AND (newer.created_at, newer.id) > (older.created_at, older.id));
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;

CREATE UNIQUE INDEX invitations_one_open_per_address
    ON invitations (organization_id, lower(email))
 WHERE accepted_at IS NULL AND revoked_at IS NULL;
