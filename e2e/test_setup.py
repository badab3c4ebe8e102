"""Setup in a real browser: a new organization adds its facility and edits its census, adds a
payer, a PDPM rate with the facility's locality and wage index prefilled (an overlapping one is
refused in place), a cost model with the services it provides, its scoring (a sample score follows the
weights as they change), and evaluates its first referral,
all without the API; a second organization sees none of it. Screens at 1440 and 390 px."""
from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from support import Server, shot, sign_in

PASSWORD = "a long passphrase for setup"


def new_organization(server: Server, name: str) -> dict:
    subdomain = f"setup-{secrets.token_hex(3)}"
    login = {"subdomain": subdomain, "email": f"owner@{subdomain}.example", "password": PASSWORD}
    server.api("POST", "/signup", {"organization_name": name, **login})
    return login


def sign_in_as(page: Page, server: Server, login: dict) -> None:
    sign_in(page, server, subdomain=login["subdomain"], email_=login["email"],
            password=login["password"])


def test_a_new_organization_sets_up_and_evaluates_in_the_browser(new_page, server: Server):
    login = new_organization(server, "Birch Hollow Care")
    page = new_page(1440, 900)
    sign_in_as(page, server, login)

    # The facility, then its census changed in place.
    page.goto(server.base_url + "/#facilities")
    form = page.locator("#facility-form")
    expect(form).to_be_visible()
    form.get_by_label("Name").fill("Birch Hollow North")
    form.get_by_label("Licensed beds").fill("80")
    form.get_by_label("Current census").fill("60")
    form.get_by_label("Wage index").fill("0.9512")
    form.get_by_role("button", name="Add facility").click()
    row = page.locator("#facilities-body tr", has_text="Birch Hollow North")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Edit Birch Hollow North").click()
    expect(form.get_by_role("heading", name="Edit Birch Hollow North")).to_be_visible()
    form.get_by_label("Current census").fill("70")
    form.get_by_role("button", name="Save changes").click()
    expect(page.locator("#facilities-status")).to_contain_text("census 70 of 80 beds")
    expect(row.locator('[data-label="Census"]')).to_have_text("70")

    # Setup: an empty screen says what to do.
    page.goto(server.base_url + "/#setup")
    expect(page.locator("#payers-empty")).to_contain_text("No payers yet")
    expect(page.locator("#rates-empty")).to_be_visible()
    payer_form = page.locator("#payer-form")
    payer_form.get_by_label("Name").fill("Medicare Part A")
    payer_form.get_by_label("Type").select_option(label="Medicare Part A")
    payer_form.get_by_role("button", name="Add payer").click()
    expect(page.locator("#payers-list")).to_contain_text("Medicare Part A")

    rate_form = page.locator("#rate-form")
    rate_form.get_by_label("Payer").select_option(label="Medicare Part A")
    rate_form.get_by_label("Method").select_option("pdpm")
    expect(rate_form.get_by_label("Wage index")).to_have_value("0.9512")  # the facility's
    expect(rate_form.get_by_label("Locality")).to_have_value("urban")
    rate_form.get_by_label("Effective from").fill("2025-10-01")
    rate_form.get_by_role("button", name="Add rate").click()
    expect(page.locator("#rates-body tr", has_text="Medicare PDPM")).to_have_count(1)
    # The same period again overlaps: said in the form, nothing added.
    rate_form.get_by_label("Payer").select_option(label="Medicare Part A")
    rate_form.get_by_label("Method").select_option("pdpm")
    rate_form.get_by_label("Effective from").fill("2026-01-01")
    rate_form.get_by_role("button", name="Add rate").click()
    expect(rate_form.locator("[data-problem]")).to_contain_text("Another active rate")
    expect(page.locator("#rates-body tr")).to_have_count(1)
    # Ending the first rate the day before makes room for the new one.
    first = page.locator("#rates-body tr").first
    first.get_by_label("Last day of the PDPM rate from 2025-10-01").fill("2025-12-31")
    first.get_by_role("button", name="End").click()
    expect(page.locator("#setup-status")).to_have_text("The rate now ends on 2025-12-31.")
    rate_form.get_by_label("Payer").select_option(label="Medicare Part A")
    rate_form.get_by_label("Method").select_option("pdpm")
    rate_form.get_by_label("Effective from").fill("2026-01-01")
    rate_form.get_by_role("button", name="Add rate").click()
    expect(page.locator("#rates-body tr")).to_have_count(2)
    expect(page.locator("#rates-body")).to_contain_text("2025-10-01 to 2025-12-31")

    cost_form = page.locator("#cost-form")
    expect(cost_form.get_by_label("Facility")).to_have_value(re.compile(".+"))
    cost_form.get_by_label("Fixed cost ($ a day)").fill("118")
    cost_form.get_by_label("Nursing wage ($ an hour)").fill("38.50")
    cost_form.get_by_label("Therapy ($ a day)").fill("42")
    for level, hours in (("Low", "2.5"), ("Moderate", "3.2"), ("High", "4.0"), ("Complex", "4.8")):
        cost_form.locator("#cost-hours-grid").get_by_label(level).fill(hours)
    cost_form.get_by_label("IV therapy", exact=True).check()
    cost_form.get_by_label("IV therapy: cost a day in dollars").fill("85")
    # Therapy by PDPM group and the ancillary lines; imaging left blank is not in the model.
    cost_form.get_by_label("Physical therapy at a PT CMI of 1.0 ($ a day)").fill("40.20")
    cost_form.get_by_label("Labs ($ a day)").fill("9")
    cost_form.get_by_label("Transport ($ a stay)").fill("250")
    cost_form.get_by_role("button", name="Add cost model").click()
    expect(page.locator("#setup-status")).to_have_text("The cost model was saved.")
    expect(cost_form.get_by_role("button", name="Save cost model")).to_be_visible()
    expect(cost_form.get_by_label("Transport ($ a stay)")).to_have_value("250.00")
    expect(cost_form.get_by_label("Imaging ($ a day)")).to_have_value("")

    # Scoring: the sample's score follows the weights as they are typed, then they are saved.
    weights = page.locator("#weights-form")
    score = page.locator("#weights-sample-score")
    expect(score).to_have_text(re.compile(r"^\d+(\.\d)?$"))
    before = score.inner_text()
    weights.get_by_label("Margin weight").fill("0")
    expect(score).not_to_have_text(before)
    weights.get_by_label("Accept from (score)").fill("95")
    expect(page.locator("#weights-sample-verdict")).to_have_text(re.compile("Review|Decline"))
    weights.get_by_role("button", name="Save scoring").click()
    expect(page.locator("#setup-status")).to_contain_text("The scoring was saved")
    shot(page, "setup-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "setup-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    # The first evaluation, from what was just set up.
    page.goto(server.base_url + "/#evaluate")
    form = page.locator("#evaluate-form")
    form.get_by_label("Facility").select_option(label="Birch Hollow North")
    form.get_by_label("Payer").select_option(label="Medicare Part A")
    form.get_by_label("Expected stay").fill("20")
    form.get_by_label("Moderate").check()
    form.get_by_label("IV therapy").check()
    page.locator("#ev-pdpm").get_by_role("textbox", name="HIPPS code").fill("KBGE1")
    form.get_by_role("button", name="Evaluate").click()
    result = page.locator("#evaluate-result")
    expect(result.locator(".eval-verdict .badge")).to_have_text(re.compile(r"^(Accept|Review|Decline)$"))
    # A service the facility does not provide: a hard stop, said as a sentence.
    form.get_by_label("Dialysis").check()
    form.get_by_role("button", name="Evaluate").click()
    expect(result.locator(".callout.danger li")).to_have_text("This facility does not provide Dialysis.")

    # Another organization sees none of it.
    other = new_organization(server, "Other Place")
    stranger = new_page(1440, 900)
    sign_in_as(stranger, server, other)
    stranger.goto(server.base_url + "/#setup")
    expect(stranger.locator("#payers-empty")).to_be_visible()
    expect(stranger.locator("#rates-body tr")).to_have_count(0)
    expect(stranger.locator("#tab-setup")).not_to_contain_text("Birch Hollow")


def test_the_checklist_leads_a_new_organization_to_its_first_evaluation(new_page, server: Server):
    subdomain = f"juniper-{secrets.token_hex(3)}"
    login = {"subdomain": subdomain, "email": f"owner@{subdomain}.example", "password": PASSWORD}
    page = new_page(1440, 900)
    # Signing up in the browser, as a new customer does.
    page.goto(server.base_url + "/")
    signup = page.locator("#signup-form")
    signup.get_by_label("Organization name").fill("Juniper Court")
    signup.get_by_label("Subdomain").fill(subdomain)
    signup.get_by_label("Your e-mail").fill(login["email"])
    signup.get_by_label("Password").fill(PASSWORD)
    signup.get_by_role("button", name="Create organization").click()
    expect(page.locator("#signed-in")).to_be_visible()
    checklist = page.locator("#onboarding")
    expect(checklist.get_by_role("heading", name="Getting started")).to_be_visible()
    expect(checklist.locator('a[aria-current="step"]')).to_have_text("Add your facility, with its census")
    shot(page, "onboarding-start-1440")

    checklist.get_by_role("link", name="Add your facility, with its census").click()
    form = page.locator("#facility-form")
    form.get_by_label("Name").fill("Juniper Court")
    form.get_by_label("Licensed beds").fill("60")
    form.get_by_label("Current census").fill("48")
    form.get_by_label("Wage index").fill("0.8921")
    form.get_by_role("button", name="Add facility").click()
    expect(page.locator("#facilities-body tr", has_text="Juniper Court")).to_be_visible()

    page.goto(server.base_url + "/#evaluate")
    expect(checklist.locator('li[data-done="true"]')).to_have_count(1)
    checklist.get_by_role("button", name="Start from sensible defaults").click()
    expect(checklist.locator("#onboarding-status")).to_contain_text("Medicare Part A")
    expect(checklist.locator('li[data-done="true"]')).to_have_count(4)
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "onboarding-defaults-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    form = page.locator("#evaluate-form")  # its choices now hold the new payer
    form.get_by_label("Facility").select_option(label="Juniper Court")
    form.get_by_label("Payer").select_option(label="Medicare Part A")
    form.get_by_label("Expected stay").fill("25")
    form.get_by_label("High").check()
    page.locator("#ev-pdpm").get_by_role("textbox", name="HIPPS code").fill("KBGE1")
    form.get_by_role("button", name="Evaluate").click()
    result = page.locator("#evaluate-result")
    expect(result.locator(".eval-verdict .badge")).to_have_text(re.compile(r"^(Accept|Review|Decline)$"))
    shot(page, "onboarding-evaluation-1440")
    result.get_by_role("button", name="Save as admission").click()
    case = result.locator(".saved-case .case-number")
    expect(case).to_be_visible()
    case_number = case.inner_text()

    # Decide: a decline is confirmed, then undone by the owner (an admin) and decided again.
    page.goto(server.base_url + "/#admissions")
    page.locator("#admissions-body tr", has_text=case_number).get_by_role("link", name=case_number).click()
    decision = page.locator("#decision-form")
    decision.get_by_label("Reason").select_option(label="Financial")
    decision.get_by_role("button", name="Decline").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Decline this referral?")
    expect(dialog).to_contain_text("reason: Financial")
    dialog.get_by_role("button", name="Go back").click()
    badge = page.locator("#admission-detail-body .detail-badges .badge").first
    expect(badge).to_have_text("Pending")
    decision.get_by_role("button", name="Decline").click()
    dialog.get_by_role("button", name="Decline").click()
    expect(badge).to_have_text("Declined")
    shot(page, "decision-declined-1440")
    page.get_by_role("button", name="Undo “Declined”").click()
    dialog.get_by_role("button", name="Undo").click()
    expect(badge).to_have_text("Pending")
    expect(page.locator("#admission-status")).to_contain_text("was undone")
    page.locator("#decision-form").get_by_role("button", name="Accept").click()
    expect(badge).to_have_text("Accepted")

    # The audit log shows the decline, its undo and who did them; the CSV holds the same.
    page.goto(server.base_url + "/#audit")
    filters = page.locator("#audit-filters")
    filters.get_by_label("Object").select_option(label="Admissions")
    filters.get_by_role("button", name="Filter").click()
    audit = page.locator("#audit-body")
    expect(audit.locator("tr").first).to_contain_text("Admission accepted")
    expect(audit).to_contain_text("Admission reopen")
    expect(audit).to_contain_text("Admission declined")
    expect(audit.locator("tr", has_text="Admission reopen")).to_contain_text(login["email"])
    shot(page, "audit-1440")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    exported = download.value.path().read_text()
    assert "admission.reopen" in exported and "facility.create" not in exported
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "audit-390")
    page.set_viewport_size({"width": 1440, "height": 900})

    page.goto(server.base_url + "/#dashboard")
    expect(checklist).to_be_hidden()
    shot(page, "onboarding-dashboard-1440")

    # A second organization sees none of it.
    stranger = new_page(1440, 900)
    sign_in_as(stranger, server, new_organization(server, "Elsewhere Care"))
    stranger.goto(server.base_url + "/#audit")
    expect(stranger.locator("#audit-body")).not_to_contain_text("Admission")
    stranger.goto(server.base_url + "/#admissions")
    expect(stranger.locator("#admissions-body")).not_to_contain_text(case_number)


