"""Plans and billing in a real browser: a trial organization reaches its admissions limit, sees
the 402 where the save failed with the way to the plans, upgrades through Checkout (the local
fake of Stripe: its Pay button delivers the signed webhooks, then sends the browser back), and
saves again. The plan page at desktop and phone widths."""
from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from support import Server, shot, sign_in

PASSWORD = "tidal orchard copper lantern"
TRIAL_ADMISSIONS = 20  # the Trial plan's admissions a month


def _trial_at_its_admissions_limit(server: Server) -> dict:
    """A new organization through the real signup (a 14-day trial), configured and with the
    month's admissions used up, all through the API."""
    subdomain = f"trial-{secrets.token_hex(4)}"
    login = {"subdomain": subdomain, "email": f"owner@{subdomain}.example", "password": PASSWORD}
    token = server.api("POST", "/signup", {"organization_name": "Harbor Trial Care", **login})["token"]
    facility = server.api("POST", "/facilities", {
        "name": "Harbor View Rehab", "bed_count": 100, "current_census": 80,
        "target_occupancy_pct": 90}, token=token)
    payer = server.api("POST", "/payers", {"name": "Ohio Medicaid", "payer_type": "medicaid"},
                       token=token)
    server.api("POST", "/rates", {
        "facility_id": facility["id"], "payer_id": payer["id"], "method": "per_diem",
        "per_diem": 400, "effective_from": "2025-01-01"}, token=token)
    server.api("POST", "/cost-models", {
        "facility_id": facility["id"], "fixed_daily_cost": 150,
        "nursing_hours_per_day": {"low": 2, "moderate": 3, "high": 4, "complex": 5},
        "nursing_wage_hourly": 40, "therapy_cost_per_day": 50}, token=token)
    referral = {"facility_id": facility["id"], "payer_id": payer["id"],
                "length_of_stay_days": 10, "acuity": "moderate"}
    for _ in range(TRIAL_ADMISSIONS):
        server.api("POST", "/admissions", referral, token=token)
    usage = server.api("GET", "/usage", token=token)["current"]["admissions"]
    assert (usage["used"], usage["limit"]) == (TRIAL_ADMISSIONS, TRIAL_ADMISSIONS), usage
    return {**login, "token": token}


def _evaluate_and_save(page: Page) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Evaluate").click()
    form = page.locator("#evaluate-form")
    form.get_by_label("Facility").select_option(label="Harbor View Rehab")
    form.get_by_label("Payer").select_option(label="Ohio Medicaid")
    form.get_by_label("Expected stay").fill("12")
    form.get_by_label("Moderate").check()
    form.get_by_role("button", name="Evaluate").click()
    result = page.locator("#evaluate-result")
    expect(result.get_by_role("heading", name="Evaluation")).to_be_visible()
    result.get_by_role("button", name="Save as admission").click()


