"""The mix a facility's day looks like, sent by threads of simulated users, each on one
keep-alive connection: evaluations and saved admissions, lists, the dashboard, a facility, and
sign-ins (argon2 on every one)."""
from __future__ import annotations

import http.client
import json
import random
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from bench.organization import Organization

PASSWORD = "correct horse battery staple"
# (operation, weight): evaluations dominate a coordinator's day; sign-ins are rarer but cost
# the most (one argon2 verification each).
MIX = (("evaluate", 30), ("create", 15), ("list", 15), ("dashboard", 15), ("facility", 15),
       ("sign_in", 10))
EXPECTED = {"evaluate": 200, "create": 201, "list": 200, "dashboard": 200, "facility": 200,
            "sign_in": 200}


@dataclass
class Tally:
    """Every request's latency by operation, and every unexpected answer."""
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, operation: str, seconds: float, problem: str | None) -> None:
        with self.lock:
            self.latencies.setdefault(operation, []).append(seconds)
            if problem:
                self.errors.append(problem)


def referral(org: Organization, rng: random.Random) -> dict:
    payer_type = rng.choice(sorted(org.payers))
    received = datetime.now(timezone.utc) - timedelta(hours=2)
    body = {"facility_id": rng.choice(org.facilities)["id"],
            "payer_id": org.payers[payer_type]["id"],
            "length_of_stay_days": rng.randint(5, 60),
            "acuity": rng.choice(["low", "moderate", "high", "complex"]),
            "required_services": rng.sample(["iv_therapy", "oxygen", "isolation"], k=rng.randint(0, 2)),
            "referral_received_at": received.replace(microsecond=0).isoformat()}
    if payer_type == "medicare_a":
        body["hipps_code"] = rng.choice(["KBGE1", "DCAA1", "HLBF1"])
    return body


def request(org: Organization, operation: str, rng: random.Random) -> tuple[str, str, dict | None]:
    """(method, path, body) of one operation."""
    if operation == "evaluate":
        return "POST", "/api/admissions/evaluate", referral(org, rng)
    if operation == "create":
        return "POST", "/api/admissions", referral(org, rng)
    if operation == "list":
        return "GET", "/api/admissions?limit=25", None
    if operation == "dashboard":
        return "GET", "/api/dashboard", None
    if operation == "facility":
        return "GET", f"/api/facilities/{rng.choice(org.facilities)['id']}", None
    return "POST", "/api/auth/login", {"subdomain": org.subdomain,
                                       "email": f"owner@{org.subdomain}.example",
                                       "password": PASSWORD}


def client(port: int, org: Organization, until: float, tally: Tally, seed: int) -> None:
    """One simulated user: operations drawn from MIX until the deadline."""
    rng = random.Random(seed)
    operations, weights = zip(*MIX)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        while time.monotonic() < until:
            operation = rng.choices(operations, weights)[0]
            method, path, body = request(org, operation, rng)
            headers = {"Authorization": f"Bearer {org.token}"}
            data = None
            if body is not None:
                data = json.dumps(body).encode()
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=headers)
                response = conn.getresponse()
                answer = response.read()
                problem = None
                if response.status != EXPECTED[operation]:
                    problem = f"{operation}: {response.status} {answer[:200]!r}"
            except (OSError, http.client.HTTPException) as exc:
                problem = f"{operation}: {type(exc).__name__}"
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            tally.add(operation, time.perf_counter() - started, problem)
    finally:
        conn.close()
