"""An invitation link shows whom it invites, to which organization, before it is accepted."""
import re
import secrets


def invite(client, org, email, role="coordinator"):
    response = client.post("/api/invitations", token=org.token,
                           json={"email": email, "role": role})
    assert response.status == 201, response.body
    return response.json()


def token_sent_to(admin_sql, email):
    rows = admin_sql("SELECT text_body FROM email_outbox WHERE to_address = %s"
                     " AND template = 'invitation' ORDER BY created_at DESC", (email,))
    return re.search(r"#accept-invitation=(\S+)", rows[0]["text_body"])[1]


def test_the_preview_names_the_organization_address_and_role(client, org, admin_sql):
    email = f"new-{secrets.token_hex(3)}@example.org"
    invitation = invite(client, org, email, role="viewer")
    token = token_sent_to(admin_sql, email)

    response = client.post("/api/invitations/preview", json={"token": token})

    assert response.status == 200, response.body
    body = response.json()
    assert body["organization"]["name"] == "Organization A"
    assert body["organization"]["subdomain"] == org.subdomain
    assert body["email"] == email
    assert body["role"] == "viewer"
    assert body["expires_at"] == invitation["expires_at"]


def test_a_preview_leaves_the_invitation_open(client, org, admin_sql):
    email = f"new-{secrets.token_hex(3)}@example.org"
    invite(client, org, email)
    token = token_sent_to(admin_sql, email)

    assert client.post("/api/invitations/preview", json={"token": token}).status == 200
    accepted = client.post("/api/invitations/accept",
                           json={"token": token, "password": "a perfectly long passphrase"})
    assert accepted.status == 201, accepted.body
    assert client.post("/api/invitations/preview", json={"token": token}).status == 401


def test_a_withdrawn_tampered_or_garbage_token_previews_as_invalid(client, org, other_org,
                                                                   admin_sql):
    email = f"new-{secrets.token_hex(3)}@example.org"
    invitation = invite(client, org, email)
    token = token_sent_to(admin_sql, email)
    tampered = other_org.id.hex + token[32:]  # another organization's prefix, same secret

    answers = [client.post("/api/invitations/preview", json={"token": t})
               for t in (tampered, "x" * 40)]
    assert client.delete(f"/api/invitations/{invitation['id']}", token=org.token).status == 204
    answers.append(client.post("/api/invitations/preview", json={"token": token}))

    assert [a.status for a in answers] == [401, 401, 401]
    details = {a.json()["detail"] for a in answers}
    assert len(details) == 1  # nothing tells the cases apart
