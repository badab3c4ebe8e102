"""Recognize identifier-like text in the few free-text fields, so no patient identifier is ever
stored (HIPAA Safe Harbor). Errs on the side of refusing: the user can rephrase."""
from __future__ import annotations

import re

# Whole month names or their abbreviations only, so "Janumet 50/1000" is a drug, not a date.
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?")
PATTERNS: dict[str, re.Pattern] = {
    "an e-mail address": re.compile(r"[^\s@]+@[^\s@]+\.[a-z]{2,}", re.I),
    "a Social Security number": re.compile(r"\b\d{3}[-\s.]\d{2}[-\s.]\d{4}\b"),
    "a phone number": re.compile(
        r"(?:\+?1[\s.-]?)?(?:\(\d{3}\)|\b\d{3})[\s.-]?\d{3}[\s.-]\d{4}\b"),
    "a full date": re.compile(
        r"\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}[/.-]\d{1,2}[/.-]\d{1,2}\b"
        rf"|\b{_MONTHS}[\s/.-]*\d{{1,2}}(?:st|nd|rd|th)?,?[\s/.-]*\d{{4}}\b"
        rf"|\b\d{{1,2}}(?:st|nd|rd|th)?[\s/.-]*(?:of\s+)?{_MONTHS}[\s/.,-]*\d{{4}}\b", re.I),
    "a long number (record or account number)": re.compile(r"\d(?:[\s-]?\d){5,}"),
    "an identifier label (name, DOB, MRN, SSN, address)": re.compile(
        r"\b(?:dob|d\.o\.b|mrn|ssn|medical record|date of birth|born|patient name|name:|"
        r"address|zip)\b", re.I),
}


def identifier_kinds(text: str) -> list[str]:
    """The kinds of identifier the text seems to hold; empty when it looks clean."""
    return [kind for kind, pattern in PATTERNS.items() if pattern.search(text)]
