"""argon2id's parameters and how many hashes may run at once.

Each argon2 hash or verification holds its memory cost for its whole run, so unbounded
concurrent sign-ins or signups grow a worker process without bound (issue 11: 50 signups at
64 MiB each took a host to 2.4 GiB). Hashing therefore takes a slot; a caller that finds none
free within PASSWORD_HASH_WAIT_SECONDS gets 503 with Retry-After."""
from __future__ import annotations

import math
import os
import threading
from contextlib import contextmanager
from functools import cached_property, lru_cache
from pathlib import Path

from shared.errors import ServiceUnavailable
from shared.settings import get_settings

# OWASP Password Storage Cheat Sheet, first of its equivalent argon2id settings:
# m=19 MiB, t=2, p=1. Memory cost is per hash, in KiB.
MEMORY_COST_KIB = 19 * 1024
TIME_COST = 2
PARALLELISM = 1
MEMORY_COST_BYTES = MEMORY_COST_KIB * 1024
# The share of the instance's memory hashing may hold at once, and the most slots per core
# (argon2 is CPU-bound: more at once than the cores can run only holds memory longer).
MEMORY_SHARE = 1 / 8
SLOTS_PER_CORE = 4
RETRY_AFTER_SECONDS = 2

def _return_large_blocks_to_the_system() -> None:
    """glibc serves a freed 19 MiB block's successors from each thread's own arena once its
    dynamic mmap threshold has risen past it, and keeps them: 50 request threads would keep
    ~50 x 19 MiB resident whatever the slots. A fixed threshold (which also stops the dynamic
    one) makes every block of 1 MiB or more its own mapping, returned on free. Not glibc: no-op."""
    try:
        import ctypes
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, 1024 * 1024)
    except (OSError, AttributeError):
        pass


M_MMAP_THRESHOLD = -3  # glibc's malloc.h
_return_large_blocks_to_the_system()



class _Hasher:
    """argon2's PasswordHasher with the parameters above, made on first use: importing argon2
    is no cost for a cold start to pay (tests/shared/test_db.py)."""

    @cached_property
    def _hasher(self):
        from argon2 import PasswordHasher, Type
        return PasswordHasher(time_cost=TIME_COST, memory_cost=MEMORY_COST_KIB,
                              parallelism=PARALLELISM, hash_len=32, salt_len=16, type=Type.ID)

    def __getattr__(self, name):
        return getattr(self._hasher, name)


hasher = _Hasher()


def memory_limit_bytes() -> int:
    """The instance's memory: the cgroup's limit when there is one (containers, Flex
    Consumption), else the machine's physical memory."""
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(path).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 1 << 60:  # v1 says "no limit" with a huge number
            physical = _physical_memory()
            return min(int(text), physical) if physical else int(text)
    return _physical_memory() or 2 * 1024 ** 3


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


def default_slots(memory_bytes: int, cores: int) -> int:
    """An eighth of the memory in hashes, at most four per core, at least one."""
    by_memory = math.floor(memory_bytes * MEMORY_SHARE / MEMORY_COST_BYTES)
    return max(1, min(by_memory, SLOTS_PER_CORE * max(1, cores)))


@lru_cache(maxsize=1)
def slot_count() -> int:
    configured = get_settings().password_hash_concurrency
    return configured or default_slots(memory_limit_bytes(), os.cpu_count() or 1)


@lru_cache(maxsize=1)
def _slots() -> threading.BoundedSemaphore:
    return threading.BoundedSemaphore(slot_count())


@contextmanager
def slot():
    """Hold one hashing slot, waiting briefly for it; none free in time is a 503."""
    slots = _slots()
    if not slots.acquire(timeout=get_settings().password_hash_wait_seconds):
        raise ServiceUnavailable(
            "Too many sign-ins at once. Try again in a moment.",
            retry_after_seconds=RETRY_AFTER_SECONDS)
    try:
        yield
    finally:
        slots.release()
