#!/usr/bin/env python3
"""Generate src/sim/data/patients.csv: the SMSP simulator's synthetic patients.

Deterministic (no randomness, no clock) and standard library only, so running it twice gives
the same bytes and a diff shows exactly what changed. Every person, address, phone number and
e-mail address here is invented:
  - NHS numbers are valid Modulus-11 numbers in the 999 test range, from stem 999000100 up
    (stems 999000001-999000099 are the simulator's magic numbers, src/sim/magic.rs);
  - phone numbers are in Ofcom's drama ranges (0113 496 0xxx, 07700 900xxx);
  - e-mail addresses use example.com (RFC 2606); ODS-like practice codes start with Z9.

Columns: the 20 of NHS's OpenTest CSV, then this project's optional extras (docs/SIMULATOR.md).
The first rows are named scenarios whose numbers the tests rely on: append new rows at the end
of SCENARIOS or ORDINARY so existing numbers do not move.

Usage: python3 scripts/gen-sim-patients.py [--check]
  --check  exit 1 if the committed file differs from what would be generated.
"""

import csv
import io
import os
import sys

OPENTEST_COLUMNS = [
    "Test ref", "NHS_NUMBER", "DATE_OF_BIRTH", "DATE_OF_DEATH", "FAMILY_NAME", "GIVEN_NAME",
    "OTHER_GIVEN_NAME", "TITLE", "GENDER", "ADDRESS_LINE_1", "ADDRESS_LINE_2", "ADDRESS_LINE_3",
    "ADDRESS_LINE_4", "ADDRESS_LINE_5", "PAF_KEY", "SENSITIVE_FLAG", "PRIMARY_CARE_CODE",
    "REF_ID", "POST_CODE", "Notes",
]
EXTRA_COLUMNS = (
    [f"TEMP_ADDRESS_LINE_{i}" for i in range(1, 6)] + ["TEMP_POST_CODE"]
    + [f"CORRESPONDENCE_ADDRESS_LINE_{i}" for i in range(1, 6)] + ["CORRESPONDENCE_POST_CODE"]
    + ["TELEPHONE_HOME", "TELEPHONE_MOBILE", "EMAIL", "GP_PRACTICE_NAME"]
)
COLUMNS = OPENTEST_COLUMNS + EXTRA_COLUMNS

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "sim", "data",
                   "patients.csv")

PRACTICES = [
    ("Z90001", "RIVERSIDE MEDICAL PRACTICE"),
    ("Z90002", "HILLTOP SURGERY"),
    ("Z90003", "MARKET STREET HEALTH CENTRE"),
    ("Z90004", "ELM TREE FAMILY PRACTICE"),
]


def check_digit(stem9):
    total = sum(int(d) * w for d, w in zip(stem9, range(10, 1, -1)))
    c = (11 - total % 11) % 11
    return None if c == 10 else c


def nhs_numbers(first_stem=999000100):
    stem = first_stem
    while True:
        s = f"{stem:09d}"
        c = check_digit(s)
        if c is not None:  # stems whose check digit is 10 have no valid number
            yield s + str(c)
        stem += 1


def address(premises, street, locality, town, county, postcode):
    return {"lines": [premises, street, locality, town, county], "postcode": postcode}


def row(ref="", dob="", dod="", family="", given="", other="", title="", gender="",
        home=None, flag="", gp=0, notes="", temp=None, corr=None, tel="", mobile="", email=""):
    r = dict.fromkeys(COLUMNS, "")
    r.update({
        "Test ref": ref, "DATE_OF_BIRTH": dob, "DATE_OF_DEATH": dod, "FAMILY_NAME": family,
        "GIVEN_NAME": given, "OTHER_GIVEN_NAME": other, "TITLE": title, "GENDER": gender,
        "SENSITIVE_FLAG": flag, "Notes": notes, "TELEPHONE_HOME": tel,
        "TELEPHONE_MOBILE": mobile, "EMAIL": email,
    })
    for prefix, pc_col, a in (("ADDRESS_LINE_", "POST_CODE", home),
                              ("TEMP_ADDRESS_LINE_", "TEMP_POST_CODE", temp),
                              ("CORRESPONDENCE_ADDRESS_LINE_", "CORRESPONDENCE_POST_CODE", corr)):
        if a:
            for i, line in enumerate(a["lines"], 1):
                r[f"{prefix}{i}"] = line
            r[pc_col] = a["postcode"]
    if gp:
        code, name = PRACTICES[gp - 1]
        r["PRIMARY_CARE_CODE"], r["GP_PRACTICE_NAME"] = code, name
    return r


