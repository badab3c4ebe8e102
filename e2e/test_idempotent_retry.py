"""A create retried in the browser after a 503 whose commit went through creates once: the page
sends an Idempotency-Key with the create and the same key when the same submission is sent
again, and the service answers the retry with the first answer.

The 503 is provoked between the browser and the server: the first request goes through to the
server (which creates and commits), and the browser is answered a 503 problem instead."""
from __future__ import annotations

import json
import secrets

from playwright.sync_api import Browser, Route, expect

from support import Server, sign_in

PASSWORD = "a long passphrase for retries"
LOST = {"type": "https://snf-admissions.example/problems/unavailable",
        "title": "Service Unavailable", "status": 503, "request_id": "lost",
        "detail": "The database is unavailable. Try again in a moment."}


def test_a_facility_retried_after_a_lost_answer_is_created_once(browser: Browser,
                                                                  server: Server):
    subdomain = f"retry-{secrets.token_hex(3)}"
    login = {"subdomain": subdomain, "email": f"owner@{subdomain}.example", "password": PASSWORD}
    server.api("POST", "/signup", {"organization_name": "Retry Care", **login})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(message.text)
            if message.type == "error" and "status of 503" not in message.text
            and "status of 402" not in message.text else None)
    keys: list[str | None] = []

    def lose_the_first_answer(route: Route) -> None:
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            answered = route.fetch()  # the server creates and commits...
            assert answered.status == 201, answered.text()
            route.fulfill(status=503, content_type="application/problem+json",
                          body=json.dumps(LOST))  # ...and the browser hears 503
        else:
            route.continue_()

    try:
        sign_in(page, server, subdomain=subdomain, email_=login["email"], password=PASSWORD)
        page.route("**/api/facilities", lose_the_first_answer)
        page.goto(server.base_url + "/#facilities")
        form = page.locator("#facility-form")
        expect(form).to_be_visible()
        form.get_by_label("Name").fill("Retry Ridge")
        form.get_by_label("Licensed beds").fill("40")
        form.get_by_role("button", name="Add facility").click()
        expect(form.locator("[data-problem]")).to_contain_text("unavailable")

        form.get_by_role("button", name="Add facility").click()  # the user tries again

        expect(page.locator("#facilities-body tr", has_text="Retry Ridge")).to_have_count(1)
        token = server.api("POST", "/auth/login", login)["token"]
        listed = server.api("GET", "/facilities", token=token)["items"]
        assert [f["name"] for f in listed] == ["Retry Ridge"]
        assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys

        # Another submission is another create, with another key (a trial's one facility is
        # taken, so the service refuses it: what matters here is the key it was sent with).
        form.get_by_label("Name").fill("Second Ridge")
        form.get_by_label("Licensed beds").fill("30")
        with page.expect_response("**/api/facilities") as answer:
            form.get_by_role("button", name="Add facility").click()
        assert answer.value.status == 402
        assert len(keys) == 3 and keys[2] and keys[2] != keys[0], keys
        assert not problems, "\n".join(problems)
    finally:
        context.close()
