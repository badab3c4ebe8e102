"""`make mutate`: mutation testing of the modules that guard tenancy, sign-in, PHI and money.

    python -m mutate [MODULE ...]
"""
