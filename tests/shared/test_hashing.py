"""argon2id's stated parameters, the hashing slots sized from memory, and the 503 with
Retry-After for a caller that finds none free in time."""
from __future__ import annotations

import threading

import pytest
from argon2 import extract_parameters

from shared import hashing
from shared.security import hash_password, verify_password
from tests.factories import PASSWORD, fresh_address

GiB = 1024 ** 3


def test_hashes_use_owasps_argon2id_parameters():
    stored = hash_password(PASSWORD)
    parameters = extract_parameters(stored)

    assert stored.startswith("$argon2id$")
    # OWASP Password Storage Cheat Sheet: m=19 MiB, t=2, p=1 is a recommended minimum.
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        19 * 1024, 2, 1)
    assert verify_password(stored, PASSWORD) and not verify_password(stored, PASSWORD + "!")


@pytest.mark.parametrize("memory, cores, slots", [
    (2 * GiB, 1, 4),       # Flex Consumption 2 GB, one core: the cores bound it
    (4 * GiB, 2, 8),
    (1 * GiB, 8, 6),       # 128 MiB / 19 MiB: the memory bounds it
    (128 * 1024 ** 2, 4, 1),
])
def test_the_default_slots_are_an_eighth_of_memory_and_at_most_four_per_core(memory, cores,
                                                                             slots):
    assert hashing.default_slots(memory, cores) == slots


def test_the_instance_memory_is_read():
    assert 64 * 1024 ** 2 < hashing.memory_limit_bytes() < 1024 ** 5


def test_a_caller_finding_no_slot_in_time_gets_503_with_retry_after(client, org, one_slot):
    held, release = threading.Event(), threading.Event()

    def hold():
        with one_slot.slot():
            held.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert held.wait(10)
        response = client.post("/api/auth/login", headers={"X-Forwarded-For": fresh_address()},
                               json={"subdomain": org.subdomain, "email": org.email,
                                     "password": org.password})
    finally:
        release.set()
        holder.join(10)

    assert response.status == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == str(hashing.RETRY_AFTER_SECONDS)
    assert response.json()["detail"] == "Too many sign-ins at once. Try again in a moment."
    after = client.post("/api/auth/login", headers={"X-Forwarded-For": fresh_address()},
                        json={"subdomain": org.subdomain, "email": org.email,
                              "password": org.password})
    assert after.status == 200, after.body
