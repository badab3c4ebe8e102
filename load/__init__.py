"""`make load`: a mixed workload against the local host in another process, for a fixed time."""