# Named scenarios (docs/SIMULATOR.md "Data set"). Order fixes their NHS numbers.
SCENARIOS = [
    # 1: every field the response can carry: 3 addresses, 3 telecoms, GP code and name.
    row("SIM-FULL", "19800115", "", "FAIRWEATHER", "OLIVER", "JAMES", "MR", "Male",
        address("FLAT 2", "10 CANAL WHARF", "HOLBECK", "LEEDS", "WEST YORKSHIRE", "LS11 5PZ"),
        gp=1,
        temp=address("", "4 HARBOUR VIEW", "", "WHITBY", "NORTH YORKSHIRE", "YO21 3PU"),
        corr=address("PO BOX 17", "", "", "LEEDS", "", "LS1 9ZZ"),
        tel="01134960001", mobile="07700900001", email="oliver.fairweather@example.com"),
    # 2-3: deceased, date only and date with time (deceasedTime may carry HHMM, SPEC §5.3).
    row("DECEASED", "19320704", "20190311", "ASHWORTH", "EDITH", "MAY", "MRS", "Female",
        address("", "7 MILL LANE", "", "BRADFORD", "WEST YORKSHIRE", "BD5 0AB"), gp=2),
    row("DECEASED-TIME", "19450219", "202101051430", "BLACKWOOD", "HAROLD", "", "MR", "Male",
        address("", "22 STATION ROAD", "SALTAIRE", "SHIPLEY", "", "BD18 4AA"), gp=2),
    # 4-5: partial dates of birth (YYYY, YYYYMM), which PDS holds for some legacy records.
    row("PARTIAL-DOB-YEAR", "1948", "", "HOLLOWAY", "WINIFRED", "", "MISS", "Female",
        address("", "3 CHAPEL ROW", "", "HALIFAX", "", "HX1 2AB"), gp=3),
    row("PARTIAL-DOB-MONTH", "196703", "", "PEMBERTON", "GEOFFREY", "ALAN", "MR", "Male",
        address("", "91 QUEENS DRIVE", "", "WAKEFIELD", "", "WF1 3AA"), gp=3),
    # 6-9: XML-special and non-ASCII names (escaping and UTF-8 end to end).
    row("NAME-XML", "19750321", "", "O'BRIEN & SONS", "PATRICK", "", "MR", "Male",
        address("", "1 QUAY STREET", "", "YORK", "", "YO1 7AA"), gp=4),
    row("NAME-ANGLE", "19820608", "", "<ANGLE>", "ANGELA", "\"QUOTED\"", "MS", "Female",
        address("", "2 BRACKET WAY", "", "YORK", "", "YO1 7AB"), gp=4),
    row("NAME-UNICODE", "19910930", "", "ÅNGSTRÖM", "ZOË", "", "MS", "Female",
        address("", "5 FJORD CLOSE", "", "HULL", "", "HU1 1AA"), gp=1,
        email="zoe.angstrom@example.com"),
    row("NAME-IRISH", "19881111", "", "NÍ BHRIAIN", "SIOBHÁN", "", "MS", "Female",
        address("", "8 CELTIC COURT", "", "LIVERPOOL", "", "L1 8JQ"), gp=1),
    # 10: restricted (S): address, telecom and GP are withheld in every response (SPEC §8).
    row("SENSITIVE", "19990101", "", "FARTHING", "ROWAN", "", "MX", "Not known",
        address("", "12 SECRET GARDENS", "", "SHEFFIELD", "", "S1 2AA"), flag="S", gp=2,
        tel="01134960010", mobile="07700900010", email="rowan.farthing@example.com"),
    # 11-12: a merged record: the old number answers DEMOG-0017 with the record of the new one.
    # (row 11's Notes are filled in below, once the numbers are known)
    row("DEMOG-0017", "19700412", "", "MERRIWEATHER", "CLARA", "", "MRS", "Female",
        address("", "40 ORCHARD LANE", "", "HARROGATE", "", "HG1 1AA"), gp=3),
    row("SUPERSEDING", "19700412", "", "MERRIWEATHER", "CLARA", "", "MRS", "Female",
        address("", "40 ORCHARD LANE", "", "HARROGATE", "", "HG1 1AA"), gp=3),
    # 13: invalidated (I): DEMOG-0022.
    row("DEMOG-0022", "19650823", "", "CARTWRIGHT", "NIGEL", "", "MR", "Male",
        address("", "6 ABBEY ROAD", "", "SELBY", "", "YO8 4AA"), flag="I", gp=4),
    # 14-15: same family, DOB and gender: a search on those alone is ambiguous (DEMOG-0007);
    # the given name or the postcode makes it unique.
    row("DEMOG-0007", "19900505", "", "TWINNING", "ALICE", "", "MS", "Female",
        address("", "1 PAIR STREET", "", "DONCASTER", "", "DN1 1AA"), gp=2),
    row("DEMOG-0007", "19900505", "", "TWINNING", "BEATRICE", "", "MS", "Female",
        address("", "2 PAIR STREET", "", "ROTHERHAM", "", "S60 1AA"), gp=2),
    # 16: a postcode held without its space (OpenTest has one: LS14HY).
    row("POSTCODE-NOSPACE", "19530214", "", "PRENDERGAST", "MAEVE", "", "MRS", "Female",
        address("", "19 HIGH STREET", "", "BRADFORD", "", "BD74QR"), gp=2),
    # 17-18: gender codes 0 (not known) and 9 (indeterminate / not specified).
    row("GENDER-0", "20010919", "", "KEMPTON", "ALEX", "", "", "Not known",
        address("", "3 WILLOW WALK", "", "LEEDS", "", "LS6 2AA"), gp=1),
    row("GENDER-9", "19971203", "", "LOWTHER", "SAM", "", "", "Indeterminate",
        address("", "4 ASH GROVE", "", "LEEDS", "", "LS6 2AB"), gp=1),
    # 19: a telecom with an empty number (`tel:`), which clients must tolerate (SPEC §5.3).
    row("TEL-EMPTY", "20120418", "", "HEALEY", "IVY", "", "MISS", "Female",
        address("", "166 BRADFORD ROAD", "", "SHIPLEY", "", "BD18 3DE"), gp=2, tel="tel:"),
    # 20: no GP practice and no title.
    row("NO-GP", "19860101", "", "DRIFTWOOD", "MARCUS", "", "", "Male",
        address("", "1 SHORE ROAD", "", "SCARBOROUGH", "", "YO11 1AA")),
    # 21: a child (recent DOB) with only a mobile.
    row("CHILD", "20190707", "", "APPLEBY", "NOAH", "", "", "Male",
        address("", "14 SCHOOL LANE", "", "RIPON", "", "HG4 1AA"), gp=3, mobile="07700900021"),
]

