"""The browser and the coarse network a list of sessions shows."""
import pytest

from shared.devices import browser_of, coarse_network


@pytest.mark.parametrize("address, network", [
    ("203.0.113.77", "203.0.113.0/24"), ("2001:db8:1:2:3::4", "2001:db8:1::/48"),
    ("::1", "::/48"), (None, None), ("", None), ("not an address", None)])
def test_an_address_is_coarsened_to_its_network(address, network):
    assert coarse_network(address) == network


@pytest.mark.parametrize("agent, shown", [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0", "Edge on Windows"),
    ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0.0.0 Safari/537.36", "Chrome on macOS"),
    ("Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
     "Firefox on Linux"),
    ("Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/131.0 Mobile Safari/537.36", "Chrome on Android"),
    ("curl/8.5.0", "curl"), ("", "Unknown browser"), (None, "Unknown browser")])
def test_a_user_agent_is_named_as_a_person_would(agent, shown):
    assert browser_of(agent) == shown
