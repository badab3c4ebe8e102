"""Two-factor sign-in in the browser: setting it up in Settings by reading the key shown as text
(the code computed here with pyotp, as an authenticator app would), the two-step sign-in with a
code and with a recovery code, and an owner's requirement making a new member set it up at
sign-in. Each test in an organization of its own: the demo owner keeps a one-step sign-in for
the other tests."""
from __future__ import annotations

import secrets
import time

import pyotp
from playwright.sync_api import Page, expect

from support import Server, shot, sign_in

PASSWORD = "a long passphrase for two factors"


class App:
    """An authenticator app: a code per 30-second step, each step once, as the server takes
    each step once (from the step before now: the window allows one step either side)."""

    def __init__(self, secret: str):
        self.totp = pyotp.TOTP(secret.replace(" ", ""))
        self.last = 0

    def code(self) -> str:
        step = max(self.last + 1, int(time.time() // 30) - 1)
        self.last = step
        return self.totp.generate_otp(step)


def new_organization(server: Server) -> dict:
    subdomain = f"tf-{secrets.token_hex(4)}"
    login = {"subdomain": subdomain, "email": f"owner@{subdomain}.example", "password": PASSWORD}
    server.api("POST", "/signup", {"organization_name": "Two Factor Care", **login})
    return login


def password_step(page: Page, server: Server, login: dict) -> None:
    page.goto(server.base_url + "/")
    form = page.locator("#login-form")
    form.get_by_label("Organization subdomain").fill(login["subdomain"])
    form.get_by_label("E-mail").fill(login["email"])
    form.get_by_label("Password", exact=True).fill(login["password"])
    form.get_by_role("button", name="Sign in").click()


def sign_out(page: Page) -> None:
    page.locator("#sign-out").click()
    expect(page.locator("#login-form")).to_be_visible()


def test_set_up_in_settings_then_sign_in_with_a_code_and_with_a_recovery_code(page: Page,
                                                                              server: Server):
    login = new_organization(server)
    sign_in(page, server, subdomain=login["subdomain"], email_=login["email"],
            password=login["password"])
    page.goto(server.base_url + "/#settings")
    card = page.locator("#twofactor-card")
    expect(card).to_contain_text("Off.")
    card.get_by_role("button", name="Set up two-factor sign-in").click()

    qr = card.get_by_role("img", name="QR code to scan with your authenticator app")
    expect(qr).to_be_visible()
    assert qr.get_attribute("src").startswith("data:image/svg+xml;base64,")
    app = App(card.locator("[data-totp-secret]").inner_text())
    shot(page, "two-factor-setup")
    card.get_by_label("Code from the app").fill(app.code())
    card.get_by_role("button", name="Turn on").click()

    codes = card.locator("[data-recovery-codes] li")
    expect(codes).to_have_count(10)
    recovery = codes.nth(0).inner_text().strip()
    expect(page.locator("#settings-status")).to_contain_text("Two-factor sign-in is on")
    expect(card).to_contain_text("10 of 10 recovery codes left")
    shot(page, "two-factor-recovery-codes")

    # signed out, the password alone no longer signs in: the code step follows
    sign_out(page)
    password_step(page, server, login)
    code_form = page.locator("#code-form")
    expect(code_form).to_be_visible()
    expect(page.locator("#signed-in")).to_be_hidden()
    code_form.get_by_label("Code").fill(app.code())
    code_form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in")).to_be_visible()

    # and with a recovery code instead
    sign_out(page)
    password_step(page, server, login)
    code_form.get_by_role("button", name="Use a recovery code").click()
    code_form.get_by_label("Recovery code").fill(recovery)
    shot(page, "two-factor-recovery-sign-in")
    code_form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in")).to_be_visible()


def test_an_owner_requires_it_and_a_new_member_sets_it_up_at_sign_in(page: Page, new_page,
                                                                    server: Server):
    login = new_organization(server)
    token = server.api("POST", "/auth/login", login)["token"]
    owner_app = App(server.api("POST", "/me/two-factor", token=token)["secret"])
    server.api("POST", "/me/two-factor/confirm", {"code": owner_app.code()}, token=token)
    member = {**login, "email": f"nurse@{login['subdomain']}.example",
              "password": "another long passphrase here"}
    server.api("POST", "/invitations", {"email": member["email"], "role": "coordinator"},
               token=token)

    # the owner signs in with a code and turns the requirement on
    password_step(page, server, login)
    page.locator("#code-form").get_by_label("Code").fill(owner_app.code())
    page.locator("#code-form").get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in")).to_be_visible()
    page.goto(server.base_url + "/#settings")
    page.get_by_label("Require two-factor sign-in").check()
    page.locator("#confirm-dialog").get_by_role("button", name="Require it").click()
    expect(page.locator("#require-note")).to_contain_text("Required.")

    # the invited member joins, and must set it up before anything else
    invitation = server.link_in_mail(member["email"], "accept-invitation")
    joined = server.api("POST", "/invitations/accept",
                        {"token": invitation, "password": member["password"]})
    assert joined["token"] is None and joined["second_step"]["next"] == "enroll"
    other = new_page()
    password_step(other, server, member)
    enroll = other.locator("#enroll-form")
    expect(enroll).to_be_visible()
    expect(other.locator("#signed-in")).to_be_hidden()
    app = App(enroll.locator("[data-totp-secret]").inner_text())
    shot(other, "two-factor-required-setup")
    enroll.get_by_label("Code from the app").fill(app.code())
    enroll.get_by_role("button", name="Turn on and sign in").click()
    expect(other.locator("#enroll-done [data-recovery-codes] li")).to_have_count(10)
    other.get_by_role("button", name="I have saved them: continue").click()
    expect(other.locator("#signed-in")).to_be_visible()
    expect(other.locator("#user-email")).to_have_text(member["email"])

    # lifting the requirement asks the owner for the password and a code again
    page.get_by_role("checkbox", name="Require two-factor sign-in").click()  # stays ticked
    lift = page.locator("#require-lift-form")
    expect(lift).to_be_visible()
    expect(page.get_by_role("checkbox", name="Require two-factor sign-in")).to_be_checked()
    lift.get_by_label("Your password").fill(login["password"])
    now = int(time.time() // 30)
    window = {owner_app.totp.generate_otp(s) for s in range(now - 1, now + 3)}
    lift.get_by_label("Code").fill(next(c for c in ("000000", "111111", "222222")
                                        if c not in window))
    lift.get_by_role("button", name="Lift the requirement").click()
    expect(lift).to_contain_text("The password or the code is wrong.")
    lift.get_by_label("Code").fill(owner_app.code())
    lift.get_by_role("button", name="Lift the requirement").click()
    expect(page.locator("#require-note")).to_contain_text("No longer required.")
    expect(lift).to_be_hidden()
    expect(page.get_by_role("checkbox", name="Require two-factor sign-in")).not_to_be_checked()