FAMILIES = [
    "ABBOTT", "BAINES", "CALDWELL", "DENTON", "EASTWOOD", "FINCH", "GARSIDE", "HARTLEY",
    "INGHAM", "JAGGER", "KNOWLES", "LAYCOCK", "MOORHOUSE", "NAYLOR", "OLDROYD", "PICKLES",
    "QUARMBY", "RHODES", "SUTCLIFFE", "THORNTON", "UTLEY", "VARLEY", "WADSWORTH", "YEADON",
    "AKHTAR", "BEGUM", "CHOWDHURY", "HUSSAIN", "KOWALSKI", "NGUYEN", "OKONKWO", "SANTOS",
]
MALE = ["ARTHUR", "BILAL", "CONNOR", "DANIEL", "EMEKA", "FRANCIS", "GEORGE", "HAMZA",
        "ISAAC", "JAKUB", "KIERAN", "LIAM", "MOHAMMED", "NATHAN", "OWEN", "PIOTR"]
FEMALE = ["AMELIA", "BETHANY", "CHLOE", "DIVYA", "ELEANOR", "FATIMA", "GRACE", "HANNAH",
          "ISLA", "JOANNA", "KAREN", "LUCY", "MARIA", "NADIA", "OLIVIA", "PRIYA"]
STREETS = ["MILL LANE", "CHURCH STREET", "PARK AVENUE", "MANOR ROAD", "VICTORIA ROAD",
           "NORTH STREET", "GREEN LANE", "THE CRESCENT", "BRIDGE STREET", "HIGH STREET",
           "KING STREET", "WESTFIELD ROAD", "MOOR LANE", "SPRING GARDENS"]
