"""A throwaway three-node Citus cluster for the tests and for trying the scale-out locally.

    python -m local.citus start      # install Citus if missing, start the cluster, provision,
                                     # migrate and distribute; prints the functions' settings
    python -m local.citus destroy    # stop the cluster and remove its data

It drives ../shared/citus (CITUS_DIR overrides): `install.sh` unpacks a Citus 13.2.2 build for
this machine's PostgreSQL 15 (needs root), `cluster.sh` runs a coordinator and two workers under
CITUS_BASE on CITUS_PORTS (the coordinator first). Databases are provisioned through the coordinator alone, as
on a managed cluster (Coordinator below): `CITUS_TEST_URL` points the tests at any other one.
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import psycopg2
import psycopg2.errors
from psycopg2 import sql
from psycopg2.extensions import make_dsn, parse_dsn

from local.database import ROOT, Provisioned, create_roles, database_statements
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


# Citus creates, grants and drops a database on every node when this is on (12.1 and later).
PROPAGATE_DATABASES = "SET citus.enable_create_database_propagation = on"


class Coordinator:
    """Any Citus coordinator, reached by URL (CITUS_TEST_URL, or the local cluster's), with its
    workers registered in the URL's database. Everything goes through it, as where only the
    coordinator answers: the roles and the database are created there and Citus (12.1+)
    propagates them; the extension is created on the workers through the coordinator's own
    connections to them. The URL's role must be able to create roles, databases and the
    `citus` extension. (Azure's managed clusters have one database and refuse CREATE
    DATABASE: this is for a self-managed Citus.)"""

    def __init__(self, url: str):
        self.admin_dsn = url

    def start(self) -> "Coordinator":
        return self  # it runs already; databases are made and dropped through it

    def destroy(self) -> None:
        pass  # not ours to stop

    def _execute(self, *statements, database: str | None = None) -> list[tuple]:
        """Statements in order on one autocommit connection; the last one's rows."""
        dsn = make_dsn(self.admin_dsn, dbname=database) if database else self.admin_dsn
        conn = psycopg2.connect(dsn, connect_timeout=10)
        conn.autocommit = True
        try:
            with conn.cursor() as cur:
                for statement in statements:
                    cur.execute(statement)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()

    def citus_version(self) -> str:
        return self._execute("SELECT extversion FROM pg_extension WHERE extname = 'citus'")[0][0]

    def nodes(self) -> tuple[tuple[str, int], list[tuple[str, int]]]:
        """(the coordinator as the workers reach it, the active primary workers), as the URL's
        database registers them."""
        try:
            rows = self._execute("SELECT groupid, nodename, nodeport FROM pg_dist_node"
                                 " WHERE isactive AND noderole = 'primary'"
                                 " ORDER BY groupid, nodeport")
        except psycopg2.errors.UndefinedTable:
            raise CitusUnavailable("the URL's database has no `citus` extension: name the "
                                   "coordinator's Citus database (e.g. postgres)") from None
        workers = [(host, port) for group, host, port in rows if group != 0]
        if not workers:
            raise CitusUnavailable("the coordinator has no active workers in pg_dist_node")
        url = parse_dsn(self.admin_dsn)
        coordinator = next(((host, port) for group, host, port in rows if group == 0),
                           (url.get("host", "127.0.0.1"), int(url.get("port", 5432))))
        return coordinator, workers

    def provision(self, database: str, owner_role: str, app_role: str,
                  distribute: bool = True, shard_count: int | None = None) -> Provisioned:
        """The roles, the database on every node, the migrations and (unless told not to) the
        distribution step; the same grants as local.database.provision. `shard_count` sets the
        database's citus.shard_count (Citus's default, 32, unless given)."""
        coordinator, workers = self.nodes()
        create_roles(self.admin_dsn, owner_role, app_role)  # Citus propagates roles
        settings = [sql.SQL("ALTER DATABASE {} SET citus.shard_count = {}").format(
            sql.Identifier(database), sql.Literal(shard_count))] if shard_count else []
        self._execute(PROPAGATE_DATABASES,
                      *database_statements(database, owner_role, app_role), *settings)
        # Citus's metadata is per database: the extension in the new database on every node,
        # then the nodes registered in it, as they are in the URL's database.
        hosts, ports = [h for h, _ in workers], [p for _, p in workers]
        created = self._execute("CREATE EXTENSION IF NOT EXISTS citus", sql.SQL(
            "SELECT node_name, node_port, success, result FROM master_run_on_worker({}, {}, {},"
            " false)").format(sql.Literal(hosts), sql.Literal(ports),
                              sql.Literal(["CREATE EXTENSION IF NOT EXISTS citus"] * len(hosts))),
            database=database)
        failed = [row for row in created if not row[2]]
        if failed:
            raise CitusUnavailable(f"the citus extension could not be created on {failed}")
        self._execute(
            sql.SQL("SELECT citus_set_coordinator_host({}, {})").format(*map(sql.Literal,
                                                                              coordinator)),
            *(sql.SQL("SELECT citus_add_node({}, {})").format(sql.Literal(h), sql.Literal(p))
              for h, p in workers),
            database=database)
        target = Provisioned(self.admin_dsn, database, owner_role, app_role)
        migrate(target.owner_dsn, app_role=app_role, distribute=distribute)
        return target

    def drop(self, target: Provisioned) -> None:
        """Drop the database on every node, then the roles (propagated from the coordinator)."""
        self._execute(PROPAGATE_DATABASES, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(target.database)))
        for role in (target.app_role, target.owner_role):
            self._execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


class Cluster(Coordinator):
    """A throwaway cluster on this machine (citus_cluster.sh): a coordinator and two workers
    under `base` on `ports` (the coordinator first), the workers registered in its `postgres`
    database; provisioned through the coordinator like any other."""

    def __init__(self, base: str, ports: tuple[int, int, int]):
        self.base, self.ports = base, tuple(ports)
        super().__init__(self.node_dsn(self.ports[0]))

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


def free_ports(count: int) -> tuple[int, ...]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return tuple(s.getsockname()[1] for s in sockets)
    finally:
        for s in sockets:
            s.close()


@contextmanager
def throwaway_cluster(prefix: str = "snf-citus-") -> Iterator[Cluster]:
    """A cluster started on free ports in a new directory under /tmp (the postgres user reaches
    it), destroyed on the way out, also when it failed to start (CitusUnavailable says why)."""
    cluster = Cluster(tempfile.mkdtemp(prefix=prefix), free_ports(3))
    try:
        yield cluster.start()
    finally:
        try:
            cluster.destroy()
        except CitusUnavailable:
            shutil.rmtree(cluster.base, ignore_errors=True)


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
