"""Run the product locally.

    python -m local serve            # database, migrations, demo organization, http://127.0.0.1:7071
    python -m local serve --stripe-fake   # the same, with billing against a local fake of Stripe
    python -m local timer NAME       # run one timer function now, by its function name
    python -m local index            # write functions/index.py from the blueprints (make index)
    python -m local migrate          # only provision the database and apply the migrations
    python -m local load-pdpm-year … # load a Medicare fiscal year from CMS pricer files

DATABASE_URL, when set, names the PostgreSQL server to use, as a role that may create roles and
databases, and the database to keep the data in (created when missing; snf_local when the URL
names the server's maintenance database, postgres); otherwise an embedded PostgreSQL keeps its
data under .local/, in snf_local. PORT overrides 7071.
"""
from __future__ import annotations

import argparse
import base64
import json
import logging
import os
import secrets
import signal
import sys
import threading

from local.database import (LOCAL_DATABASE, LOCAL_DIR, DatabaseTaken, embedded_server, provision,
                            run_database)

DEMO_LOGIN = LOCAL_DIR / "demo-login.json"
TOTP_KEY = LOCAL_DIR / "totp-encryption-key"
log = logging.getLogger("snf.local")


def _database():
    """Provision the local database and point the functions' settings at it. Returns the
    embedded server (kept referenced: it stops when this process ends) or None."""
    server = None
    url = os.environ.get("DATABASE_URL")
    if url:
        database, admin_url = run_database(url)
    else:
        server = embedded_server()
        database, admin_url = LOCAL_DATABASE, server.get_uri()
        print(f"embedded PostgreSQL: data in {LOCAL_DIR / 'pgdata'}")
    try:
        target = provision(admin_url, database=database, owner_role="snf_owner",
                           app_role="snf_app")
    except DatabaseTaken as exc:
        raise SystemExit(str(exc)) from None
    settings = target.function_settings()
    print(f"database {database} on {settings['DB_HOST']}:{settings['DB_PORT']}")
    os.environ.update(settings)
    os.environ.setdefault("EMAIL_FILE_DIR", str(LOCAL_DIR / "mail"))
    if not os.environ.get("TOTP_ENCRYPTION_KEY"):
        os.environ["TOTP_ENCRYPTION_KEY"] = _totp_key()
    # Links in e-mails lead to this host on the port it serves (PORT), unless set otherwise.
    os.environ.setdefault("PUBLIC_BASE_URL", f"http://127.0.0.1:{os.environ.get('PORT', '7071')}")
    # Settings read before now (an import, a check) lacked these values: read them again.
    from shared.settings import get_settings
    get_settings.cache_clear()
    return server


def _totp_key() -> str:
    """The key that seals two-factor secrets, made once and kept in .local/ (the secrets
    sealed under it are unreadable without it)."""
    if not TOTP_KEY.exists():
        TOTP_KEY.parent.mkdir(parents=True, exist_ok=True)
        TOTP_KEY.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode())
        TOTP_KEY.chmod(0o600)
    return TOTP_KEY.read_text().strip()


def _demo_organization() -> dict:
    """Create the demo organization once in the database; its owner's sign-in is kept in
    .local/, and is the demo owner's in any database make run is pointed at (DATABASE_URL)."""
    from shared import db
    from shared.errors import Conflict
    from shared.models.auth import SignupIn
    from shared.repositories import organizations
    from shared.services import auth

    if DEMO_LOGIN.exists():
        login = json.loads(DEMO_LOGIN.read_text())
        with db.dangerously_cross_tenant_transaction(db.ORGANIZATION_LOOKUP) as cur:
            if organizations.find_id_by_subdomain(cur, subdomain=login["subdomain"]):
                return login
    else:
        login = {"subdomain": "demo", "email": "owner@demo.example",
                 "password": os.environ.get("DEMO_PASSWORD") or secrets.token_urlsafe(12)}
    try:
        auth.signup(SignupIn(organization_name="Demo Senior Care", subdomain=login["subdomain"],
                             email=login["email"], password=login["password"]),
                    source_address="127.0.0.1", request_id="make-run")
    except Conflict:
        print("the demo organization exists but .local/demo-login.json is gone: "
              "remove .local/ to start over", file=sys.stderr)
        raise
    DEMO_LOGIN.parent.mkdir(parents=True, exist_ok=True)
    DEMO_LOGIN.write_text(json.dumps(login))
    DEMO_LOGIN.chmod(0o600)
    return login


