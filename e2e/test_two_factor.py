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


def spaced(code: str) -> str:
    """As authenticator apps show it."""
    return f"{code[:3]} {code[3:]}"


def enrolled_organization(server: Server) -> tuple[dict, App]:
    login = new_organization(server)
    token = server.api("POST", "/auth/login", login)["token"]
    app = App(server.api("POST", "/me/two-factor", token=token)["secret"])
    server.api("POST", "/me/two-factor/confirm", {"code": app.code()}, token=token)
    return login, app


def assert_codes_apart(page: Page) -> None:
    """No recovery code's box overlaps another's, and each number is drawn inside its item,
    before its code (drawn outside, "6." to "10." fell on the ends of codes 1-5)."""
    boxes = page.evaluate("""() => [...document.querySelectorAll('[data-recovery-codes] li')]
        .filter((li) => li.offsetParent).map((li) => {
          const item = li.getBoundingClientRect(), code = li.querySelector('code').getBoundingClientRect();
          return { item: [item.left, item.top, item.right, item.bottom],
                   code: [code.left, code.top, code.right, code.bottom] }; })""")
    assert len(boxes) == 10
    for i, a in enumerate(boxes):
        left, top, right, bottom = a["item"]
        assert a["code"][0] >= left + 12, a  # room for "10." inside the item
        assert a["code"][2] <= right + 0.5 and right <= page.viewport_size["width"], a
        for b in boxes[i + 1:]:
            apart = (b["item"][0] >= right or b["item"][2] <= left
                     or b["item"][1] >= bottom or b["item"][3] <= top)
            assert apart, (a, b)


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
    card.get_by_label("Code from the app").fill(spaced(app.code()))  # as the app shows it
    card.get_by_role("button", name="Turn on").click()

    codes = card.locator("[data-recovery-codes] li")
    expect(codes).to_have_count(10)
    for width, height in ((1440, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert_codes_apart(page)
        shot(page, f"two-factor-recovery-codes-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})
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


def test_the_code_step_takes_spaced_codes_and_plain_messages_and_offers_sign_in_again(
        page: Page, server: Server):
    login, app = enrolled_organization(server)
    page.clock.install()
    password_step(page, server, login)
    form = page.locator("#code-form")
    form.get_by_label("Code").fill("12345")
    form.get_by_role("button", name="Sign in").click()
    expect(form).to_contain_text("Enter the 6-digit code from your authenticator app")
    expect(form).not_to_contain_text("String should")

    # the other kind of code: the app code's error goes
    form.get_by_role("button", name="Use a recovery code").click()
    expect(form.locator(".field-error").first).to_be_empty()
    expect(form.locator("[data-problem]")).to_be_hidden()
    form.get_by_role("button", name="Use the app's code").click()
    form.get_by_label("Code").fill(spaced(app.code()))
    form.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signed-in")).to_be_visible()

    # the challenge expires: "Sign in again" goes back to the password, the e-mail kept
    sign_out(page)
    password_step(page, server, login)
    expect(form).to_be_visible()
    page.clock.fast_forward("05:01")
    expect(form).to_contain_text("expired")
    expect(form.get_by_role("button", name="Sign in", exact=True)).to_be_hidden()
    shot(page, "two-factor-code-expired")
    form.get_by_role("button", name="Sign in again").click()
    login_form = page.locator("#login-form")
    expect(login_form).to_be_visible()
    expect(login_form.get_by_label("E-mail")).to_have_value(login["email"])
    expect(login_form.get_by_label("Password", exact=True)).to_be_focused()


def test_a_link_or_back_during_a_required_enrollment_keeps_it(page: Page, server: Server):
    login = new_organization(server)
    token = server.api("POST", "/auth/login", login)["token"]
    app = App(server.api("POST", "/me/two-factor", token=token)["secret"])
    server.api("POST", "/me/two-factor/confirm", {"code": app.code()}, token=token)
    server.api("PUT", "/organization/two-factor", {"required": True}, token=token)
    member = {**login, "email": f"aide@{login['subdomain']}.example",
              "password": "yet another long passphrase"}
    server.api("POST", "/invitations", {"email": member["email"], "role": "coordinator"},
               token=token)
    server.api("POST", "/invitations/accept", {
        "token": server.link_in_mail(member["email"], "accept-invitation"),
        "password": member["password"]})

    password_step(page, server, member)
    enroll = page.locator("#enroll-form")
    expect(enroll.locator("[data-totp-secret]")).to_be_visible()
    secret = enroll.locator("[data-totp-secret]").inner_text()
    page.evaluate("location.hash = '#forgot-password'")  # a link followed meanwhile
    expect(enroll).to_be_visible()
    expect(enroll).to_contain_text("Finish setting up two-factor sign-in to continue")
    page.go_back()  # and Back
    expect(enroll).to_be_visible()
    # the same secret as scanned: the enrollment was not started over
    assert enroll.locator("[data-totp-secret]").inner_text() == secret
    enroll.get_by_label("Code from the app").fill(spaced(App(secret).code()))
    enroll.get_by_role("button", name="Turn on and sign in").click()
    expect(page.locator("#enroll-done [data-recovery-codes] li")).to_have_count(10)
