-- Each fiscal year of PDPM tables, with its status: an evaluation says whether the tables that
-- priced a day are final or only proposed. net_update is the rule's net annual update, for the
-- QRP method (the update less 2 points) where a reduced rate is not published.
CREATE TABLE pdpm_fiscal_years (
    fiscal_year integer PRIMARY KEY,
    status text NOT NULL CHECK (status IN ('final', 'proposed')),
    rule text NOT NULL,
    net_update numeric(6, 4),
    sources text NOT NULL,
    notes text
);

GRANT SELECT ON pdpm_fiscal_years TO %(app_role)s;