TOWNS = [("LEEDS", "LS"), ("BRADFORD", "BD"), ("HALIFAX", "HX"), ("HUDDERSFIELD", "HD"),
         ("WAKEFIELD", "WF"), ("YORK", "YO"), ("HARROGATE", "HG"), ("SHEFFIELD", "S")]
LETTERS = "ABDEFGHJLNPQRSTUWXYZ"  # the letters the inward code uses


def ordinary(i):
    """The i-th ordinary patient: every attribute is a fixed function of i."""
    female = i % 2 == 0
    given = (FEMALE if female else MALE)[(i * 5) % 16]
    other = (FEMALE if female else MALE)[(i * 3 + 7) % 16] if i % 3 == 0 else ""
    family = FAMILIES[(i * 7) % len(FAMILIES)]
    year = 1930 + (i * 37) % 90
    dob = f"{year:04d}{(i * 5) % 12 + 1:02d}{(i * 11) % 28 + 1:02d}"
    title = ("MRS" if i % 4 == 0 else "MS") if female else "MR"
    if year > 2008:
        title = "MISS" if female else "MASTER"
    town, area = TOWNS[(i * 3) % len(TOWNS)]
    postcode = f"{area}{i % 9 + 1} {i % 9 + 1}{LETTERS[i % 20]}{LETTERS[(i * 7) % 20]}"
    home = address("", f"{i + 1} {STREETS[i % len(STREETS)]}", "", town, "", postcode)
    temp = None
    if i % 10 == 3:
        temp = address("", f"{i + 2} SEA VIEW", "", "SCARBOROUGH", "", "YO11 2ZZ")
    dod = f"{min(year + 70, 2024)}0601" if i % 17 == 5 else ""
    return row("", dob, dod, family, given, other, title, "Female" if female else "Male",
               home, gp=i % len(PRACTICES) + 1, temp=temp,
               tel=f"0113496{500 + i:04d}" if i % 2 == 1 else "",
               mobile=f"07700900{100 + i:03d}" if i % 3 == 1 else "",
               email=f"{given.lower()}.{family.lower()}{i}@example.com" if i % 5 == 2 else "")


def build_rows():
    rows = [dict(r) for r in SCENARIOS] + [ordinary(i) for i in range(48)]
    for r, n in zip(rows, nhs_numbers()):
        r["NHS_NUMBER"] = n
    old = next(r for r in rows if r["Test ref"] == "DEMOG-0017")
    new = next(r for r in rows if r["Test ref"] == "SUPERSEDING")
    old["Notes"] = f"SUPERSEDED BY {new['NHS_NUMBER']}"
    new["Notes"] = f"supersedes {old['NHS_NUMBER']}"
    # Only the designated pair (and the merged record, never a search candidate) may share
    # family + DOB + gender: anything else would be an accidental DEMOG-0007.
    seen = {}
    for r in rows:
        if r["Test ref"] == "DEMOG-0017":
            continue
        key = (r["FAMILY_NAME"], r["DATE_OF_BIRTH"], r["GENDER"])
        seen.setdefault(key, []).append(r["Test ref"])
    clashes = {k: v for k, v in seen.items() if len(v) > 1 and set(v) != {"DEMOG-0007"}}
    assert not clashes, clashes
    return rows


def render(rows):
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


def main():
    text = render(build_rows())
    if "--check" in sys.argv[1:]:
        with open(OUT, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{OUT} is out of date: run scripts/gen-sim-patients.py", file=sys.stderr)
                sys.exit(1)
        return
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    print(f"wrote {len(text.splitlines()) - 1} patients to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
