"""Evaluate, as a reimbursement analyst checked its PDPM figures against the reference tables
(tester-3, 2026-11-28): a stay that runs past 30 September shows each fiscal year's component
rates and which days they priced, not the rate's fiscal year over the next year's rates; a
Medicare Advantage contract's stay says the plan's cost sharing applies, not that the stay
"ends by day 20"; Setup adds and shows a PDPM rate's Medicare Advantage percentage and QRP
reduction, which the API took and the page could neither set nor show."""
from __future__ import annotations

import secrets
from datetime import date
from decimal import Decimal

from playwright.sync_api import Page, expect

from support import Server, shot, sign_in
from test_evaluate_fixes import fill_medicare, ids


def money(value: str) -> str:
    return f"${Decimal(value):,.2f}"


def last_20_september() -> date:
    """A stay from 20 September runs past 30 September on its 12th day; the latest such day
    not after today (a backdated referral is allowed)."""
    today = date.today()
    this_year = date(today.year, 9, 20)
    return this_year if this_year <= today else date(today.year - 1, 9, 20)


def fact(page: Page, term: str):
    return page.locator("#evaluate-result .facts-grid > div", has=page.locator("dt", has_text=term)
                        ).locator("dd")


def test_a_stay_past_30_september_shows_each_fiscal_years_rates(new_page, server: Server):
    start = last_20_september()
    token = server.owner_token()
    known = ids(server, token)
    api = server.api("POST", "/admissions/evaluate", {
        "facility_id": known["maple"], "payer_id": known["medicare"], "length_of_stay_days": 30,
        "acuity": "high", "hipps_code": "KBGE1", "referral_received_at": f"{start}T12:00:00Z"},
        token=token)
    first, second = api["revenue"]["pdpm"]["fiscal_years"]
    assert (first["days"], second["days"]) == (11, 19)
    # The demo's Medicare rate is set up for FY2026: the case the page mislabeled.
    assert api["revenue"]["pdpm"]["fiscal_year"] != second["fiscal_year"]

    page = new_page(1440, 900)
    page.emulate_media(reduced_motion="reduce")
    sign_in(page, server)
    fill_medicare(page, days="30", acuity="High", hipps="KBGE1")
    page.locator("#evaluate-form").get_by_label("Referral received").fill(f"{start}T12:00")
    page.locator("#evaluate-form").get_by_role("button", name="Evaluate").click()
    expect(page.locator("#evaluate-result .eval-verdict")).to_be_visible()

    years = fact(page, "Fiscal years")
    expect(years).to_contain_text(f"FY{first['fiscal_year']}")
    expect(years).to_contain_text("days 1–11")
    expect(years).to_contain_text(f"FY{second['fiscal_year']}")
    expect(years).to_contain_text("days 12–30")
    expect(fact(page, "Rate set up for")).to_contain_text(f"FY{api['revenue']['pdpm']['fiscal_year']}")

    # A column of component rates for each year, each the API's own for that year.
    rates = page.locator("#evaluate-result table.component-rates")
    headers = rates.locator("thead th")
    expect(headers).to_have_count(3)
    expect(headers.nth(1)).to_contain_text(f"FY{first['fiscal_year']}")
    expect(headers.nth(2)).to_contain_text(f"FY{second['fiscal_year']}")
    physical = rates.locator("tbody tr", has_text="Physical therapy").locator("td")
    expect(physical.nth(0)).to_have_text(money(first["component_rates"]["PT"]))
    expect(physical.nth(1)).to_have_text(money(second["component_rates"]["PT"]))
    shot(page, "evaluate-fiscal-years-1440")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # Both years' columns in view on a phone, not scrolled out of their box.
    wrap = rates.locator("xpath=..")
    assert wrap.evaluate("box => box.scrollWidth <= box.clientWidth"), wrap.evaluate(
        "box => [box.scrollWidth, box.clientWidth]")
    shot(page, "evaluate-fiscal-years-390")


