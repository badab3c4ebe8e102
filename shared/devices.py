"""What a user's list of sessions shows of where each one came from: the browser, named from its
user agent, and the source network, coarsened so it recognises a place, not a person."""
from __future__ import annotations

import ipaddress
import re

# Most specific first: Edge and Opera also say Chrome, Chrome also says Safari.
BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
            ("CriOS/", "Chrome"), ("Chrome/", "Chrome"), ("Safari/", "Safari"),
            ("curl/", "curl"), ("python-requests/", "Python"))
SYSTEMS = (("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
           ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
           ("Linux", "Linux"))


def coarse_network(address: str | None) -> str | None:
    """The /24 of an IPv4 address, the /48 of an IPv6 one; None for none or nonsense."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def browser_of(user_agent: str | None) -> str:
    """'Firefox on Windows', 'Safari on iPhone', 'curl'; 'Unknown browser' when nothing fits."""
    agent = user_agent or ""
    browser = next((name for mark, name in BROWSERS if mark in agent), None)
    system = next((name for mark, name in SYSTEMS if re.search(re.escape(mark), agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or (f"A browser on {system}" if system else "Unknown browser")
