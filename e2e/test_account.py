"""The account screens in a real browser: Settings' sessions (this browser's marked, another
ended and signed out at its next request), Team's "End all sessions" of a user by an admin,
the data export (asked for, its progress, the download once the timer has built it, its
manifest read), and closing the organization (read-only) and reopening it. Each in a new
organization of its own, so the demo organization is never closed; screenshots at 1440 and
390 px (E2E_SCREENSHOTS)."""
from __future__ import annotations

import json
import re
import uuid
import zipfile

from playwright.sync_api import Page, expect

from support import Server, shot, sign_in

PASSWORD = "granite willow beacon orchard"
WIDTHS = ((1440, 900), (390, 844))


def new_organization(server: Server, name: str) -> dict:
    subdomain = f"acct{uuid.uuid4().hex[:10]}"
    owner = {"subdomain": subdomain, "email": f"owner@{subdomain}.example", "password": PASSWORD}
    signed_up = server.api("POST", "/signup", {"organization_name": name, **owner})
    return {**owner, "token": signed_up["token"]}


def join(server: Server, organization: dict, role: str) -> dict:
    """A user of this role, invited by the owner and joined through the e-mailed link."""
    address = f"{role}-{uuid.uuid4().hex[:6]}@{organization['subdomain']}.example"
    server.api("POST", "/invitations", {"email": address, "role": role}, organization["token"])
    token = server.link_in_mail(address, "accept-invitation")
    server.api("POST", "/invitations/accept", {"token": token, "password": PASSWORD})
    return {"subdomain": organization["subdomain"], "email": address, "password": PASSWORD}


def sign_in_as(page: Page, server: Server, who: dict) -> None:
    sign_in(page, server, subdomain=who["subdomain"], email_=who["email"],
            password=who["password"])


def shots(page: Page, name: str) -> None:
    """The screen at each width: nothing wider than the screen, and a screenshot of it."""
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"{name} is {wide} px wide at {width} px"
        shot(page, f"{name}-{width}")
    page.set_viewport_size({"width": 1280, "height": 900})


def open_tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Sections").get_by_role("link", name=name).click()
    page.wait_for_load_state("networkidle")


def expect_signed_out_at_next_request(page: Page) -> None:
    open_tab(page, "Settings")
    expect(page.locator("#signed-out")).to_be_visible()
    expect(page.locator("#signed-out-notice")).to_contain_text("session")


def test_sessions_are_listed_and_another_one_ended(new_page, server: Server):
    owner = new_organization(server, "Sessions Care")
    elsewhere, here = new_page(), new_page()
    sign_in_as(elsewhere, server, owner)
    sign_in_as(here, server, owner)

    open_tab(here, "Settings")
    rows = here.locator("#sessions-body tr")
    expect(rows).to_have_count(3)  # signup's, the other browser's, this one
    expect(rows.filter(has_text="(this one)")).to_have_count(1)
    expect(rows.filter(has_text="(this one)").get_by_role("button", name="Sign out")).to_be_visible()
    shots(here, "account-sessions")
    here.set_viewport_size({"width": 390, "height": 844})  # one card a session, padded inside
    padding = here.evaluate("""() => [...document.querySelectorAll('#sessions-body tr')].map((tr) => {
        const row = tr.getBoundingClientRect(), cell = tr.querySelector('td').getBoundingClientRect();
        return cell.left - row.left; })""")
    assert min(padding) >= 8, padding
    here.set_viewport_size({"width": 1280, "height": 900})

    for left in (2, 1):  # end every other session, the other browser's among them
        rows.filter(has_not_text="(this one)").first.get_by_role("button", name="End").click()
        here.get_by_role("dialog").get_by_role("button", name="End session").click()
        expect(rows).to_have_count(left)
        expect(here.locator("#settings-status")).to_contain_text("was ended")

    expect_signed_out_at_next_request(elsewhere)
    open_tab(here, "Facilities")  # this one still works
    expect(here.locator("#signed-in")).to_be_visible()


def test_an_admin_ends_all_sessions_of_a_user(new_page, server: Server):
    organization = new_organization(server, "Team Sessions Care")
    admin, coordinator = join(server, organization, "admin"), join(server, organization,
                                                                   "coordinator")
    admins_page, coordinators_page = new_page(), new_page()
    sign_in_as(coordinators_page, server, coordinator)
    sign_in_as(admins_page, server, admin)

    open_tab(admins_page, "Team")
    end_all = admins_page.get_by_role("button", name=f"End all sessions of {coordinator['email']}")
    expect(end_all).to_be_visible()
    shots(admins_page, "account-team")
    end_all.click()
    admins_page.get_by_role("dialog").get_by_role("button", name="End all sessions").click()
    # the joining's session and the browser's
    expect(admins_page.locator("#team-status")).to_contain_text(
        f"{coordinator['email']} was signed out of 2 sessions.")

    expect_signed_out_at_next_request(coordinators_page)