def _stripe_fake(port: int):
    """Start the local fake of Stripe and point the billing settings at it; its webhooks go
    to this host's /api/stripe/webhook, signed with the secret the settings name."""
    from local.stripe_fake import FakeStripe
    fake = FakeStripe(webhook_url=f"http://127.0.0.1:{port}/api/stripe/webhook",
                      port=int(os.environ.get("STRIPE_FAKE_PORT", "12111"))).start()
    os.environ.update(STRIPE_API_BASE=fake.url, STRIPE_SECRET_KEY="sk_test_local_fake",
                      STRIPE_WEBHOOK_SECRET=fake.webhook_secret,
                      STRIPE_PRICE_STARTER="price_starter",
                      STRIPE_PRICE_PROFESSIONAL="price_professional")
    from shared.settings import get_settings
    get_settings.cache_clear()
    print(f"Stripe: a local fake at {fake.url} (checkout and portal pages included)")
    return fake


def serve(stripe_fake: bool = False) -> int:
    server = _database()
    port = int(os.environ.get("PORT", "7071"))
    fake = _stripe_fake(port) if stripe_fake else None
    from function_app import app
    from local.host import make_server

    login = _demo_organization()
    from local import demo
    if demo.populate(login):
        print("demo data added: 3 facilities, 6 payers, rates, cost models, 120 referrals")
    if not (fake or os.environ.get("STRIPE_SECRET_KEY")):
        print("Billing is not configured (make run STRIPE=fake for a local fake of Stripe)")
    print(f"The demo organization is on the {demo.plan_of(login)} plan, which holds its data; "
          "a new signup starts a 14-day trial.")
    http = make_server(app, "127.0.0.1", port)
    print(f"\nServing http://127.0.0.1:{port}  (API under /api, OpenAPI at /api/openapi.json)")
    print(f"Demo organization: subdomain {login['subdomain']}, e-mail {login['email']}, "
          f"password {login['password']}  (also in {DEMO_LOGIN})")
    # LOCAL_TIMERS=manual: timers run only when asked (`make timer NAME=...`), for tests that
    # must see a timer's work one run at a time without the schedule running it in between.
    scheduled = os.environ.get("LOCAL_TIMERS", "scheduled") != "manual"
    print(("Timers run on their schedules" if scheduled else
           "Timers run only when asked (LOCAL_TIMERS=manual: make timer NAME=...)")
          + f"; e-mails are written to {os.environ['EMAIL_FILE_DIR']}")
    print("Ctrl-C stops everything.\n", flush=True)
    stop = threading.Event()
    # Ctrl-C (and a plain kill) stop the server, the timers and the embedded database, even
    # when the shell started us with SIGINT ignored.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    from local.scheduler import Scheduler
    from shared.routing import timer_functions
    timers = Scheduler(timer_functions(app) if scheduled else [])
    timers.start()
    while not stop.wait(0.5):
        pass
    timers.stop.set()
    http.shutdown()
    if fake:
        fake.stop()
    from shared import db
    db.close_pool()
    del server  # cleanup_mode="stop": the embedded PostgreSQL stops with the last reference
    print("stopped")
    return 0


def run_timer(name: str) -> int:
    """Run one timer function now, by its function name, as the host would on schedule."""
    from azure.functions.timer import TimerRequest  # the concrete class the worker passes

    from function_app import app
    from shared.routing import timer_functions

    timers = {t.name: t for t in timer_functions(app)}
    if name not in timers:
        print(f"no timer function {name!r}; there are: {', '.join(sorted(timers))}",
              file=sys.stderr)
        return 2
    server = _database()
    try:
        timers[name].function(TimerRequest(past_due=False))
    finally:
        from shared import db
        db.close_pool()
        del server
    print(f"ran {name}")
    return 0


def write_index() -> int:
    """Write functions/index.py, the functions function_app registers, from the blueprints."""
    from pathlib import Path

    from function_app import app
    from shared.routing import INDEX_PATH, index_source

    path = Path(__file__).resolve().parent.parent / INDEX_PATH
    source = index_source(app.auth_level)
    if path.read_text() == source:
        print(f"{INDEX_PATH} is up to date")
    else:
        path.write_text(source)
        print(f"wrote {INDEX_PATH}: commit it with the blueprints that changed it")
    return 0


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["load-pdpm-year"]:
        from local import pdpm_year
        return pdpm_year.main(argv[1:])
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(prog="python -m local", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    serve_command = commands.add_parser("serve")
    serve_command.add_argument("--stripe-fake", action="store_true",
                               help="billing against a local fake of Stripe (local/stripe_fake.py)")
    commands.add_parser("migrate")
    commands.add_parser("load-pdpm-year", help="see local/pdpm_year.py")
    timer = commands.add_parser("timer")
    timer.add_argument("name")
    commands.add_parser("index", help="write functions/index.py from the blueprints")
    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve(stripe_fake=args.stripe_fake)
    if args.command == "timer":
        return run_timer(args.name)
    if args.command == "index":
        return write_index()
    _database()
    print("database ready")
    return 0


if __name__ == "__main__":
    sys.exit(main())