def test_trial_hits_its_limit_upgrades_through_checkout_and_saves_again(page: Page,
                                                                        server: Server):
    org = _trial_at_its_admissions_limit(server)
    page.set_viewport_size({"width": 1440, "height": 900})
    sign_in(page, server, subdomain=org["subdomain"], email_=org["email"],
            password=org["password"])

    # Every signed-in page says the trial's days left, with the way to the plans.
    banner = page.get_by_role("region", name="Your plan")
    expect(banner).to_contain_text(re.compile(r"Trial: 1[34] days left"))
    expect(banner.get_by_role("link", name="Choose a plan")).to_be_visible()

    # The 21st admission of the month: the 402's sentence where the form's problems show, with
    # the upgrade beside it; nothing is saved.
    _evaluate_and_save(page)
    problem = page.locator("#evaluate-form [data-problem]")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text(f"The Trial plan allows {TRIAL_ADMISSIONS} admissions a month; "
                                    f"{TRIAL_ADMISSIONS} used this month.")
    expect(problem).to_be_focused()
    expect(page.locator("#evaluate-result .saved-case")).to_have_count(0)
    upgrade = problem.get_by_role("link", name="Upgrade the plan")
    expect(upgrade).to_be_visible()
    shot(page, "billing-e2e-402-in-place")
    upgrade.click()

    # The plan page: the month's admissions at the limit, the plans, the way up.
    expect(page).to_have_url(re.compile(r"#billing$"))
    expect(page.get_by_role("heading", name="Plan & usage")).to_be_visible()
    expect(page.get_by_test_id("current-plan")).to_have_text("Trial")
    admissions = page.get_by_role("meter", name="Admissions this month")
    expect(admissions).to_have_attribute("aria-valuetext", f"{TRIAL_ADMISSIONS} of {TRIAL_ADMISSIONS}")
    expect(page.locator('.usage-row[data-resource="admissions"]')).to_contain_text("Limit reached")
    expect(page.get_by_role("meter", name="Active facilities")).to_have_attribute("aria-valuetext", "1 of 1")
    expect(page.locator(".plan-card", has_text="Enterprise")).to_contain_text("No limit on admissions")
    # Upgrades only to self-serve plans above the current one.
    expect(page.locator(".plan-card[data-tier=trial]")).to_contain_text("Current plan")
    expect(page.get_by_role("button", name="Upgrade to Professional")).to_be_visible()
    expect(page.locator(".plan-card[data-tier=enterprise]").get_by_role("button")).to_have_count(0)
    # Only an owner sees the buttons: the banner's link points here, so it is not repeated.
    expect(banner.get_by_role("link")).to_have_count(0)
    shot(page, "billing-e2e-plan-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_role("button", name="Upgrade to Starter")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "wider than the phone"
    shot(page, "billing-e2e-plan-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    # Checkout (the fake's page), Pay: the webhooks are delivered, then the browser comes back.
    page.get_by_role("button", name="Upgrade to Starter").click()
    expect(page.get_by_role("heading", name="Test checkout — $199.00/month")).to_be_visible()
    page.get_by_role("button", name="Pay").click()

    expect(page).to_have_url(re.compile(r"#billing$"))  # the ?checkout=success is said once
    status = page.locator("#billing-status")
    expect(status).to_contain_text("Thank you: payment received. Harbor Trial Care is on the Starter plan now")
    expect(status).to_be_focused()
    expect(page.get_by_test_id("current-plan")).to_have_text("Starter")
    expect(page.locator("#org-tier")).to_have_text("Starter")  # one badge: the plan, paid
    expect(page.locator("#org-tier")).to_have_attribute("data-tone", "good")
    expect(banner).to_be_hidden()
    expect(page.get_by_role("meter", name="Admissions this month")).to_have_attribute(
        "aria-valuetext", f"{TRIAL_ADMISSIONS} of 50")
    expect(page.locator(".plan-card[data-tier=starter]")).to_contain_text("Current plan")
    expect(page.locator(".plan-summary")).to_contain_text("Renews on")
    expect(page.locator(".plan-summary").get_by_role("button", name="Manage billing")).to_be_visible()
    shot(page, "billing-e2e-plan-after-upgrade")

    # And the admission that was refused is saved now.
    _evaluate_and_save(page)
    expect(page.locator("#evaluate-result .saved-case .case-number")).to_have_text(re.compile(r"^\S+-\d{4}-\d{6}$"))
    expect(page.locator("#evaluate-form [data-problem]")).to_be_hidden()
    used = server.api("GET", "/usage", token=org["token"])["current"]["admissions"]
    assert (used["used"], used["limit"]) == (TRIAL_ADMISSIONS + 1, 50), used


def test_demo_owner_sees_the_plan_page_without_limits(page: Page, server: Server):
    """The demo organization (Enterprise, active): no banner, usage against no limits."""
    sign_in(page, server)
    expect(page.locator("#standing-banner")).to_be_hidden()
    page.get_by_role("navigation", name="Sections").get_by_role("link", name="Plan & usage").click()
    expect(page.get_by_test_id("current-plan")).to_have_text("Enterprise")
    expect(page.locator('.usage-row[data-resource="admissions"]')).to_contain_text("no limit")
    expect(page.locator(".plan-card[data-tier=enterprise]")).to_contain_text("Current plan")
    # Nothing self-serve is above Enterprise.
    expect(page.locator(".plan-cards").get_by_role("button")).to_have_count(0)