def test_a_medicare_advantage_stay_names_the_plans_cost_sharing(page: Page, server: Server):
    subdomain = f"advantage-{secrets.token_hex(3)}"
    login = {"subdomain": subdomain, "email": f"owner@{subdomain}.example",
             "password": "a long passphrase for advantage"}
    token = server.api("POST", "/signup", {"organization_name": "Cedar Advantage Care",
                                           **login})["token"]
    facility = server.api("POST", "/facilities", {
        "name": "Cedar Court", "bed_count": 80, "current_census": 60, "state": "OH",
        "locality": "urban", "wage_index": "0.9512"}, token=token)
    defaults = server.api("POST", "/onboarding/defaults", {"facility_id": facility["id"]},
                          token=token)
    payer = server.api("POST", "/payers", {"name": "Sunrise Medicare Advantage",
                                           "payer_type": "medicare_advantage"}, token=token)
    medicare_rate = defaults["rate"]
    server.api("POST", "/rates", {
        "facility_id": facility["id"], "payer_id": payer["id"], "method": "pdpm",
        "pdpm_percent": 90, "effective_from": medicare_rate["effective_from"],
        "fiscal_year": medicare_rate["fiscal_year"], "locality": "urban", "wage_index": "0.9512",
        "vbp_multiplier": "1.0"}, token=token)

    sign_in(page, server, subdomain=subdomain, email_=login["email"], password=login["password"])
    page.goto(server.base_url + "/#evaluate")
    form = page.locator("#evaluate-form")
    form.get_by_label("Payer").select_option(label="Sunrise Medicare Advantage")
    form.get_by_label("Expected stay").fill("30")
    form.get_by_label("High").check()
    page.locator("#ev-pdpm").get_by_role("textbox", name="HIPPS code").fill("KBGE1")
    page.locator("#ev-details summary").click()
    # Stay day 11 is benefit day 21, where Original Medicare's coinsurance would start.
    form.get_by_label("Benefit days used").fill("10")
    form.get_by_role("button", name="Evaluate").click()
    expect(page.locator("#evaluate-result .eval-verdict")).to_be_visible()

    coinsurance = fact(page, "Coinsurance from day 21")
    expect(coinsurance).to_contain_text("Medicare Advantage plan's own cost sharing")
    expect(coinsurance).not_to_contain_text("ends by day 20")
    assumptions = page.locator("#evaluate-result").get_by_role("listitem").filter(
        has_text="coinsurance from day")
    expect(assumptions).to_have_count(0)
    shot(page, "evaluate-medicare-advantage-1280")


def test_setup_adds_and_shows_an_advantage_percentage_and_the_qrp_reduction(new_page,
                                                                          server: Server):
    subdomain = f"contract-{secrets.token_hex(3)}"
    login = {"subdomain": subdomain, "email": f"owner@{subdomain}.example",
             "password": "a long passphrase for contracts"}
    token = server.api("POST", "/signup", {"organization_name": "Linden Contract Care",
                                           **login})["token"]
    server.api("POST", "/facilities", {"name": "Linden Court", "bed_count": 80, "state": "OH",
                                       "locality": "rural", "wage_index": "0.8671"}, token=token)
    server.api("POST", "/payers", {"name": "Sunrise Medicare Advantage",
                                   "payer_type": "medicare_advantage"}, token=token)
    page = new_page(390, 844)
    sign_in(page, server, subdomain=subdomain, email_=login["email"], password=login["password"])
    page.goto(server.base_url + "/#setup")
    form = page.locator("#rate-form")
    form.get_by_label("Payer").select_option(label="Sunrise Medicare Advantage")
    form.get_by_label("Method").select_option("pdpm")
    form.get_by_label("Effective from").fill("2025-10-01")
    form.get_by_label("Fiscal year").fill("2026")
    form.get_by_label("Percent of PDPM").fill("95")
    form.get_by_label("Did not meet the SNF QRP").check()
    form.get_by_role("button", name="Add rate").click()
    row = page.locator("#rates-body tr", has_text="Sunrise Medicare Advantage")
    expect(row).to_contain_text("95% of PDPM")
    expect(row).to_contain_text("QRP not met")
    [rate] = server.api("GET", "/rates", token=token)["items"]
    assert (Decimal(rate["pdpm_percent"]), rate["qrp_reduced"]) == (Decimal("95"), True)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shot(page, "setup-advantage-rate-390")

    # The percentage changes in place; cleared, the rate is Original Medicare's PDPM.
    row.get_by_role("button", name="Edit the rate from 2025-10-01").click()
    edit = page.get_by_role("form", name="Edit the rate from 2025-10-01")
    edit.get_by_label("Percent of PDPM").fill("92.5")
    edit.get_by_role("button", name="Save rate").click()
    expect(page.locator("#setup-status")).to_have_text("The rate was saved.")
    expect(row).to_contain_text("92.5% of PDPM")
    row.get_by_role("button", name="Edit the rate from 2025-10-01").click()
    edit.get_by_label("Percent of PDPM").fill("")
    edit.get_by_role("button", name="Save rate").click()
    expect(page.locator("#setup-status")).to_have_text("The rate was saved.")
    expect(row).not_to_contain_text("% of PDPM")
    assert server.api("GET", "/rates", token=token)["items"][0]["pdpm_percent"] is None

    # The QRP reduction changes in place too (tester: only a new rate could set it).
    row.get_by_role("button", name="Edit the rate from 2025-10-01").click()
    expect(edit.get_by_label("Did not meet the SNF QRP")).to_be_checked()
    edit.get_by_label("Did not meet the SNF QRP").uncheck()
    edit.get_by_role("button", name="Save rate").click()
    expect(page.locator("#setup-status")).to_have_text("The rate was saved.")
    expect(row).not_to_contain_text("QRP not met")
    assert server.api("GET", "/rates", token=token)["items"][0]["qrp_reduced"] is False
