"""Recognize identifier-like text in the few free-text fields, so no patient identifier is ever
stored (HIPAA Safe Harbor). Errs on the side of refusing: the user can rephrase."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

PERSON_NAMES = Path(__file__).resolve().parent / "data" / "person-names.txt"

# Whole month names or their abbreviations only, so "Janumet 50/1000" is a drug, not a date.
_MONTHS = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
           r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)(?![a-z])\.?")
# The Medicare Beneficiary Identifier, by CMS's format ("Understanding the Medicare Beneficiary
# Identifier (MBI) format"): 11 characters, the 1st a digit 1-9, the 2nd, 5th, 8th and 9th
# letters, the 3rd and 6th a letter or a digit, the others digits; never S, L, O, I, B or Z;
# printed with a dash after the 4th and the 7th. Upper or lower case, dashes, spaces or none.
_MBI_LETTER = "[AC-HJKMNP-RT-Y]"
_MBI_EITHER = "[0-9AC-HJKMNP-RT-Y]"
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
    "a Medicare Beneficiary Identifier (MBI)": re.compile(
        rf"\b[1-9]{_MBI_LETTER}{_MBI_EITHER}\d[\s-]?{_MBI_LETTER}{_MBI_EITHER}\d[\s-]?"
        rf"{_MBI_LETTER}{{2}}\d{{2}}\b", re.I),
    # HICN: the Health Insurance Claim Number the MBI replaced, still on old cards.
    "an identifier label (name, DOB, MRN, SSN, MBI, address)": re.compile(
        r"\b(?:dob|d\.o\.b|mrn|ssn|mbi|hicn|medical record|date of birth|born|patient name|"
        r"name:|address|zip)\b|\bmedicare\s*(?:#|(?:number|no|id)\b)", re.I),
}


@lru_cache(maxsize=1)
def person_names() -> dict[str, frozenset[str]]:
    """The shipped name lists by section (honorific, first, last), read on first use."""
    sections: dict[str, set[str]] = {}
    current = None
    for line in PERSON_NAMES.read_text().splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), set())
        else:
            current.add(line)
    return {name: frozenset(words) for name, words in sections.items()}


# A capitalized word (Johnson, O'Brien, McDonald) or one in capitals (JOHNSON).
_NAME = (r"(?:[A-Z][a-z]+(?:['’][A-Z]?[a-z]+)?|[A-Z]['’][A-Z][a-z]+|[A-Z][a-z]?[A-Z][a-z]+"
         r"|[A-Z]{3,})")
_FIRST_LAST = re.compile(rf"\b({_NAME})\s+(?:[A-Z]\.\s+)?({_NAME})\b")
_LAST_COMMA_FIRST = re.compile(rf"\b({_NAME}),\s*({_NAME})\b")
# Capitalized only ("Mrs. Whitfield"), so "MS flare" and "did not miss Dialysis" are not.
_HONORIFIC = re.compile(r"\b([A-Z][a-z]{0,6})\.?\s+(" + _NAME + r")\b")
# A relative or caregiver named by first name alone: "wife Linda", "daughter Susan".
_RELATIVE = re.compile(
    r"\b(?i:wife|husband|spouse|partner|son|daughter|sister|brother|mother|father|mom|dad|"
    r"niece|nephew|grandson|granddaughter|grandchild|aunt|uncle|cousin|neighbor|neighbour|"
    r"friend|caregiver|guardian|poa)(?:['’]s)?\s+(" + _NAME + r")\b")
_DOCTOR = re.compile(r"\b(?i:dr|doctor)\.?\s+(" + _NAME + r")\b")


def _key(word: str) -> str:
    """The list form of a word: lower case, a possessive 's dropped, O'Brien as obrien."""
    word = word.lower().replace("’", "'")
    if word.endswith("'s"):
        word = word[:-2]
    return word.replace("'", "")


def looks_like_a_person_name(text: str) -> bool:
    """A first name followed by a surname ("Mary Johnson", "Mary J. Johnson"), a surname and a
    first name ("Johnson, Mary"), an honorific before a capitalized word ("Mrs. Whitfield"), a
    relative's first name ("wife Linda") or a doctor's surname, by the US Census name lists."""
    names = person_names()
    first, last, honorifics = names["first"], names["last"], names["honorific"]
    for match in _HONORIFIC.finditer(text):
        if match[1].lower() in honorifics:
            return True
    for match in _RELATIVE.finditer(text):
        if _key(match[1]) in first:
            return True
    for match in _DOCTOR.finditer(text):
        if _key(match[1]) in last:
            return True
    for pattern, (a, b) in ((_FIRST_LAST, (first, last)), (_LAST_COMMA_FIRST, (last, first))):
        for match in pattern.finditer(text):
            if _key(match[1]) in a and _key(match[2]) in b:
                return True
    return False


def identifier_kinds(text: str) -> list[str]:
    """The kinds of identifier the text seems to hold; empty when it looks clean."""
    kinds = [kind for kind, pattern in PATTERNS.items() if pattern.search(text)]
    if looks_like_a_person_name(text):
        kinds.append("a person's name")
    return kinds
