"""The row-level security suite of tests/test_rls.py, run as it is against the Citus cluster
(this package's `database`): no organization set sees nothing, A sees only A, A cannot change or
insert B's rows, the settings do not outlive their transaction, the app role cannot switch
row-level security off, the cross-tenant scopes admit only their own tables."""
from tests.test_rls import *  # noqa: F401,F403 - pytest collects the imported tests here
