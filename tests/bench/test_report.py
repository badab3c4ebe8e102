"""BENCHMARKS.md: each command rewrites only its own section, in a fixed order, stamped."""
from __future__ import annotations

import pytest

from bench.report import record


def test_a_section_is_added_then_replaced_and_the_others_are_kept(tmp_path):
    report = tmp_path / "BENCHMARKS.md"

    record("load", "Load", "python -m load", ["- 10 requests/s"], report=report)
    record("facilities_get", "Facility GET", "python -m bench --only facilities_get",
           ["- 1.20x floor"], where="PostgreSQL 15", report=report)
    record("load", "Load", "python -m load", ["- 12 requests/s"], report=report)
    text = report.read_text()

    assert text.startswith("# Benchmarks")
    assert "12 requests/s" in text and "10 requests/s" not in text
    assert text.index("<!-- begin facilities_get -->") < text.index("<!-- begin load -->")
    assert text.count("<!-- begin load -->") == 1
    assert "with `python -m bench --only facilities_get`" in text
    assert "cores" in text and "load average" in text and "PostgreSQL 15" in text


def test_an_unknown_section_is_refused(tmp_path):
    with pytest.raises(ValueError):
        record("nonsense", "x", "x", [], report=tmp_path / "B.md")


def test_the_commit_says_when_the_code_measured_was_not_committed_yet(tmp_path):
    import subprocess
    from bench.report import _commit

    def git(*args):
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)
    git("init", "-q")
    (tmp_path / "code.py").write_text("x = 1\n")
    (tmp_path / "BENCHMARKS.md").write_text("# Benchmarks\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "first")
    head = _commit(tmp_path)
    assert head and "uncommitted" not in head

    (tmp_path / "BENCHMARKS.md").write_text("# Benchmarks\nnew figures\n")  # the report's own
    assert _commit(tmp_path) == head
    (tmp_path / "code.py").write_text("x = 2\n")
    assert _commit(tmp_path) == f"{head} with uncommitted changes"
