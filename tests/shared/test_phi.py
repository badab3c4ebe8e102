"""The identifier check for free text: refuse what looks like an identifier, keep clinical
shorthand that merely has numbers in it."""
import pytest

from shared.phi import identifier_kinds

LABEL = "an identifier label (name, DOB, MRN, SSN, MBI, address)"
MBI = "a Medicare Beneficiary Identifier (MBI)"


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
    ("MRN on file", LABEL),
    ("MBI on file", LABEL),
    ("HICN from the face sheet", LABEL),
    ("Medicare # on the face sheet", LABEL),
    ("Medicare number pending", LABEL),
])
def test_identifier_like_text_is_named_by_its_kind(note, kind):
    assert kind in identifier_kinds(note)


# CMS's MBI format: 11 characters, 1 a digit 1-9; 2, 5, 8, 9 letters; 3 and 6 a letter or a
# digit; 4, 7, 10, 11 digits; letters never S, L, O, I, B, Z; printed with dashes after
# characters 4 and 7 (CMS, "Understanding the Medicare Beneficiary Identifier format").
@pytest.mark.parametrize("note", [
    "MBI 1EG4-TE5-MK73, hip fx",
    "1EG4TE5MK73 hip fx",
    "ins 1eg4-te5-mk73",
    "card: 1EG4 TE5 MK73",
    "9AA9-AA9-AA99",            # positions 3 and 6 may be letters
    "1A00-A00-AA00",            # ... or digits
    "see (1EG4-TE5-MK73)",
])
def test_a_medicare_beneficiary_identifier_is_refused(note):
    assert MBI in identifier_kinds(note)


@pytest.mark.parametrize("text", [
    "0EG4-TE5-MK73",            # position 1 is 1-9
    "1SG4-TE5-MK73",            # no S
    "1EG4-LE5-MK73",            # no L
    "1EG4-TE5-OK73",            # no O
    "1EG4-TE5-MI73",            # no I
    "1BG4-TE5-MK73",            # no B
    "1EG4-TE5-MZ73",            # no Z
    "1944-TE5-MK73",            # position 2 a letter
    "1EGE-TE5-MK73",            # position 4 a digit
    "1EG4-4E5-MK73",            # position 5 a letter
    "1EG4-TEE-MK73",            # position 7 a digit
    "1EG4-TE5-3K73",            # position 8 a letter
    "1EG4-TE5-M373",            # position 9 a letter
    "1EG4-TE5-MKA3",            # position 10 a digit
    "1EG4-TE5-MK7A",            # position 11 a digit
    "1EG4-TE5-MK7",             # 10 characters
    "1EG4-TE5-MK731",           # 12 characters
    "A1EG4TE5MK73",             # inside a longer code
    "1EG4--TE5-MK73",
])
def test_text_that_breaks_the_mbi_format_is_not_an_mbi(text):
    assert MBI not in identifier_kinds(text)


@pytest.mark.parametrize("note", [
    "HIPPS KBGE1, NTA high",
    "ICD-10 S72.001A, ORIF 2 days ago",
    "dx I63.9 and N17.9, on Eliquis 5 mg",
    "readmit of case DEMO-2026-000121",
    "PT/OT TK, SLP SB, 5x/week",
    "Medicare A, skilled need for 20 days",
    "Medicare Advantage plan, auth pending",
])
def test_codes_and_words_of_a_referral_are_not_an_mbi(note):
    assert MBI not in identifier_kinds(note)
    assert LABEL not in identifier_kinds(note)
