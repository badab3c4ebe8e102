"""A throwaway three-node Citus cluster for the tests and for trying the scale-out locally.

    python -m local.citus start      # install Citus if missing, start the cluster, provision,
                                     # migrate and distribute; prints the functions' settings
    python -m local.citus destroy    # stop the cluster and remove its data

It drives ../shared/citus (CITUS_DIR overrides): `install.sh` unpacks a Citus 13.2.2 build for
this machine's PostgreSQL 15 (needs root), `cluster.sh` runs a coordinator and two workers under
CITUS_BASE on CITUS_PORTS (the coordinator first). Citus does not propagate CREATE DATABASE, so
the database is created, granted and given the extension on every node; roles are created on
the coordinator's `postgres` database, which has Citus, and propagate to the workers.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from psycopg2 import sql

from local.database import ROOT, Provisioned, _exists, admin_execute
from shared.migrate import migrate

def _citus_dir() -> Path:
    """Where the Citus build to install is: CITUS_DIR, else the team's reference folder beside
    this checkout, else where it sits on the team's machines (a clone elsewhere, e.g. CI's)."""
    if os.environ.get("CITUS_DIR"):
        return Path(os.environ["CITUS_DIR"])
    candidates = [ROOT.parent / "shared" / "citus", Path("/work/shared/citus")]
    return next((path for path in candidates if (path / "install.sh").exists()), candidates[0])


CITUS_DIR = _citus_dir()
# The throwaway cluster's script, kept with the code (only the build comes from CITUS_DIR).
CLUSTER_SCRIPT = Path(__file__).resolve().parent / "citus_cluster.sh"
CITUS_LIBRARY = Path("/usr/lib/postgresql/15/lib/citus.so")


class CitusUnavailable(RuntimeError):
    """Citus cannot be installed or started here; the message says why."""


def install() -> None:
    """Install Citus from CITUS_DIR unless it is installed; CitusUnavailable says why not."""
    if CITUS_LIBRARY.exists():
        return
    script = CITUS_DIR / "install.sh"
    if not script.exists():
        raise CitusUnavailable(f"Citus is not installed ({CITUS_LIBRARY} missing) and {script} "
                               "is not there to install it (set CITUS_DIR)")
    if os.geteuid() != 0:
        raise CitusUnavailable(f"Citus is not installed ({CITUS_LIBRARY} missing) and {script} "
                               f"needs root: run `sudo {script}` once")
    done = subprocess.run([str(script)], capture_output=True, text=True)
    if done.returncode != 0:
        raise CitusUnavailable(f"{script} failed: {done.stderr.strip() or done.stdout.strip()}")


@dataclass(frozen=True)
class Cluster:
    base: str
    ports: tuple[int, int, int]

    @property
    def admin_dsn(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports[0]}/postgres"

    def node_dsn(self, port: int, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{port}/{database}"

    def _run(self, *args: str) -> None:
        env = {**os.environ, "CITUS_BASE": self.base,
               "CITUS_PORTS": " ".join(str(p) for p in self.ports)}
        done = subprocess.run([str(CLUSTER_SCRIPT), *args], env=env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise CitusUnavailable(f"cluster.sh {' '.join(args)} failed: "
                                   f"{done.stderr.strip() or done.stdout.strip()}")

    def start(self) -> "Cluster":
        install()
        if os.geteuid() != 0:
            raise CitusUnavailable("cluster.sh runs the servers as the postgres user: needs root")
        self._run("start")
        return self

    def destroy(self) -> None:
        self._run("destroy")

    def provision(self, database: str, owner_role: str, app_role: str,
                  distribute: bool = True, shard_count: int | None = None) -> Provisioned:
        """The roles, the database on every node, the migrations and (unless told not to) the
        distribution step; the same grants as local.database.provision. `shard_count` sets the
        database's citus.shard_count (Citus's default, 32, unless given)."""
        for role, extra in ((owner_role, sql.SQL("")), (app_role, sql.SQL(" NOINHERIT"))):
            if not _exists(self.admin_dsn, "SELECT 1 FROM pg_roles WHERE rolname = %s", role):
                admin_execute(self.admin_dsn, sql.SQL(
                    "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS{}"
                ).format(sql.Identifier(role), extra))
        self._run("db", database, owner_role)
        for port in self.ports:
            node = self.node_dsn(port)
            admin_execute(node, sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(
                sql.Identifier(database)))
            admin_execute(node, sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}, {}").format(
                sql.Identifier(database), sql.Identifier(owner_role), sql.Identifier(app_role)))
        if shard_count:
            admin_execute(self.admin_dsn, sql.SQL("ALTER DATABASE {} SET citus.shard_count = {}").format(
                sql.Identifier(database), sql.Literal(shard_count)))
        target = Provisioned(self.admin_dsn, database, owner_role, app_role)
        migrate(target.owner_dsn, app_role=app_role, distribute=distribute)
        return target

    def drop(self, target: Provisioned) -> None:
        """Drop the database on every node, then the roles (propagated from the coordinator)."""
        for port in self.ports:
            admin_execute(self.node_dsn(port), sql.SQL(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.database)))
        for role in (target.app_role, target.owner_role):
            admin_execute(self.admin_dsn, sql.SQL("DROP ROLE IF EXISTS {}").format(
                sql.Identifier(role)))


def from_environment() -> Cluster:
    ports = tuple(int(p) for p in os.environ.get("CITUS_PORTS", "56432 56433 56434").split())
    if len(ports) != 3:
        raise SystemExit("CITUS_PORTS names three ports: the coordinator's, then two workers'")
    return Cluster(os.environ.get("CITUS_BASE", "/tmp/snf-citus"), ports)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("start", "destroy"))
    args = parser.parse_args(argv)
    cluster = from_environment()
    if args.command == "destroy":
        cluster.destroy()
        return 0
    try:
        cluster.start()
    except CitusUnavailable as exc:
        print(f"citus: {exc}", file=sys.stderr)
        return 1
    target = cluster.provision("snf_citus", "snf_owner", "snf_app")
    print(f"citus: coordinator {cluster.admin_dsn}; database {target.database} migrated and "
          "distributed")
    print("the functions' settings for it: " + " ".join(
        f"{k}={v}" for k, v in target.function_settings().items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
