"""The post-provision step on a real server, standing in for Azure only where Azure is: a role
playing the Entra administrator (CREATEROLE, not a superuser), a pgaadauth_create_principal that
creates a login role as Azure's does, and a credential test double for the tokens."""
from __future__ import annotations

import secrets

import psycopg2
import pytest
from psycopg2 import sql
from psycopg2.extensions import make_dsn, parse_dsn

from deploy.database import Target, deploy, main
from local.database import admin_execute
from shared.entra import TokenSource
from tests.doubles import FakeCredential

# What Azure's extension provides in the maintenance database; here it only creates the role.
FAKE_PGAADAUTH = """
CREATE FUNCTION pgaadauth_create_principal(role_name text, is_admin boolean, is_mfa boolean)
RETURNS text LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  EXECUTE format('CREATE ROLE %%I LOGIN', role_name);
  RETURN 'Created role for ' || role_name;
END $$"""


@pytest.fixture
def azure_like_server(database):
    """A database owned by an administrator role, with the fake extension function in it."""
    run = secrets.token_hex(4)
    admin, app_role, name = f"snf_entra_admin_{run}", f"func-snf-test-{run}", f"snf_deploy_{run}"
    admin_dsn = database.admin_dsn
    admin_execute(admin_dsn, sql.SQL("CREATE ROLE {} LOGIN CREATEROLE").format(sql.Identifier(admin)))
    admin_execute(admin_dsn, sql.SQL("CREATE DATABASE {} OWNER {}").format(
        sql.Identifier(name), sql.Identifier(admin)))
    admin_execute(make_dsn(admin_dsn, dbname=name), FAKE_PGAADAUTH)
    parts = parse_dsn(admin_dsn)
    target = Target(host=parts.get("host", "127.0.0.1"), port=int(parts.get("port", 5432)),
                    database=name, app_role=app_role, admin=admin, sslmode="prefer",
                    maintenance_database=name)
    yield target
    admin_execute(admin_dsn, sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    for role in (app_role, admin):
        admin_execute(admin_dsn, sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _privileges(admin_dsn: str, database: str, role: str) -> dict:
    """Everything a role may do in a database, in a form two databases can be compared by."""
    conn = psycopg2.connect(make_dsn(admin_dsn, dbname=database))
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT table_name, privilege_type FROM information_schema.role_table_grants"
                        " WHERE grantee = %s", (role,))
            tables = set(cur.fetchall())
            cur.execute("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                        " WHERE n.nspname = 'public' AND has_function_privilege(%s, p.oid, 'EXECUTE')"
                        " AND p.proname <> 'pgaadauth_create_principal'", (role,))
            functions = {name for (name,) in cur.fetchall()}
            cur.execute("SELECT has_schema_privilege(%s, 'public', 'USAGE'),"
                        " has_schema_privilege(%s, 'public', 'CREATE'),"
                        " has_database_privilege(%s, current_database(), 'CONNECT'),"
                        " has_database_privilege(%s, current_database(), 'TEMPORARY'),"
                        " has_database_privilege(%s, current_database(), 'CREATE'),"
                        " (SELECT (rolsuper, rolbypassrls, rolcreaterole, rolcreatedb, rolcanlogin)::text"
                        "    FROM pg_roles WHERE rolname = %s),"
                        " (SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
                        "    WHERE r.rolname = %s)", (role,) * 7)
            return {"tables": tables, "functions": functions, "rights": cur.fetchone()}
    finally:
        conn.close()


def test_the_identitys_role_gets_exactly_what_the_local_app_role_has(database, azure_like_server):
    target = azure_like_server
    deploy(target, TokenSource(FakeCredential()))
    deployed = _privileges(database.admin_dsn, target.database, target.app_role)
    local = _privileges(database.admin_dsn, database.database, database.app_role)
    assert deployed == local
    assert ("facilities", "SELECT") in deployed["tables"]
    assert deployed["rights"][-2] == "(f,f,f,f,t)"  # no privileged attribute, may log in


def test_a_second_run_applies_nothing_and_keeps_the_grants(database, azure_like_server, capsys):
    target = azure_like_server
    tokens = TokenSource(FakeCredential())
    first = deploy(target, tokens)
    before = _privileges(database.admin_dsn, target.database, target.app_role)
    assert first and deploy(target, tokens) == []
    assert _privileges(database.admin_dsn, target.database, target.app_role) == before
    assert "none pending" in capsys.readouterr().out


def test_the_whole_run_signs_in_with_one_entra_token(azure_like_server):
    credential = FakeCredential()
    deploy(azure_like_server, TokenSource(credential))
    assert credential.requests == [("https://ossrdbms-aad.database.windows.net/.default",)]


def test_it_refuses_an_app_role_that_could_bypass_row_level_security(database, azure_like_server):
    target = azure_like_server
    admin_execute(database.admin_dsn, sql.SQL("CREATE ROLE {} LOGIN BYPASSRLS").format(
        sql.Identifier(target.app_role)))
    with pytest.raises(RuntimeError, match="privileged attribute"):
        deploy(target, TokenSource(FakeCredential()))


def test_the_command_reads_azds_environment_and_names_what_is_missing(azure_like_server):
    target = azure_like_server
    with pytest.raises(SystemExit, match="DB_ADMIN_NAME"):
        main({"DB_HOST": target.host, "DB_NAME": target.database, "DB_APP_ROLE": target.app_role},
             credential=FakeCredential())
    environ = {"DB_HOST": target.host, "DB_NAME": target.database, "DB_APP_ROLE": target.app_role,
               "DB_ADMIN_NAME": target.admin, "DB_ADMIN_PORT": str(target.port),
               "DB_ADMIN_SSLMODE": "prefer", "DB_MAINTENANCE_NAME": target.database}
    assert main(environ, credential=FakeCredential()) == 0
