"""Write shared/data/person-names.txt: the first names and surnames the note check refuses.

    pip download names==0.3.0 --no-deps --no-binary :all: -d /tmp/names && tar xzf ...
    python reference/names/build_person_names.py /tmp/names/names-0.3.0/names \
        > shared/data/person-names.txt

The lists are the US Census Bureau's 1990 name files (dist.all.last, dist.female.first,
dist.male.first; public domain) as shipped by the `names` package 0.3.0 (MIT License, Copyright
(c) 2013 Trey Hunner). Words that are also common in clinical notes are left out (CLINICAL_WORDS
below): a note check that refuses "Will need PT" or "Grace period" would be unusable."""
from __future__ import annotations

import sys
from pathlib import Path

# Census names that are ordinary words of a referral note: they must never, alone, make a name.
CLINICAL_WORDS = {
    "ALERT", "BED", "BIG", "BLACK", "BLOOD", "BRIGHT", "BROWN", "CARE", "CASE", "CHANCE", "CLEAR",
    "CLINIC", "COOK", "COUNTY", "CROSS", "DAY", "DEAN", "DOCTOR", "DRAIN", "EARLY", "EASY",
    "FAIR", "FALL", "FAMILY", "FIELD", "FOOT", "FORD", "FREE", "FULL", "GOOD", "GRAY", "GREEN",
    "HALL", "HAND", "HART", "HEAD", "HEART", "HILL", "HOME", "HOPE", "HOUSE", "HUNT", "KING",
    "LAKE", "LANE", "LEFT", "LONG", "LOW", "MAIN", "MAJOR", "MARCH", "MAY", "MEDICAL", "MERCY",
    "MILES", "MONDAY", "MOSS", "NEW", "NORTH", "OLD", "PAGE", "PARK", "PATIENT", "PENN", "POOR",
    "PRICE", "RICH", "RIGHT", "RIVER", "ROSE", "SAINT", "SHORT", "SMALL", "SOUTH", "STAR",
    "STATE", "STONE", "STRONG", "SUMMER", "TRUE", "TUESDAY", "VALLEY", "WALKER", "WARD", "WAY",
    "WEEK", "WELL", "WEST", "WHITE", "WILL", "WINTER", "WOOD", "YOUNG", "JUNE", "APRIL",
    "AUGUST", "JANUARY", "OCTOBER", "SPRING", "FRIDAY", "SUNDAY", "GRACE", "FAITH", "JOY",
    "PAIN", "PEG", "STAT", "DOSE", "BATH", "BATHS", "LIFT", "PADS", "PAD", "TEAM", "UNIT",
    "HOSPITAL", "HEALTH", "REHAB", "CENTER", "GENERAL", "MEMORIAL", "CITY", "VIEW", "BAY",
    "SON", "DAUGHTER", "WIFE", "HUSBAND", "SISTER", "BROTHER", "MOTHER", "FATHER", "FRIEND",
    "LATE", "NIGHT", "NOON", "TEMP", "BAKER", "NURSE", "HOLDER", "FOLEY", "HOYER", "SEPSIS",
    "LEWY", "CROHN", "PARKINSON", "ADDISON", "GRAVES", "BELL", "PAGET", "COLLES",
}
HONORIFICS = ("mr", "mrs", "ms", "miss", "mx", "mister", "madam", "sir")


def names(path: Path) -> list[str]:
    return [line.split()[0] for line in path.read_text().splitlines() if line.strip()]


def main(directory: str) -> None:
    source = Path(directory)
    first = sorted({n for f in ("dist.female.first", "dist.male.first")
                    for n in names(source / f) if len(n) > 1} - CLINICAL_WORDS)
    last = sorted({n for n in names(source / "dist.all.last") if len(n) > 1} - CLINICAL_WORDS)
    print("# Person names the note check refuses (shared/phi.py): US Census Bureau 1990 name")
    print("# files (public domain) as shipped by the names package 0.3.0 (MIT License, (c) 2013")
    print("# Trey Hunner), less words common in clinical notes. Built by")
    print("# reference/names/build_person_names.py; one name a line, under its section.")
    print("[honorific]")
    print("\n".join(HONORIFICS))
    print("[first]")
    print("\n".join(n.lower() for n in first))
    print("[last]")
    print("\n".join(n.lower() for n in last))


if __name__ == "__main__":
    main(sys.argv[1])
