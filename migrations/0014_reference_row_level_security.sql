-- Row-level security on every table the functions' role can reach, not only the tenant tables:
-- the PDPM reference tables get it ENABLEd and FORCEd too, with policies that say what they are
-- for. Everyone reads them; only the role that runs the migrations (their owner) writes them,
-- so a write grant added to the functions' role by mistake would still change nothing.
DO $$
DECLARE t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['pdpm_sources', 'pdpm_base_rates', 'pdpm_case_mix_indexes',
                             'pdpm_labor_shares', 'pdpm_variable_per_diem', 'snf_coinsurance',
                             'pdpm_fiscal_years'] LOOP
        EXECUTE format('ALTER TABLE %%I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %%I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY reference_read ON %%I FOR SELECT USING (true)', t);
        -- Later migrations add fiscal years: FORCE would otherwise refuse their owner too.
        EXECUTE format('CREATE POLICY reference_maintenance ON %%I TO CURRENT_USER'
                       ' USING (true) WITH CHECK (true)', t);
    END LOOP;
END $$;
