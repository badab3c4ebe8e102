"""`make load` in miniature: the same driver, a few seconds, every operation answered as
expected, never more database connections than the pool holds."""
from __future__ import annotations

from load.__main__ import percentiles, run, summary
from load.workload import MIX


def test_a_short_mixed_load_has_no_errors_and_stays_within_the_pool(database):
    result, where = run(seconds=4, users=3)

    assert result.errors == []
    assert set(result.by_operation) == {name for name, _ in MIX}
    assert all(count > 0 for count, *_ in result.by_operation.values())
    assert 0 < result.peak_connections <= result.pool_size
    assert result.peak_memory_mib >= result.start_memory_mib > 0
    assert "PostgreSQL" in where
    assert any(line.startswith("errors: 0") for line in summary(result))


def test_percentiles_are_in_milliseconds_and_ordered():
    samples = [i / 1000 for i in range(1, 101)]  # 1..100 ms

    p50, p95, p99 = percentiles(samples)

    assert (round(p50), round(p95), round(p99)) == (50, 95, 99)
