"""The organization's profile and branding: who may read and change it, the primary color, the
logo upload (PNG, JPEG, plain SVG; size and content checked), the public branding and logo, and
that another organization changes only its own."""
from __future__ import annotations

import struct
import zlib
from datetime import datetime, timezone
from urllib.parse import urlsplit

import pytest

from tests.factories import add_member, header, unique_subdomain


def fields_named(response) -> list[str]:
    assert response.status == 422, (response.status, response.body)
    assert response.mimetype == "application/problem+json"
    return [e["field"] for e in response.json()["errors"]]


def png(width: int = 2, height: int = 2, padding: int = 0) -> bytes:
    """A real PNG: signature, IHDR, IDAT (zlib), an optional tEXt chunk to grow it, IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + b"\x1f\x5f\x8b" * width for _ in range(height))
    extra = chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + extra + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 \
    + b"\xff\xd9"
SVG = (b'<?xml version="1.0" encoding="UTF-8"?>\n'
       b'<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40" viewBox="0 0 120 40">'
       b'<rect x="0" y="0" width="120" height="40" fill="#1f5f8b"/></svg>')


def put_logo(client, token, content: bytes, content_type: str | None):
    headers = {"Content-Type": content_type} if content_type else {}
    return client.request("PUT", "/api/organization/logo", body=content, token=token,
                          headers=headers)


def profile(client, token) -> dict:
    response = client.get("/api/organization", token=token)
    assert response.status == 200, response.body
    return response.json()


def stored(admin_sql, org) -> dict:
    return admin_sql("""SELECT name, primary_color, logo, logo_content_type, logo_updated_at
                          FROM organizations WHERE id = %s""", (str(org.id),))[0]


# --- the profile --------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["owner", "admin", "coordinator", "viewer"])
def test_every_role_reads_the_profile(client, org, role):
    token = org.token if role == "owner" else add_member(org, role).token

    body = profile(client, token)

    assert body["id"] == str(org.id)
    assert body["name"] == "Organization A"
    assert body["subdomain"] == org.subdomain
    assert body["primary_color"] is None
    assert body["logo_url"] is None
    assert "logo" not in body  # the bytes never travel with the profile


def test_an_admin_changes_the_name_and_color_stored_in_lower_case(client, org, admin_sql):
    admin = add_member(org, "admin")

    response = client.patch("/api/organization", token=admin.token,
                            json={"name": "Lakeside Care Group", "primary_color": "#AB12Cd"})

    assert response.status == 200, response.body
    body = response.json()
    assert (body["name"], body["primary_color"]) == ("Lakeside Care Group", "#ab12cd")
    row = stored(admin_sql, org)
    assert (row["name"], row["primary_color"]) == ("Lakeside Care Group", "#ab12cd")
    audit = admin_sql("""SELECT user_id::text, object_id::text, changes FROM audit_logs
                          WHERE organization_id = %s AND action = 'organization.update'""",
                      (str(org.id),))
    assert audit == [{"user_id": admin.id, "object_id": str(org.id),
                      "changes": {"name": "Lakeside Care Group", "primary_color": "#ab12cd"}}]


def test_a_partial_change_keeps_the_other_field_and_null_removes_the_color(client, org):
    assert client.patch("/api/organization", token=org.token,
                        json={"primary_color": "#123456"}).status == 200

    renamed = client.patch("/api/organization", token=org.token, json={"name": "Renamed"})
    assert renamed.json()["primary_color"] == "#123456"

    cleared = client.patch("/api/organization", token=org.token, json={"primary_color": None})
    assert cleared.status == 200
    assert (cleared.json()["name"], cleared.json()["primary_color"]) == ("Renamed", None)


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_may_not_change_the_profile(client, org, admin_sql, role):
    token = add_member(org, role).token

    response = client.patch("/api/organization", token=token, json={"name": "Hijacked"})

    assert response.status == 403
    assert stored(admin_sql, org)["name"] == "Organization A"


@pytest.mark.parametrize("color", ["#12345", "red", "123456", "#1234567", "#12345g", ""])
def test_a_color_that_is_not_hex_rrggbb_is_unprocessable(client, org, color):
    response = client.patch("/api/organization", token=org.token,
                            json={"primary_color": color})

    assert fields_named(response) == ["primary_color"]


@pytest.mark.parametrize("body, field", [({"name": ""}, "name"), ({"name": None}, "name"),
                                         ({"subdomain": "mine"}, "subdomain")])
def test_an_empty_name_or_an_unknown_field_is_unprocessable(client, org, body, field):
    response = client.patch("/api/organization", token=org.token, json=body)

    assert fields_named(response) == [field]


# --- the logo -----------------------------------------------------------------------------

@pytest.mark.parametrize("content, content_type", [
    (png(), "image/png"),
    (JPEG, "image/jpeg"),
    (SVG, "image/svg+xml"),
    (png(), "image/png; charset=binary"),
])
def test_a_logo_is_stored_and_served_publicly_as_uploaded(client, org, admin_sql, content,
                                                          content_type):
    response = put_logo(client, org.token, content, content_type)

    assert response.status == 200, response.body
    logo_url = response.json()["logo_url"]
    assert urlsplit(logo_url).path == f"/api/branding/{org.subdomain}/logo"
    kind = content_type.split(";")[0]
    row = stored(admin_sql, org)
    assert (bytes(row["logo"]), row["logo_content_type"]) == (content, kind)

    served = client.get(logo_url)  # no token: the sign-in page shows it

    assert served.status == 200
    assert served.body == content
    assert served.mimetype == kind
    assert header(served, "X-Content-Type-Options") == "nosniff"
    csp = header(served, "Content-Security-Policy")
    assert "sandbox" in csp and "default-src 'none'" in csp
    assert profile(client, org.token)["logo_url"] == logo_url


def test_a_new_logo_gets_a_new_address_version(client, org, admin_sql):
    first = put_logo(client, org.token, png(), "image/png").json()["logo_url"]
    admin_sql("UPDATE organizations SET logo_updated_at = logo_updated_at - interval '1 minute' "
              "WHERE id = %s", (str(org.id),))
    stale = profile(client, org.token)["logo_url"]

    second = put_logo(client, org.token, JPEG, "image/jpeg").json()["logo_url"]

    assert stale != first and second != stale
    assert client.get(second).body == JPEG


def test_the_logo_upload_is_audited(client, org, admin_sql):
    content = png()
    assert put_logo(client, org.token, content, "image/png").status == 200

    rows = admin_sql("""SELECT changes FROM audit_logs WHERE organization_id = %s
                         AND action = 'organization.logo_set'""", (str(org.id),))
    assert rows == [{"changes": {"content_type": "image/png", "bytes": len(content)}}]


def test_a_logo_of_exactly_200_kb_is_accepted(client, org):
    content = png(padding=200 * 1024 - len(png()) - 12 - len(b"Comment\x00"))
    assert len(content) == 200 * 1024

    assert put_logo(client, org.token, content, "image/png").status == 200


def test_a_logo_over_200_kb_is_unprocessable_naming_the_logo(client, org, admin_sql):
    content = png(padding=200 * 1024)
    assert 200 * 1024 < len(content) <= 256 * 1024

    response = put_logo(client, org.token, content, "image/png")

    assert fields_named(response) == ["logo"]
    assert "200 KB" in response.json()["errors"][0]["message"]
    assert stored(admin_sql, org)["logo"] is None


def test_a_body_over_256_kb_is_too_large(client, org, admin_sql):
    response = put_logo(client, org.token, png(padding=300 * 1024), "image/png")

    assert response.status == 413
    assert response.mimetype == "application/problem+json"
    assert stored(admin_sql, org)["logo"] is None


@pytest.mark.parametrize("content, content_type", [
    (JPEG, "image/png"),
    (png(), "image/jpeg"),
    (b"GIF89a\x01\x00\x01\x00", "image/png"),
    (b"<html><body>not an svg</body></html>", "image/svg+xml"),
    (b"", "image/png"),
    # Only the signature, or an image cut short (an upload broken off): a broken logo on
    # every sign-in page (tester-3).
    (b"\x89PNG\r\n\x1a\nxxxx", "image/png"),
    (png()[:-12], "image/png"),
    (png(width=0), "image/png"),
    (JPEG[:-2], "image/jpeg"),
])
def test_content_that_is_not_the_declared_image_is_unprocessable(client, org, admin_sql,
                                                                  content, content_type):
    response = put_logo(client, org.token, content, content_type)

    assert fields_named(response) == ["logo"]
    assert stored(admin_sql, org)["logo"] is None


UNSAFE_SVGS = {
    "script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
    "onload": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>',
    "event handler in other case": b'<svg><rect OnClick ="alert(1)"/></svg>',
    "external href": b'<svg xmlns="http://www.w3.org/2000/svg"><a href="https://evil.example">'
                     b'<rect width="9" height="9"/></a></svg>',
    "external image": b'<svg><image href="https://evil.example/x.png"/></svg>',
    "xlink href": b'<svg xmlns:xlink="http://www.w3.org/1999/xlink"><use '
                  b'xlink:href="https://evil.example/sprite.svg#x"/></svg>',
    "doctype": b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x "boom">]><svg>&x;</svg>',
    "entity": b'<svg><!ENTITY lol "lol"><rect/></svg>',
    "foreignObject": b'<svg><foreignObject><body xmlns="http://www.w3.org/1999/xhtml">'
                     b'<iframe src="https://evil.example"/></body></foreignObject></svg>',
    "javascript url": b'<svg><rect fill="url(javascript:alert(1))"/></svg>',
    "style": b'<svg><style>@import "https://evil.example/x.css";</style><rect/></svg>',
}


@pytest.mark.parametrize("name", UNSAFE_SVGS)
def test_an_svg_with_anything_active_or_external_is_unprocessable(client, org, admin_sql, name):
    response = put_logo(client, org.token, UNSAFE_SVGS[name], "image/svg+xml")

    assert fields_named(response) == ["logo"]
    assert stored(admin_sql, org)["logo"] is None


def test_an_svg_with_a_local_fragment_reference_is_fine(client, org):
    content = (b'<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g">'
               b'<stop offset="0" stop-color="#fff"/></linearGradient></defs>'
               b'<rect width="9" height="9" fill="#1f5f8b"/></svg>')

    assert put_logo(client, org.token, content, "image/svg+xml").status == 200


@pytest.mark.parametrize("content_type", ["text/plain", "image/gif", "application/json", None])
def test_a_type_that_is_not_png_jpeg_or_svg_is_unsupported(client, org, admin_sql,
                                                            content_type):
    response = put_logo(client, org.token, png(), content_type)

    assert response.status == 415
    assert response.mimetype == "application/problem+json"
    assert stored(admin_sql, org)["logo"] is None


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_coordinators_and_viewers_may_not_set_or_remove_the_logo(client, org, role):
    token = add_member(org, role).token

    assert put_logo(client, token, png(), "image/png").status == 403
    assert client.delete("/api/organization/logo", token=token).status == 403


def test_removing_the_logo_makes_its_address_not_found(client, org, admin_sql):
    logo_url = put_logo(client, org.token, png(), "image/png").json()["logo_url"]

    response = client.delete("/api/organization/logo", token=org.token)

    assert response.status == 204
    assert client.get(logo_url).status == 404
    assert profile(client, org.token)["logo_url"] is None
    assert client.get(f"/api/branding/{org.subdomain}").json()["logo_url"] is None
    row = stored(admin_sql, org)
    assert (row["logo"], row["logo_content_type"], row["logo_updated_at"]) == (None, None, None)
    assert admin_sql("""SELECT count(*) AS n FROM audit_logs WHERE organization_id = %s
                         AND action = 'organization.logo_remove'""", (str(org.id),))[0]["n"] == 1


# --- public branding ----------------------------------------------------------------------

def test_the_public_branding_gives_name_color_and_logo(client, org):
    client.patch("/api/organization", token=org.token,
                 json={"name": "Lakeside Care", "primary_color": "#AA3366"})
    logo_url = put_logo(client, org.token, SVG, "image/svg+xml").json()["logo_url"]

    response = client.get(f"/api/branding/{org.subdomain.upper()}")  # no token

    assert response.status == 200, response.body
    assert response.json() == {"name": "Lakeside Care", "subdomain": org.subdomain,
                               "primary_color": "#aa3366", "logo_url": logo_url}
    version = int(logo_url.rpartition("v=")[2])
    assert abs(version - datetime.now(timezone.utc).timestamp()) < 60


def test_the_branding_of_an_unknown_subdomain_is_not_found(client, database):
    subdomain = unique_subdomain("none")

    assert client.get(f"/api/branding/{subdomain}").status == 404
    assert client.get(f"/api/branding/{subdomain}/logo").status == 404


# --- across organizations -----------------------------------------------------------------

def test_another_organization_changes_only_its_own_profile_and_logo(client, org, other_org,
                                                                    admin_sql):
    changed = client.patch("/api/organization", token=other_org.token,
                           json={"name": "Other Name", "primary_color": "#000000"})
    logo = put_logo(client, other_org.token, JPEG, "image/jpeg")

    assert changed.status == 200 and changed.json()["id"] == str(other_org.id)
    assert logo.status == 200
    assert urlsplit(logo.json()["logo_url"]).path == f"/api/branding/{other_org.subdomain}/logo"
    mine = stored(admin_sql, org)
    assert (mine["name"], mine["primary_color"], mine["logo"]) == ("Organization A", None, None)
    assert client.get(f"/api/branding/{org.subdomain}/logo").status == 404
    assert client.get(f"/api/branding/{other_org.subdomain}/logo").body == JPEG

    assert client.delete("/api/organization/logo", token=org.token).status == 204
    assert client.get(f"/api/branding/{other_org.subdomain}/logo").body == JPEG


def test_an_svg_with_a_namespace_prefixed_script_is_unprocessable(client, org, admin_sql):
    # <s:script> with s bound to the SVG namespace is an SVG script element to any XML parser
    content = (b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:s="http://www.w3.org/2000/svg">'
               b'<s:script>alert(document.domain)</s:script><rect width="9" height="9"/></svg>')

    response = put_logo(client, org.token, content, "image/svg+xml")

    assert fields_named(response) == ["logo"]
    assert stored(admin_sql, org)["logo"] is None


def test_an_svg_whose_fill_uses_a_local_gradient_is_accepted(client, org):
    content = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><defs>'
               b'<linearGradient id="g"><stop offset="0" stop-color="#1f5f8b"/>'
               b'<stop offset="1" stop-color="#ffffff"/></linearGradient></defs>'
               b'<rect width="40" height="40" fill="url(#g)"/></svg>')

    response = put_logo(client, org.token, content, "image/svg+xml")

    assert response.status == 200, response.body
