"""web/staticwebapp.config.json: valid for Static Web Apps, and a Content-Security-Policy that
admits what web/ loads (same-origin scripts, styles, API calls, the data: favicon) and nothing
else. The local host sends the same headers, so the browser tests (make e2e) run under it."""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
CONFIG = json.loads((WEB / "staticwebapp.config.json").read_text())
KNOWN_KEYS = {"routes", "navigationFallback", "responseOverrides", "globalHeaders", "mimeTypes",
              "networking", "platform", "auth", "forwardingGateway", "trailingSlash"}
SCRIPTS = sorted(WEB.rglob("*.js"))


def policy(text: str) -> dict[str, list[str]]:
    directives = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        name, *sources = part.split()
        assert name not in directives, f"{name} given twice"
        directives[name] = sources
    return directives


CSP = policy(CONFIG["globalHeaders"]["Content-Security-Policy"])


class Page(HTMLParser):
    """What index.html loads, and anything inline a strict policy would block."""

    def __init__(self):
        super().__init__()
        self.loads: list[tuple[str, str]] = []  # (kind, url)
        self.inline: list[str] = []
        self.meta_csp = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.loads.append(("script", a["src"])) if a.get("src") else self.inline.append("<script>")
        elif tag == "link" and a.get("rel") == "stylesheet":
            self.loads.append(("style", a["href"]))
        elif tag == "link" and "icon" in (a.get("rel") or ""):
            self.loads.append(("img", a["href"]))
        elif tag == "img" and a.get("src"):
            self.loads.append(("img", a["src"]))
        elif tag == "style":
            self.inline.append("<style>")
        elif tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.meta_csp = a["content"]
        self.inline += [f"{tag} {name}=" for name, _ in attrs if name == "style" or name.startswith("on")]
        if a.get("href", "").startswith("javascript:"):
            self.inline.append(f"{tag} href=javascript:")


@pytest.fixture(scope="module")
def page() -> Page:
    parser = Page()
    parser.feed((WEB / "index.html").read_text())
    return parser


def test_the_config_is_json_with_only_keys_static_web_apps_knows():
    assert set(CONFIG) <= KNOWN_KEYS
    for route in CONFIG["routes"]:
        assert route["route"].startswith("/")
        assert set(route) <= {"route", "methods", "allowedRoles", "headers", "statusCode",
                              "rewrite", "redirect"}
    assert "/api/*" in CONFIG["navigationFallback"]["exclude"]


def test_the_api_is_left_to_the_linked_function_app():
    api = [r for r in CONFIG["routes"] if r["route"] == "/api/*"]
    assert api == [{"route": "/api/*", "allowedRoles": ["anonymous"]}]


def test_every_page_gets_the_security_headers():
    headers = CONFIG["globalHeaders"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert int(re.search(r"max-age=(\d+)", headers["Strict-Transport-Security"])[1]) >= 31_536_000


def test_the_policy_denies_by_default_and_forbids_framing_plugins_and_base_changes():
    assert CSP["default-src"] == ["'none'"]
    assert CSP["object-src"] == ["'none'"]
    assert CSP["base-uri"] == ["'none'"]
    assert CSP["frame-ancestors"] == ["'none'"]
    assert CSP["form-action"] == ["'none'"]


def test_the_policy_admits_nothing_inline_nothing_evaluated_and_no_other_origin():
    for name, sources in CSP.items():
        for source in sources:
            assert source in {"'self'", "'none'", "data:"}, f"{name} admits {source}"
    assert CSP["img-src"] == ["'self'", "data:"]  # the favicon is data:,
    assert {"script-src", "style-src", "connect-src"} <= set(CSP)


def test_what_index_html_loads_is_same_origin_and_admitted(page):
    directive = {"script": "script-src", "style": "style-src", "img": "img-src"}
    assert {kind for kind, _ in page.loads} == {"script", "style", "img"}
    for kind, url in page.loads:
        sources = CSP[directive[kind]]
        if url.startswith("data:"):
            assert "data:" in sources
        else:
            assert not re.match(r"^[a-z]+:|^//", url), url
            assert (WEB / url.lstrip("/")).is_file(), url
            assert "'self'" in sources


def test_index_html_has_nothing_inline_the_policy_would_block(page):
    assert page.inline == []


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: str(p.relative_to(WEB)))
def test_the_scripts_load_only_same_origin_modules_and_call_only_the_same_origin(script):
    text = script.read_text()
    for target in re.findall(r"""(?:^|\s)(?:import|export)\b[^;'"]*?from\s+["']([^"']+)["']""", text, re.M):
        assert target.startswith("./") or target.startswith("../"), target
        assert (script.parent / target).resolve().is_file(), target
    assert not re.search(r"\beval\s*\(|new\s+Function\s*\(|setTimeout\s*\(\s*[\"'`]", text)
    assert not re.search(r"\.innerHTML\s*=|insertAdjacentHTML|document\.write", text)
    assert not re.search(r"setAttribute\(\s*[\"']style[\"']|\.style\.cssText|<style", text)
    for call in re.findall(r"fetch\(\s*([^,)]+)", text):
        assert not re.search(r"[\"'`](?:https?:)?//", call), call  # a relative address only
    assert not re.search(r"[\"'`]https?://", text)


def test_the_page_policy_and_the_header_policy_agree(page):
    # The <meta> policy also guards a page served elsewhere; both must say the same where they overlap.
    meta = policy(page.meta_csp)
    for name, sources in meta.items():
        effective = CSP.get(name, CSP["default-src"])
        assert set(effective) <= set(sources) | {"'none'"}, name
