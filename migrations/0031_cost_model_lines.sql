-- Costs an administrator recognizes: therapy by discipline at a PDPM case-mix index of 1.0
-- (scaled by the stay's PT, OT and SLP CMIs), and lines for labs, imaging, supplies (a day)
-- and transport (a stay). NULL: not in the cost model, counted as 0 and said so in the
-- evaluation's assumptions, so cost models made before keep their figures.
ALTER TABLE cost_models
    ADD COLUMN pt_cost_per_day_at_cmi_1 numeric(10, 2) CHECK (pt_cost_per_day_at_cmi_1 >= 0),
    ADD COLUMN ot_cost_per_day_at_cmi_1 numeric(10, 2) CHECK (ot_cost_per_day_at_cmi_1 >= 0),
    ADD COLUMN slp_cost_per_day_at_cmi_1 numeric(10, 2) CHECK (slp_cost_per_day_at_cmi_1 >= 0),
    ADD COLUMN labs_cost_per_day numeric(10, 2) CHECK (labs_cost_per_day >= 0),
    ADD COLUMN imaging_cost_per_day numeric(10, 2) CHECK (imaging_cost_per_day >= 0),
    ADD COLUMN supplies_cost_per_day numeric(10, 2) CHECK (supplies_cost_per_day >= 0),
    ADD COLUMN transport_cost_per_stay numeric(10, 2) CHECK (transport_cost_per_stay >= 0);
