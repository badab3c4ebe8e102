"""The identifier check for free text: refuse what looks like an identifier, keep clinical
shorthand that merely has numbers in it."""
import pytest

from shared.phi import identifier_kinds


@pytest.mark.parametrize("note", [
    "Needs wound vac, IV abx 2 weeks",
    "Janumet 50/1000 bid, insulin sliding scale",
    "may need 2 wks IV; PT 5x/week",
    "Room 12B preferred, 80 mg daily",
    "admit mar 4 if bed opens",
])
def test_clinical_shorthand_is_accepted(note):
    assert identifier_kinds(note) == []


@pytest.mark.parametrize("note, kind", [
    ("DOB 3/4/1941", "a full date"),
    ("born 1941-03-04", "a full date"),
    ("Sept. 3 1940", "a full date"),
    ("04MAR1941", "a full date"),
    ("SSN 123-45-6789", "a Social Security number"),
    ("ref 123.45.6789", "a Social Security number"),
    ("ref 123 45 6789", "a Social Security number"),
    ("call (555) 123-4567", "a phone number"),
    ("son is jo@example.com", "an e-mail address"),
    ("son JO@EXAMPLE.COM", "an e-mail address"),
    ("daughter Ann.Lee@Mail.Example.Org", "an e-mail address"),
    ("acct 00123456", "a long number (record or account number)"),
    ("MRN on file", "an identifier label (name, DOB, MRN, SSN, address)"),
])
def test_identifier_like_text_is_named_by_its_kind(note, kind):
    assert kind in identifier_kinds(note)
