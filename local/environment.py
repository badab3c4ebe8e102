"""The functions' settings for a while: set in the environment they are read from, and the
caller's put back afterwards (tests, benchmarks and fixtures that point the app somewhere else
and must leave the process as they found it)."""
from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Iterable, Iterator, Mapping


@contextmanager
def settings_environment(values: Mapping[str, str] | None = None, *,
                         restoring: Iterable[str] = ()) -> Iterator[None]:
    """Set `values`; on the way out put back what was there before, for their names and for the
    names in `restoring` (settings the body itself changes). The settings are read again on
    each change (get_settings is cached)."""
    from shared.settings import get_settings
    values = dict(values or {})
    saved = {name: os.environ.get(name) for name in (*values, *restoring)}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()
