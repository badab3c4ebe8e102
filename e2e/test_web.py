"""The web frontend in a real browser: sign-in, evaluating and saving a referral, the history
and a decision, the dashboard, inviting a coordinator who joins through the e-mailed link,
password reset, and problems shown beside their fields."""
from __future__ import annotations

import base64
import re
import uuid

from playwright.sync_api import Page, expect

from support import Server, compare_wound_vac_under_medicaid, shot, sign_in

NEW_PASSWORD = "amber quartz lantern harbor"


def test_sign_in_as_the_demo_owner(page: Page, server: Server):
    sign_in(page, server)
    expect(page.locator("#org-name")).to_have_text("Demo Senior Care")
    expect(page.locator("#user-email")).to_have_text(server.login["email"])
    expect(page.locator("#user-role")).to_have_text("Owner")
    tabs = page.get_by_role("navigation", name="Sections")
    for name in ("Evaluate", "Admissions", "Dashboard", "Facilities", "Team", "Settings"):
        expect(tabs.get_by_role("link", name=name)).to_be_visible()
    # An owner lands on the core screen.
    expect(tabs.get_by_role("link", name="Evaluate")).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Evaluate a referral")).to_be_visible()
    shot(page, "web2-e2e-evaluate-form")


def test_evaluate_save_find_and_accept(page: Page, server: Server):
    sign_in(page, server)
    form = page.locator("#evaluate-form")
    form.get_by_label("Facility").select_option(label="Maple Grove Health & Rehab")
    form.get_by_label("Payer").select_option(label="Medicare Part A")
    form.get_by_label("Expected stay").fill("30")
    form.get_by_label("High").check()
    form.get_by_label("IV therapy").check()
    # The PDPM classification is asked for Medicare Part A only.
    pdpm = page.locator("#ev-pdpm")
    expect(pdpm).to_be_visible()
    pdpm.get_by_role("radio", name="HIPPS code").check()
    pdpm.get_by_role("textbox", name="HIPPS code").fill("KBGE1")
    form.get_by_role("button", name="Evaluate").click()

    result = page.locator("#evaluate-result")
    expect(result.get_by_role("heading", name="Evaluation")).to_be_visible()
    expect(result.locator(".eval-verdict .badge")).to_have_text(re.compile(r"^(Accept|Review|Decline)$"))
    expect(result.locator(".score-value")).to_have_text(re.compile(r"^\d+(\.\d)? / 100$"))
    expect(result.get_by_test_id("revenue-per-day")).to_have_text(re.compile(r"^\$\d[\d,]*\.\d\d per day$"))
    expect(result.get_by_text("KBGE", exact=True)).to_be_visible()      # the HIPPS the engine used
    expect(result.get_by_text("Coinsurance from day 21")).to_be_visible()
    expect(result.get_by_role("heading", name="Cost per day")).to_be_visible()
    expect(result.locator(".factors-table tbody tr")).to_have_count(5)
    shot(page, "web2-e2e-evaluation")

    result.get_by_role("button", name="Save as admission").click()
    case = result.locator(".saved-case .case-number")
    expect(case).to_have_text(re.compile(r"^DEMO-\d{4}-\d{6}$"))
    case_number = case.inner_text()

    # The history: filter to pending Maple Grove referrals, find the case, open it.
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Admissions").click()
    filters = page.locator("#admissions-filters")
    filters.get_by_label("Facility").select_option(label="Maple Grove Health & Rehab")
    filters.get_by_label("Status").select_option("pending")
    row = page.locator("#admissions-body tr", has_text=case_number)
    expect(row).to_be_visible()
    expect(page.locator("#admissions-body tr").filter(has_not_text="Pending")).to_have_count(0)
    shot(page, "web2-e2e-admissions")
    row.get_by_role("link", name=case_number).click()

    expect(page.locator("#admission-title")).to_have_text(case_number)
    detail = page.locator("#admission-detail-body")
    expect(detail.get_by_role("heading", name="Stored evaluation")).to_be_visible()
    expect(detail.locator(".detail-badges .badge").first).to_have_text("Pending")
    decision = page.locator("#decision-form")
    # A decline needs a reason: said beside the reason.
    decision.get_by_role("button", name="Decline").click()
    expect(decision.locator('[data-error-for="reason_code"]')).to_have_text("Choose a reason.")
    decision.get_by_role("button", name="Accept").click()
    expect(detail.locator(".detail-badges .badge").first).to_have_text("Accepted")
    expect(page.locator("#admission-status")).to_contain_text(f"{case_number}: Accepted")
    # Then whether the patient arrived.
    expect(page.locator("#decision-form").get_by_role("button", name="Admitted", exact=True)).to_be_visible()
    shot(page, "web2-e2e-admission")

    # Back in the list, the row says so.
    page.get_by_role("link", name="← All admissions").click()
    expect(page.locator("#admissions-body tr", has_text=case_number)).to_contain_text("Accepted")


