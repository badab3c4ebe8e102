def test_signup_then_me_names_the_owner_and_organization(client, org):
    response = client.get("/api/me", token=org.token)
    assert response.status == 200
    body = response.json()
    assert body["user"]["email"] == org.email
    assert body["user"]["role"] == "owner"
    assert body["organization"]["subdomain"] == org.subdomain
    assert body["organization"]["status"] == "trialing"