def test_an_owner_renames_and_deactivates_payers_and_changes_a_rate(new_page, server: Server):
    subdomain = f"setup-{secrets.token_hex(3)}"
    login = {"subdomain": subdomain, "email": f"owner@{subdomain}.example", "password": PASSWORD}
    token = server.api("POST", "/signup", {"organization_name": "Aspen Ridge Care", **login})["token"]
    facility = server.api("POST", "/facilities", {
        "name": "Aspen Ridge East", "bed_count": 60, "current_census": 40,
        "target_occupancy_pct": 90}, token=token)
    kept = server.api("POST", "/payers", {"name": "State Medicaid Plan", "payer_type": "medicaid"},
                      token=token)
    server.api("POST", "/payers", {"name": "Old Private Pay", "payer_type": "private_pay"}, token=token)
    server.api("POST", "/rates", {
        "facility_id": facility["id"], "payer_id": kept["id"], "method": "per_diem",
        "per_diem": 400, "effective_from": "2025-01-01"}, token=token)

    page = new_page(1440, 900)
    sign_in_as(page, server, login)
    page.goto(server.base_url + "/#setup")
    payers = page.locator("#payers-list")
    expect(payers).to_contain_text("Old Private Pay")

    # Rename: the form opens in the row; a blank name is refused in place.
    payers.get_by_role("button", name="Edit State Medicaid Plan").click()
    rename = payers.get_by_role("form", name="Rename State Medicaid Plan")
    rename.get_by_label("Name").fill("")
    rename.get_by_role("button", name="Save").click()
    expect(rename.locator('[data-error-for="name"]')).not_to_be_empty()
    rename.get_by_label("Name").fill("Ohio Medicaid")
    rename.get_by_role("button", name="Save").click()
    expect(page.locator("#setup-status")).to_have_text("The payer is now Ohio Medicaid.")
    expect(payers).to_contain_text("Ohio Medicaid")
    expect(payers).not_to_contain_text("State Medicaid Plan")

    # Deactivate, after the confirmation: it leaves the list.
    payers.get_by_role("button", name="Deactivate Old Private Pay").click()
    dialog = page.locator("#confirm-dialog")
    expect(dialog).to_contain_text("Deactivate Old Private Pay?")
    dialog.get_by_role("button", name="Deactivate").click()
    expect(page.locator("#setup-status")).to_have_text("Old Private Pay was deactivated.")
    expect(payers).not_to_contain_text("Old Private Pay")

    # The per-diem rate's amount changed in place.
    row = page.locator("#rates-body tr", has_text="Ohio Medicaid")
    expect(row).to_contain_text("$400.00 a day")
    row.get_by_role("button", name="Edit the rate from 2025-01-01").click()
    edit = page.get_by_role("form", name="Edit the rate from 2025-01-01")
    edit.get_by_label("Per diem ($ a day)").fill("-5")
    edit.get_by_role("button", name="Save rate").click()
    expect(edit.locator('[data-error-for="per_diem"]')).not_to_be_empty()
    edit.get_by_label("Per diem ($ a day)").fill("425.50")
    edit.get_by_role("button", name="Save rate").click()
    expect(page.locator("#setup-status")).to_have_text("The rate was saved.")
    expect(page.locator("#rates-body tr", has_text="Ohio Medicaid")).to_contain_text("$425.50 a day")

    # The Evaluate screen offers the renamed payer and not the deactivated one.
    page.goto(server.base_url + "/#evaluate")
    choices = page.locator("#ev-payer option")
    expect(choices.filter(has_text="Ohio Medicaid")).to_have_count(1)
    expect(choices.filter(has_text="Old Private Pay")).to_have_count(0)