def test_compare_facilities(page: Page, server: Server):
    sign_in(page, server)
    placements = compare_wound_vac_under_medicaid(page)
    expect(placements).to_have_count(3)
    expect(placements.first.locator(".placement-rank")).to_have_text("1")
    # Only one demo facility has a wound vac program: the others say why, in a sentence.
    expect(page.locator(".placement-stops", has_text="This facility does not provide Wound vac").first).to_be_visible()
    shot(page, "web2-e2e-compare")


def test_dashboard_shows_numbers(page: Page, server: Server):
    sign_in(page, server)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Dashboard").click()
    kpis = page.locator(".kpi")
    expect(kpis).to_have_count(4)
    expect(kpis.nth(0).locator(".kpi-value")).to_have_text(re.compile(r"^\d+$"))
    expect(kpis.nth(1).locator(".kpi-value")).to_have_text(re.compile(r"^(\d+(\.\d)?%|—)$"))
    expect(kpis.nth(2).locator(".kpi-value")).to_have_text(re.compile(r"^(-?\d+(\.\d)?%|—)$"))
    expect(page.locator("#months-title + .table-wrap tbody tr")).to_have_count(13)
    expect(page.locator("#by-facility-title + .table-wrap tbody tr")).to_have_count(3)
    expect(page.locator(".hbars li").first).to_be_visible()
    # One facility's figures.
    page.get_by_label("Show", exact=True).select_option(label="Riverside Care Center")
    expect(page.locator("#dashboard-scope-note")).to_have_text("Showing Riverside Care Center.")
    shot(page, "web2-e2e-dashboard")


def test_invite_a_coordinator_who_joins_from_the_email(page: Page, new_page, server: Server):
    invitee = f"coordinator-{uuid.uuid4().hex[:8]}@demo.example"
    sign_in(page, server)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Team").click()
    invite = page.locator("#invite-form")
    invite.get_by_label("E-mail").fill(invitee)
    invite.get_by_label("Role").select_option("coordinator")
    invite.get_by_role("button", name="Send invitation").click()
    expect(page.locator("#team-status")).to_contain_text(f"Invitation sent to {invitee}")
    expect(page.locator("#invitations-body tr", has_text=invitee)).to_be_visible()
    shot(page, "web2-e2e-team")

    token = server.link_in_mail(invitee, "accept-invitation")

    joining = new_page()
    joining.goto(f"{server.base_url}/#accept-invitation={token}")
    # The link names the organization, the address and the role before anything is chosen.
    expect(joining.get_by_role("heading", name="Join Demo Senior Care")).to_be_visible()
    expect(joining.locator("#accept-form .card-intro")).to_contain_text(
        f"invited as a coordinator with {invitee}")
    shot(joining, "web2-e2e-accept-invitation")
    joining.get_by_label("Choose a password").fill(NEW_PASSWORD)
    joining.get_by_label("Repeat the password").fill(NEW_PASSWORD + " typo")
    joining.get_by_role("button", name="Join and sign in").click()
    expect(joining.locator("#accept-password-again-error")).to_have_text("Enter the same password twice.")
    joining.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    joining.get_by_role("button", name="Join and sign in").click()

    expect(joining.locator("#signed-in")).to_be_visible()
    expect(joining.locator("#user-email")).to_have_text(invitee)
    expect(joining.locator("#user-role")).to_have_text("Coordinator")
    expect(joining.locator("#app-notice")).to_contain_text("Welcome to Demo Senior Care")
    tabs = joining.get_by_role("navigation", name="Sections")
    expect(tabs.get_by_role("link", name="Evaluate")).to_be_visible()
    expect(tabs.get_by_role("link", name="Team")).to_be_hidden()
    assert "accept-invitation" not in joining.url  # the token left the address bar

    # The owner's list of open invitations no longer has it.
    page.reload()
    expect(page.locator("#users-body tr", has_text=invitee)).to_be_visible()
    expect(page.locator("#invitations-body tr", has_text=invitee)).to_have_count(0)

    # A used link says so, as soon as it is opened and again if a password is sent.
    again = new_page()
    again.goto(f"{server.base_url}/#accept-invitation={token}")
    expect(again.locator("#accept-form [data-notice]")).to_contain_text("not valid any more")
    again.get_by_label("Choose a password").fill(NEW_PASSWORD)
    again.get_by_label("Repeat the password").fill(NEW_PASSWORD)
    again.get_by_role("button", name="Join and sign in").click()
    expect(again.locator("#accept-form [data-problem]")).to_contain_text("not valid any more")


