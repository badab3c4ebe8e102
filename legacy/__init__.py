"""Moving a single-tenant deployment of the legacy Flask app into the product as one
organization: generate a legacy fixture, migrate, verify, roll back (python -m legacy --help).
The runbook is docs/legacy-migration.md."""
