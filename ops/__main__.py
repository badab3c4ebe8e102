"""The operator's commands, run against the database like the migrations:

    python -m ops list                                   # organizations: plan, standing, usage
    python -m ops enterprise SUBDOMAIN [--facilities N] [--users N] [--admissions N]
    python -m ops extend-trial SUBDOMAIN --days N
    python -m ops suspend SUBDOMAIN --reason TEXT
    python -m ops reactivate SUBDOMAIN

The database is the functions' own (the DB_* settings, as in Azure); without DB_HOST set, the
local one that `make run` uses. Every change writes an audit row naming the operator
(--operator, else the login name)."""
from __future__ import annotations

import argparse
import getpass
import os
import sys


def _limit(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1 (leave it out for no limit)")
    return value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__.splitlines()[0])
    parser.add_argument("--operator", default=None,
                        help="who is acting, for the audit log (default: the login name)")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="organizations with plan, standing and usage")
    enterprise = commands.add_parser("enterprise", help="put an organization on Enterprise")
    enterprise.add_argument("subdomain")
    for name in ("facilities", "users", "admissions"):
        enterprise.add_argument(f"--{name}", type=_limit, default=None,
                                help=f"the contract's limit of {name} (default: none)")
    extend = commands.add_parser("extend-trial", help="give a trial more days")
    extend.add_argument("subdomain")
    extend.add_argument("--days", type=_limit, required=True)
    suspend = commands.add_parser("suspend", help="make an organization read-only")
    suspend.add_argument("subdomain")
    suspend.add_argument("--reason", required=True)
    reactivate = commands.add_parser("reactivate", help="end a suspension")
    reactivate.add_argument("subdomain")
    return parser


def _fraction(pair) -> str:
    used, limit = pair
    return f"{used}/{'-' if limit is None else limit}"


def _print_list(rows) -> None:
    print(f"{'subdomain':<24} {'tier':<13} {'state':<10} {'reason':<12} "
          f"{'admissions':>10} {'facilities':>10} {'users':>7}  trial ends")
    for r in rows:
        ends = f"{r['trial_ends_at']:%Y-%m-%d %H:%M}" if r["tier"] == "trial" else ""
        print(f"{r['subdomain']:<24} {r['tier']:<13} {r['state']:<10} {r['reason'] or '':<12} "
              f"{_fraction(r['admissions']):>10} {_fraction(r['facilities']):>10} "
              f"{_fraction(r['users']):>7}  {ends}")


def run(args) -> int:
    from shared.errors import ProblemError
    from shared.services import operator
    who = args.operator or getpass.getuser()
    try:
        if args.command == "list":
            _print_list(operator.list_organizations())
            return 0
        if args.command == "enterprise":
            account = operator.set_enterprise(args.subdomain, who, max_facilities=args.facilities,
                                              max_users=args.users, max_admissions=args.admissions)
        elif args.command == "extend-trial":
            account = operator.extend_trial(args.subdomain, who, days=args.days)
        elif args.command == "suspend":
            account = operator.suspend(args.subdomain, who, reason=args.reason)
        else:
            account = operator.reactivate(args.subdomain, who)
    except ProblemError as exc:
        print(f"ops: {exc.detail}", file=sys.stderr)
        return 1
    print(f"{account['subdomain']}: {account['plan_name']}, {account['status']}"
          + (", suspended" if account["suspended_at"] else "")
          + (f", trial ends {account['trial_ends_at']:%Y-%m-%d %H:%M} UTC"
             if account["status"] == "trialing" else ""))
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    server = None
    if not os.environ.get("DB_HOST"):  # no deployment's settings: the local database
        from local.__main__ import _database
        server = _database()
    try:
        return run(args)
    finally:
        from shared import db
        db.close_pool()
        del server


if __name__ == "__main__":
    sys.exit(main())
