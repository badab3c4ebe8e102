-- A Medicare Advantage contract priced as a percentage of the PDPM per diem (issue 12). Only a
-- PDPM rate carries it; without it a PDPM rate is Original Medicare's.
ALTER TABLE rates ADD COLUMN pdpm_percent numeric(5, 2)
        CHECK (pdpm_percent > 0 AND pdpm_percent <= 200),
    ADD CONSTRAINT rates_pdpm_percent_only_for_pdpm CHECK (pdpm_percent IS NULL OR method = 'pdpm');