def test_forgot_password_and_reset_from_the_email(page: Page, new_page, server: Server):
    # A user of our own (set up through the API), so the demo owner's password stays.
    address = f"viewer-{uuid.uuid4().hex[:8]}@demo.example"
    owner = server.owner_token()
    server.api("POST", "/invitations", {"email": address, "role": "viewer"}, token=owner)
    token = server.link_in_mail(address, "accept-invitation")
    server.api("POST", "/invitations/accept", {"token": token, "password": NEW_PASSWORD})

    page.goto(server.base_url + "/")
    page.get_by_role("link", name="Forgot password?").click()
    forgot = page.locator("#forgot-form")
    expect(page.get_by_role("heading", name="Forgot your password?")).to_be_visible()
    forgot.get_by_label("Organization subdomain").fill("demo")
    forgot.get_by_label("E-mail").fill(address)
    forgot.get_by_role("button", name="Send the reset link").click()
    expect(page.locator("#forgot-notice")).to_contain_text("an e-mail with a reset link is on its way")

    reset = server.link_in_mail(address, "reset-password")
    page.goto(f"{server.base_url}/#reset-password={reset}")
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    form = page.locator("#reset-form")
    # The service's password rules, beside the field.
    form.get_by_label("New password", exact=True).fill("short")
    form.get_by_label("Repeat the new password").fill("short")
    form.get_by_role("button", name="Set the new password").click()
    expect(form.locator("#reset-password-error")).to_contain_text("12")
    renewed = "copper meadow violin sunrise"
    form.get_by_label("New password", exact=True).fill(renewed)
    form.get_by_label("Repeat the new password").fill(renewed)
    form.get_by_role("button", name="Set the new password").click()
    expect(page.locator("#signed-out-notice")).to_contain_text("Your password was changed")
    expect(page.locator("#login-form")).to_be_visible()

    sign_in(page, server, email_=address, password=renewed)
    expect(page.locator("#user-role")).to_have_text("Viewer")
    # A viewer reads: no Evaluate, no Team; the dashboard first.
    tabs = page.get_by_role("navigation", name="Sections")
    expect(tabs.get_by_role("link", name="Evaluate")).to_be_hidden()
    expect(tabs.get_by_role("link", name="Team")).to_be_hidden()
    expect(tabs.get_by_role("link", name="Dashboard")).to_have_attribute("aria-current", "page")


def test_validation_errors_show_beside_their_fields(page: Page, server: Server):
    sign_in(page, server)
    form = page.locator("#evaluate-form")
    form.get_by_label("Facility").select_option(label="Riverside Care Center")
    form.get_by_label("Payer").select_option(label="Private pay")
    form.get_by_label("Expected stay").fill("400")
    form.get_by_label("Short note").fill("Mr. John Smith, MRN 12345678")
    form.get_by_role("button", name="Evaluate").click()

    problem = form.locator("[data-problem]")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Some fields are missing or invalid.")
    expect(form.locator("#ev-los-error")).to_contain_text("365")
    expect(form.get_by_label("Expected stay")).to_have_attribute("aria-invalid", "true")
    expect(form.locator("#ev-acuity-error")).to_have_text("Choose one.")
    expect(form.locator("#ev-note-error")).to_contain_text("must not identify the patient")
    # The first field in error has the focus.
    expect(form.get_by_label("Expected stay")).to_be_focused()
    shot(page, "web2-e2e-validation")

    # Fixed, the problems go.
    form.get_by_label("Expected stay").fill("14")
    form.get_by_label("Low").check()
    form.get_by_label("Short note").fill("Prefers a morning admission")
    form.get_by_role("button", name="Evaluate").click()
    expect(page.locator("#evaluate-result .eval-verdict")).to_be_visible()
    expect(problem).to_be_hidden()
    expect(form.locator("#ev-los-error")).to_have_text("")


def test_signup_checks_the_subdomain_as_it_is_typed(page: Page, server: Server):
    page.goto(server.base_url + "/")
    field = page.locator("#signup-form").get_by_label("Subdomain")
    status = page.locator("#signup-subdomain-status")
    field.press_sequentially("demo", delay=30)
    expect(status).to_have_text("demo: is taken.")
    field.fill("")
    field.press_sequentially("fresh-care-" + uuid.uuid4().hex[:6], delay=10)
    expect(status).to_have_text(re.compile(r"^fresh-care-\w+ is available\.$"))
    field.fill("ab")
    field.dispatch_event("input")
    expect(status).to_contain_text("3 to 30 characters")
    shot(page, "web2-e2e-signin")


