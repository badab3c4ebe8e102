"""The admission engine: pure functions, no I/O. Money is Decimal, rounded half-up to cents."""
