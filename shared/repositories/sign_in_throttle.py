"""SQL for the sign-in throttle: attempt counters by hashed key, in fixed windows, and remembered
successes (an account's recent sign-in address: a row with no failures, started when it was
last seen). Only inside dangerously_cross_tenant_transaction('sign-in throttle')."""
from __future__ import annotations

from datetime import timedelta


def count(cur, *, key_hash: bytes, window: timedelta) -> dict:
    """Count an attempt, in the open window or in a new one that starts now; the row lock of
    the upsert makes concurrent attempts count one after another. Returns the new count and
    when the window ends."""
    cur.execute("""
        INSERT INTO sign_in_throttle AS t (key_hash, failures, window_started_at)
        VALUES (%(key_hash)s, 1, now())
        ON CONFLICT (key_hash) DO UPDATE SET
            failures = CASE WHEN t.window_started_at > now() - %(window)s
                            THEN t.failures + 1 ELSE 1 END,
            window_started_at = CASE WHEN t.window_started_at > now() - %(window)s
                                     THEN t.window_started_at ELSE now() END
        RETURNING failures, window_started_at + %(window)s AS window_ends_at
    """, {"key_hash": key_hash, "window": window})
    return cur.fetchone()


def uncount(cur, *, key_hash: bytes) -> None:
    """Take one attempt back (a success from a shared address is not an attack)."""
    cur.execute("""
        UPDATE sign_in_throttle SET failures = greatest(failures - 1, 0)
         WHERE key_hash = %(key_hash)s
    """, {"key_hash": key_hash})


def clear(cur, *, key_hash: bytes) -> None:
    cur.execute("DELETE FROM sign_in_throttle WHERE key_hash = %(key_hash)s",
                {"key_hash": key_hash})


def remember(cur, *, key_hash: bytes) -> None:
    """Remember a success under this key from now on (no failures: it counts nothing)."""
    cur.execute("""
        INSERT INTO sign_in_throttle (key_hash, failures, window_started_at)
        VALUES (%(key_hash)s, 0, now())
        ON CONFLICT (key_hash) DO UPDATE SET failures = 0, window_started_at = now()
    """, {"key_hash": key_hash})


def remembered(cur, *, key_hash: bytes, within: timedelta) -> bool:
    cur.execute("""
        SELECT EXISTS (SELECT 1 FROM sign_in_throttle
                        WHERE key_hash = %(key_hash)s AND failures = 0
                          AND window_started_at > now() - %(within)s) AS remembered
    """, {"key_hash": key_hash, "within": within})
    return cur.fetchone()["remembered"]


def delete_expired(cur, *, window: timedelta, remembered_for: timedelta) -> int:
    """Forget counters whose window closed, and remembered successes (no failures) older than
    remembered_for."""
    cur.execute("""
        DELETE FROM sign_in_throttle
         WHERE (failures > 0 AND window_started_at < now() - %(window)s)
            OR window_started_at < now() - %(remembered_for)s
    """, {"window": window, "remembered_for": remembered_for})
    return cur.rowcount
