import pytest

# The factories assert on the responses they get: let pytest explain those failures too.
pytest.register_assert_rewrite("tests.factories")