def test_export_prepared_with_its_progress_then_downloaded(page: Page, server: Server, tmp_path):
    owner = new_organization(server, "Export Care")
    sign_in_as(page, server, owner)
    open_tab(page, "Settings")
    card = page.locator("#export-card")
    expect(card.get_by_text("No exports yet.")).to_be_visible()

    card.get_by_role("button", name="Export data").click()
    expect(page.locator("#settings-status")).to_contain_text("being prepared")
    progress = card.locator(".export-progress")
    expect(progress).to_contain_text("Waiting to start")
    # One small run (a few rows, as a large organization's runs are of its many): part-way.
    server.run_timer("build_data_exports", DATA_EXPORT_RUN_ROWS="3", DATA_EXPORT_CHUNK_ROWS="2")
    expect(progress).to_contain_text("Preparing ")  # the list refreshes itself
    expect(progress).to_contain_text(" rows (file ")
    files_total = int(re.search(r"file \d+ of (\d+)", progress.inner_text())[1])
    gap = page.evaluate("""() => document.querySelector('#export-list').getBoundingClientRect().top
        - document.querySelector('#export-request').getBoundingClientRect().bottom""")
    assert gap >= 8, gap  # the first export row does not touch the button
    shots(page, "account-export-progress")

    server.run_timer("build_data_exports")  # the rest
    download_button = card.get_by_role("button", name="Download")
    expect(download_button).to_be_visible()
    expect(card).to_contain_text("Ready")
    shots(page, "account-export-ready")
    with page.expect_download() as started:
        download_button.click()
    saved = tmp_path / "export.zip"
    started.value.save_as(saved)

    archive = zipfile.ZipFile(saved)
    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["subdomain"] == owner["subdomain"]
    rows = {entry["name"]: entry["rows"] for entry in manifest["files"]}
    assert {"organization.json", "users.csv", "facilities.csv", "admissions.csv",
            "admissions.json", "audit_logs.csv"} <= set(rows)
    assert rows["users.csv"] == 1 and rows["audit_logs.csv"] > 0
    assert set(archive.namelist()) == set(rows) | {"manifest.json"}
    assert files_total == len(rows)  # "file 2 of 22": every data file in the zip counted


def test_close_the_organization_then_reopen_it(page: Page, server: Server):
    owner = new_organization(server, "Closing Care")
    sign_in_as(page, server, owner)
    open_tab(page, "Settings")
    card = page.locator("#close-card")

    card.get_by_label("Your password").fill("not the password at all")
    card.get_by_role("button", name="Close the organization").click()
    page.get_by_role("dialog").get_by_role("button", name="Close the organization").click()
    expect(card.locator("[data-problem], .field-error").first).to_be_visible()

    card.get_by_label("Your password").fill(PASSWORD)
    card.get_by_role("button", name="Close the organization").click()
    page.get_by_role("dialog").get_by_role("button", name="Close the organization").click()
    expect(page.locator("#settings-status")).to_contain_text("The organization was closed")
    banner = page.locator("#standing-banner")
    expect(banner).to_be_visible()
    expect(banner).to_contain_text("read-only")
    # its way back is reopening, not a plan
    expect(banner.get_by_role("link", name="Reopen in Settings")).to_be_visible()
    expect(banner.get_by_role("link", name="Choose a plan")).to_have_count(0)
    expect(card.get_by_role("button", name="Reopen the organization")).to_be_visible()
    # closed: the organization's settings look as read-only as they are; the password is personal
    expect(page.locator("#settings-closed")).to_be_visible()
    expect(page.locator("#org-form").get_by_label("Name")).to_be_disabled()
    expect(page.locator("#org-form").get_by_role("button", name="Save")).to_be_hidden()
    expect(page.locator("#logo-form").get_by_role("button", name="Upload logo")).to_be_hidden()
    expect(page.locator("#password-form").get_by_role("button", name="Change password")).to_be_enabled()
    expect(page.locator("#onboarding")).to_be_hidden()
    shots(page, "account-closed")

    card.get_by_role("button", name="Reopen the organization").click()
    expect(banner).not_to_contain_text("read-only")
    expect(banner).to_contain_text("Trial")  # the standing it had before
    expect(card.get_by_role("button", name="Close the organization")).to_be_visible()
    expect(page.locator("#settings-closed")).to_be_hidden()
    expect(page.locator("#org-form").get_by_label("Name")).to_be_enabled()
    shots(page, "account-reopened")

