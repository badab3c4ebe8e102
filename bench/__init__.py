"""`make bench`: benchmarks that report ratios against floors measured in the same run.

    python -m bench

Each benchmark measures the product's path and a floor for the same work with nothing of the
product around it, on the same machine in the same run, and reports the ratio: absolute
numbers vary by machine, the ratio says how much the product adds.

- `bench.facilities_get`: GET /api/facilities/{id} through the real decorator and data layer,
  against the same SQL statements run through psycopg2 alone on one open connection; and the
  EXPLAIN (ANALYZE, BUFFERS) plans of those statements on a database with many organizations.
- `bench.cold_start`: in fresh interpreters, the import time of `function_app` against a bare
  FunctionApp's, then import + indexing + the first GET /api/facilities/{id} against the bare
  app's reading one row through psycopg2; the same for every blueprint imported at start-up
  (as before functions/index.py) and without the project's .pyc files; and the cold start rule
  (no heavy SDK imported).

The run provisions its own database and roles (`bench.database`) and drops them at the end.
"""
