-- Costs an administrator recognizes: therapy by discipline at a PDPM case-mix index of 1.0
-- (scaled by the stay's PT, OT and SLP CMIs), and lines for labs, imaging, supplies (a day)
-- and transport (a stay). NULL: not in the cost model, counted as 0 and said so in the
-- evaluation's assumptions, so cost models made before keep their figures.
-- Columns first, then each named check on its own: Citus refuses a constraint inside ADD
-- COLUMN and more than one ADD CONSTRAINT in one statement.
ALTER TABLE cost_models
    ADD COLUMN pt_cost_per_day_at_cmi_1 numeric(10, 2),
    ADD COLUMN ot_cost_per_day_at_cmi_1 numeric(10, 2),
    ADD COLUMN slp_cost_per_day_at_cmi_1 numeric(10, 2),
    ADD COLUMN labs_cost_per_day numeric(10, 2),
    ADD COLUMN imaging_cost_per_day numeric(10, 2),
    ADD COLUMN supplies_cost_per_day numeric(10, 2),
    ADD COLUMN transport_cost_per_stay numeric(10, 2);

ALTER TABLE cost_models ADD CONSTRAINT cost_models_pt_cost_per_day_at_cmi_1_check CHECK (pt_cost_per_day_at_cmi_1 >= 0);
ALTER TABLE cost_models ADD CONSTRAINT cost_models_ot_cost_per_day_at_cmi_1_check CHECK (ot_cost_per_day_at_cmi_1 >= 0);
ALTER TABLE cost_models ADD CONSTRAINT cost_models_slp_cost_per_day_at_cmi_1_check CHECK (slp_cost_per_day_at_cmi_1 >= 0);
ALTER TABLE cost_models ADD CONSTRAINT cost_models_labs_cost_per_day_check CHECK (labs_cost_per_day >= 0);
ALTER TABLE cost_models ADD CONSTRAINT cost_models_imaging_cost_per_day_check CHECK (imaging_cost_per_day >= 0);
ALTER TABLE cost_models ADD CONSTRAINT cost_models_supplies_cost_per_day_check CHECK (supplies_cost_per_day >= 0);
ALTER TABLE cost_models ADD CONSTRAINT cost_models_transport_cost_per_stay_check CHECK (transport_cost_per_stay >= 0);
