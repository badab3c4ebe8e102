-- A PDPM rate whose locality or wage index differs from its facility's is refused unless
-- saved with this override (issue 12); evaluations priced on it say so.
ALTER TABLE rates ADD COLUMN facility_mismatch_override boolean NOT NULL DEFAULT false;
