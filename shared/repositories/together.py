"""Several single-row reads as one statement: one round trip (about 1 ms in Azure) where each
read alone is one. Each part is a repository's own (query, parameters) from its `*_statement`
function; the rows come back as each query alone returns them, with their types."""
from __future__ import annotations

import re

_PARAMETER = re.compile(r"%\((\w+)\)s")


def read(cur, **parts: tuple[str, str, dict]) -> dict[str, dict | None]:
    """`name=(columns, query, parameters)`: `query` selects exactly `columns` (plain column
    names, comma-separated) and finds at most one row (its first is taken, as fetchone would).
    Returns {name: the row, or None where the query found none}."""
    selected, joins, bound = [], [], {}
    for name, (columns, query, parameters) in parts.items():
        # Each part's parameters under its own name: `id` of one is not `id` of another.
        query = _PARAMETER.sub(lambda m: f"%({name}__{m[1]})s", query)
        bound.update({f"{name}__{key}": value for key, value in parameters.items()})
        names = [column.strip() for column in columns.split(",")]
        selected += [f'{name}.found AS "{name}."'] + [
            f'{name}.{column} AS "{name}.{column}"' for column in names]
        joins.append(f"LEFT JOIN LATERAL (SELECT true AS found, part.* FROM ({query}) AS part"
                     f" LIMIT 1) AS {name} ON true")
    cur.execute(f"SELECT {', '.join(selected)} FROM (SELECT 1) AS one {' '.join(joins)}", bound)
    row = cur.fetchone()
    found: dict[str, dict | None] = {}
    for name in parts:
        prefix = f"{name}."
        found[name] = ({key[len(prefix):]: value for key, value in row.items()
                        if key.startswith(prefix) and key != prefix}
                       if row[prefix] else None)
    return found
