"""The e-mails the service sends, in plain text and HTML, with the organization's branding.
Every value is escaped in the HTML part."""
from __future__ import annotations

from html import escape
from string import Template

DEFAULT_COLOR = "#1f5f8b"

TEMPLATES: dict[str, dict[str, str]] = {
    "welcome": {
        "subject": "Welcome to SNF Admissions, $organization",
        "text": ("Your organization $organization is ready, with a $trial_days-day trial.\n\n"
                 "Sign in at $link with the subdomain $subdomain and your e-mail address.\n\n"
                 "Next: add your facilities, payers, rates and cost models, then evaluate your "
                 "first referral."),
    },
    "invitation": {
        "subject": "$inviter invited you to $organization on SNF Admissions",
        "text": ("$inviter invited you to join $organization as $role.\n\n"
                 "Choose your password here (the link works once, until $expires):\n$link\n\n"
                 "If you did not expect this, ignore this e-mail."),
    },
    "password_reset": {
        "subject": "Reset your SNF Admissions password",
        "text": ("Someone asked to reset the password of your account at $organization.\n\n"
                 "Choose a new password here (the link works once, until $expires):\n$link\n\n"
                 "If it was not you, ignore this e-mail: your password stays as it is."),
    },
    "trial_ending": {
        "subject": "Your SNF Admissions trial ends in $days_left days",
        "text": ("The trial of $organization ends on $ends_at.\n\n"
                 "Choose a plan before then to keep creating facilities, users and admissions; "
                 "nothing you have entered is lost either way:\n$link"),
    },
    "trial_ended": {
        "subject": "Your SNF Admissions trial has ended",
        "text": ("The trial of $organization ended on $ends_at. Your data is kept and can be "
                 "read and exported; nothing new can be created until an owner chooses a "
                 "plan:\n$link"),
    },
    "plan_active": {
        "subject": "$organization is on the $plan plan",
        "text": ("Thank you. $organization is on the $plan plan: $limits.\n\n"
                 "Invoices and the card are in billing:\n$link"),
    },
    "payment_failed": {
        "subject": "A payment for $organization failed",
        "text": ("The payment for the $plan plan of $organization failed. Everything keeps "
                 "working until $grace_ends_at; after that the organization becomes "
                 "read-only until the invoice is paid.\n\n"
                 "Update the card or pay the invoice here:\n$link"),
    },
    "organization_closed": {
        "subject": "$organization was closed",
        "text": ("$closed_by closed $organization on SNF Admissions. It is read-only now, and "
                 "all of its data will be deleted on $deletes_at.\n\n"
                 "Until then an owner can export the data or reopen the organization:\n$link\n\n"
                 "If you did not expect this, reopen it and change your password."),
    },
    "organization_reopened": {
        "subject": "$organization was reopened",
        "text": ("$organization was reopened and will not be deleted. $standing\n\n$link"),
    },
    "data_export_ready": {
        "subject": "The data export of $organization is ready",
        "text": ("The export of everything $organization holds, which you asked for on "
                 "$requested_at, is ready: $size, a zip of CSV and JSON files with a manifest.\n\n"
                 "Download it while signed in as an owner, until $expires_at (24 hours; after "
                 "that, ask for a new one):\n$link\n\n"
                 "It contains patient information: keep it as carefully as the service does."),
    },
    "read_only": {
        "subject": "$organization is now read-only",
        "text": ("$reason, so $organization is now read-only. Your data is kept and can be "
                 "read and exported; nothing new can be created until $action\n\n$link"),
    },
}


def render(template: str, values: dict[str, str], *, color: str | None,
           logo_url: str | None) -> tuple[str, str, str]:
    """(subject, text, html) of a template with these values."""
    parts = TEMPLATES[template]
    subject = Template(parts["subject"]).substitute(values)
    text = Template(parts["text"]).substitute(values)
    safe = {k: escape(str(v)) for k, v in values.items()}
    paragraphs = "".join(
        f'<p style="margin:0 0 16px">{line}</p>'
        for line in Template(escape(parts["text"])).substitute(safe).split("\n\n"))
    link = safe.get("link")
    if link:
        paragraphs = paragraphs.replace(link, f'<a href="{link}" style="color:{color or DEFAULT_COLOR}">{link}</a>')
    logo = (f'<img src="{escape(logo_url)}" alt="{safe.get("organization", "")}" height="40" '
            f'style="display:block;margin-bottom:16px">') if logo_url else ""
    html = (f'<!doctype html><html><body style="font-family:Arial,sans-serif;color:#1d2430">'
            f'<div style="max-width:560px;margin:24px auto;border-top:6px solid '
            f'{color or DEFAULT_COLOR};padding:24px">{logo}'
            f'<h1 style="font-size:20px;margin:0 0 16px">{escape(subject)}</h1>'
            f'{paragraphs.replace(chr(10), "<br>")}</div></body></html>')
    return subject, text, html
