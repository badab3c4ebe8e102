"""Move a single-tenant deployment of the legacy Flask app in as one organization.

    python -m legacy generate --legacy DSN [--admissions N] [--users N] [--facilities N]
    python -m legacy migrate  --legacy DSN --target DSN --name NAME --subdomain SUB --tier TIER
                              --owner-email EMAIL --backup-confirmed "WHICH BACKUP"
    python -m legacy verify   --legacy DSN --target DSN --subdomain SUB [--sample N]
    python -m legacy rollback --target DSN --subdomain SUB --confirm SUB [--discard-new-work]

DSNs may come from LEGACY_DATABASE_URL and TARGET_DATABASE_URL instead (keeps passwords out of
the shell's history). --target connects as the role that owns the product's schema. Exit status:
0 done (verify: every check passed), 1 failed or a check failed, 2 refused (bad input, nothing
done), 3 another run holds the lock, 4 the legacy database has rows the product cannot take.
The runbook: docs/legacy-migration.md."""
from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys

from legacy.connections import ToolError


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError("must not be negative")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m legacy", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operator", default=None,
                        help="who is acting, for the audit log (default: the login name)")
    commands = parser.add_subparsers(dest="command", required=True)

    def databases(command, legacy=True, target=True):
        if legacy:
            command.add_argument("--legacy", default=os.environ.get("LEGACY_DATABASE_URL"),
                                 help="the legacy database (default LEGACY_DATABASE_URL)")
        if target:
            command.add_argument("--target", default=os.environ.get("TARGET_DATABASE_URL"),
                                 help="the product's database, as its schema owner "
                                      "(default TARGET_DATABASE_URL)")

    generate = commands.add_parser("generate", help="create and fill a legacy database "
                                                    "(an empty one) with realistic data")
    databases(generate, target=False)
    generate.add_argument("--admissions", type=_positive, default=500)
    generate.add_argument("--users", type=_positive, default=8)
    generate.add_argument("--facilities", type=_positive, default=3)
    generate.add_argument("--password", default="legacy passphrase 2019",
                          help="every generated user's password")
    generate.add_argument("--fast-hashes", action="store_true",
                          help="cheap Werkzeug parameters (tests), same formats")
    generate.add_argument("--seed", type=int, default=7)

    migrate = commands.add_parser("migrate", help="move the legacy database in (or resume)")
    databases(migrate)
    migrate.add_argument("--name", required=True, help="the organization's name")
    migrate.add_argument("--subdomain", required=True)
    migrate.add_argument("--tier", required=True,
                         choices=("trial", "starter", "professional", "enterprise"))
    migrate.add_argument("--owner-email", required=True,
                         help="the legacy user who becomes the organization's owner")
    migrate.add_argument("--backup-confirmed", metavar="WHICH BACKUP", default=None,
                         help="required: names the backup of the legacy database taken for "
                              "this move (recorded with the import)")
    migrate.add_argument("--chunk", type=_positive, default=100_000,
                         help="legacy ids per transaction for the large tables")
    migrate.add_argument("--workers", type=_positive, default=2,
                         help="transactions in parallel on a large table (default 2)")

    verify = commands.add_parser("verify", help="prove the move; non-zero on any difference")
    databases(verify)
    verify.add_argument("--subdomain", required=True)
    verify.add_argument("--sample", type=_positive, default=20,
                        help="admissions evaluated again by the current engine")
    verify.add_argument("--seed", type=int, default=None)

    rollback = commands.add_parser("rollback", help="delete the moved organization")
    databases(rollback, legacy=False)
    rollback.add_argument("--subdomain", required=True)
    rollback.add_argument("--confirm", default=None, help="the subdomain again")
    rollback.add_argument("--discard-new-work", action="store_true",
                          help="also when work was done in the product since the move")
    return parser


def _generate(args) -> int:
    from legacy import generate
    from legacy.connections import connect
    conn = connect(args.legacy, "legacy")
    try:
        with conn, conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")
            if cur.fetchone()[0]:
                raise ToolError("The legacy database is not empty; generate fills a new one "
                                "(createdb NAME first).", 2)
            generate.create_schema(cur)
            counts = generate.fill(cur, generate.Volume(
                admissions=args.admissions, users=max(args.users, 1),
                facilities=max(args.facilities, 1), password=args.password,
                hashes="fast" if args.fast_hashes else "werkzeug", seed=args.seed))
    finally:
        conn.close()
    print("legacy database filled: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()))
    print("every user's password is the one given with --password")
    return 0


def _migrate(args, who: str) -> int:
    from legacy.migrate import Request, migrate
    from legacy.progress import Printer
    outcome = migrate(Request(
        legacy_dsn=args.legacy, target_dsn=args.target, name=args.name,
        subdomain=args.subdomain, tier=args.tier, owner_email=args.owner_email,
        backup=args.backup_confirmed or "", operator=who, chunk=args.chunk or 1,
        workers=args.workers), Printer())
    total = sum(outcome.counts.values())
    print(f"{'resumed and ' if outcome.resumed else ''}moved {total:,} rows in "
          f"{outcome.seconds:.1f} s ({total / max(outcome.seconds, 1e-9):,.0f} rows/s) into "
          f"organization {outcome.organization_id}")
    print("next: python -m legacy verify --subdomain " + args.subdomain.lower())
    return 0


def _verify(args) -> int:
    from legacy.verify import report, verify
    checks = verify(args.legacy, args.target, args.subdomain, sample=args.sample,
                    seed=args.seed)
    print(report(checks))
    return 0 if all(c.passed for c in checks) else 1


def _rollback(args, who: str) -> int:
    from legacy.rollback import rollback
    deleted = rollback(args.target, args.subdomain, confirm=args.confirm, operator=who,
                       discard_new_work=args.discard_new_work)
    print("deleted: " + ", ".join(f"{t} {n:,}" for t, n in deleted.items()))
    print("checked: no row of the organization is left in any table; the legacy database was "
          "not touched")
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s %(message)s")
    who = args.operator or getpass.getuser()
    try:
        if args.command == "generate":
            return _generate(args)
        if args.command == "migrate":
            return _migrate(args, who)
        if args.command == "verify":
            return _verify(args)
        return _rollback(args, who)
    except ToolError as exc:
        print(f"legacy {args.command}: {exc}", file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print(f"legacy {args.command}: interrupted; every finished chunk is committed. Run the "
              "same command again to resume.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