PNG_1PX = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def test_organization_color_and_logo(page: Page, server: Server):
    sign_in(page, server)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Settings").click()
    org = page.locator("#org-form")
    expect(org.get_by_label("Name")).to_have_value("Demo Senior Care")

    # A wrong color is refused beside its field.
    org.get_by_role("textbox", name="Primary color", exact=True).fill("orange")
    org.get_by_role("button", name="Save").click()
    expect(org.locator("#org-color-error")).to_have_text("Enter a color as #rrggbb, e.g. #1f5d8c.")

    # A light color becomes the accent, darkened until white text on it is readable.
    org.get_by_role("textbox", name="Primary color", exact=True).fill("#f5c542")
    expect(page.locator("#color-note")).to_contain_text("darker shade")
    org.get_by_role("button", name="Save").click()
    expect(page.locator("#settings-status")).to_have_text("The organization was saved.")
    accent = page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()")
    assert re.fullmatch(r"#[0-9a-f]{6}", accent) and accent != "#f5c542"
    assert _contrast_with_white(accent) >= 4.5

    logo = page.locator("#logo-form")
    logo.get_by_label("New logo").set_input_files(
        {"name": "logo.png", "mimeType": "image/png", "buffer": PNG_1PX})
    logo.get_by_role("button", name="Upload logo").click()
    expect(page.locator("#settings-status")).to_have_text("The logo was uploaded.")
    expect(page.locator("#org-logo")).to_be_visible()
    expect(page.locator("#org-logo")).to_have_attribute("src", re.compile(r"^/api/branding/demo/logo\?v=\d+$"))
    shot(page, "web2-e2e-settings")

    # A reload keeps the organization's look.
    page.reload()
    expect(page.locator("#org-logo")).to_be_visible()
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()") == accent

    # Back to the product's own look, for the other tests.
    logo.get_by_role("button", name="Remove logo").click()
    page.locator("#confirm-dialog").get_by_role("button", name="Remove").click()
    expect(page.locator("#org-logo")).to_be_hidden()
    org.get_by_role("button", name="Use the default").click()
    org.get_by_role("button", name="Save").click()
    expect(page.locator("#settings-status")).to_have_text("The organization was saved.")
    assert page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--accent').trim()") == "#1f5d8c"


def _contrast_with_white(color: str) -> float:
    def channel(v: int) -> float:
        c = v / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    luminance = 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
    return 1.05 / (luminance + 0.05)


def test_team_role_deactivate_and_withdraw(page: Page, server: Server):
    owner = server.owner_token()
    member = f"member-{uuid.uuid4().hex[:8]}@demo.example"
    server.api("POST", "/invitations", {"email": member, "role": "viewer"}, token=owner)
    server.api("POST", "/invitations/accept",
               {"token": server.link_in_mail(member, "accept-invitation"), "password": NEW_PASSWORD})
    pending = f"pending-{uuid.uuid4().hex[:8]}@demo.example"
    server.api("POST", "/invitations", {"email": pending, "role": "admin"}, token=owner)

    sign_in(page, server)
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Team").click()
    row = page.locator("#users-body tr", has_text=member)
    row.get_by_label(f"Role of {member}", exact=True).select_option("coordinator")
    row.get_by_role("button", name=f"Save the role of {member}").click()
    expect(page.locator("#team-status")).to_have_text(f"{member} is now coordinator.")
    expect(page.locator("#users-body tr", has_text=member).get_by_label(f"Role of {member}", exact=True)).to_have_value("coordinator")

    page.locator("#users-body tr", has_text=member).get_by_role("button", name=f"Deactivate {member}").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Deactivate").click()
    expect(page.locator("#team-status")).to_have_text(f"{member} was deactivated.")
    expect(page.locator("#users-body tr", has_text=member)).to_have_count(0)
    page.get_by_label("Show deactivated").check()
    expect(page.locator("#users-body tr", has_text=member)).to_contain_text("Inactive")

    invitation = page.locator("#invitations-body tr", has_text=pending)
    invitation.get_by_role("button", name=f"Withdraw the invitation of {pending}").click()
    dialog.get_by_role("button", name="Withdraw").click()
    expect(page.locator("#invitations-body tr", has_text=pending)).to_have_count(0)
    expect(page.locator("#team-status")).to_have_text(f"The invitation of {pending} was withdrawn.")
