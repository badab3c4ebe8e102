-- Medicare's payment adjustments (issue 12). A facility's Medicare PDPM rate may carry the SNF
-- QRP reduction (the reduced rates: the annual update less 2 points); an organization states
-- the share of Medicare coinsurance it expects to collect (the rest is bad debt, reimbursed at
-- 65 per cent). Defaults keep every existing rate and evaluation as it was.
ALTER TABLE rates ADD COLUMN qrp_reduced boolean NOT NULL DEFAULT false,
    ADD CONSTRAINT rates_qrp_only_for_pdpm CHECK (NOT qrp_reduced OR method = 'pdpm');

ALTER TABLE business_weights ADD COLUMN coinsurance_collection_pct numeric(5, 2) NOT NULL
    DEFAULT 100 CHECK (coinsurance_collection_pct BETWEEN 0 AND 100);
