"""Every main screen at 1440 and 390 px wide, as the demo owner: no page is wider than the
screen, the Team page's Withdraw button is fully on screen, and a screenshot of each is kept
(E2E_SCREENSHOTS)."""
from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from support import Server, shot, sign_in

SCREENS = ["evaluate", "admissions", "dashboard", "facilities", "setup", "team", "settings",
           "audit", "billing"]


@pytest.mark.parametrize("width,height", [(1440, 900), (390, 844)])
def test_every_main_screen_fits_the_screen(new_page, server: Server, width, height):
    page: Page = new_page(width, height)
    sign_in(page, server)
    # An open invitation, so the Team page has a Withdraw button to see.
    page.goto(server.base_url + "/#team")
    invite = page.locator("#invite-form")
    invite.get_by_label("E-mail").fill(f"wide-{width}@demo.example")
    invite.get_by_role("button", name="Send invitation").click()
    withdraw = page.get_by_role("button", name=f"Withdraw the invitation of wide-{width}@demo.example")
    expect(withdraw).to_be_visible()
    page.wait_for_load_state("networkidle")  # the list is drawn again once the invitation is in
    box = withdraw.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
    # Not clipped by the box around the invitations either.
    frame = page.locator(".invitations").bounding_box()
    assert box["x"] + box["width"] <= frame["x"] + frame["width"], (box, frame)
    if width <= 390:  # the organization card is collapsed: a few lines, not a screenful
        assert page.locator(".account").bounding_box()["height"] < 200

    for screen in SCREENS:
        page.goto(f"{server.base_url}/#{screen}")
        expect(page.locator(f"#tab-{screen}")).to_be_visible()
        page.wait_for_load_state("networkidle")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= width, f"#{screen} is {wide} px wide at {width} px"
        shot(page, f"screen-{screen}-{width}")
