"""Schemathesis hooks for Estelam's OpenAPI document (loaded through SCHEMATHESIS_HOOKS).

The document names custom string formats for the rules a regular expression cannot state
(gateway/src/openapi/formats.rs): a national code's check digit, the Damm check digit of the
system's codes, a Jalali date that exists. Without a generator for them Schemathesis would
draw strings that match the pattern but fail the check, and count the services' refusal
against them; these strategies draw only values the services accept, computed by the same
rules as the domain crate (services/domain/src/national_code.rs, check_code.rs, jalali.rs).
"""

from hypothesis import strategies as st

import schemathesis
from schemathesis.core.file_samples import FILE_SAMPLES
from schemathesis.transport.serialization import Binary

DAMM_TABLE = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2),
    (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9),
    (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8),
    (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4),
    (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5),
    (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)


def damm(digits: str) -> int:
    """The Damm check digit of `digits` (0 when `digits` ends with its correct one)."""
    interim = 0
    for d in digits:
        interim = DAMM_TABLE[interim][int(d)]
    return interim


def with_damm(payload: str) -> str:
    return payload + str(damm(payload))


def national_code(payload: str) -> str:
    """Nine digits and their national check digit."""
    s = sum(int(d) * (10 - i) for i, d in enumerate(payload))
    r = s % 11
    return payload + str(r if r < 2 else 11 - r)


def digits(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def is_jalali_leap(year: int) -> bool:
    """The 33-year arithmetic rule; the domain crate uses ICU's Persian calendar, which agrees
    for 1178-1633 AP, the years these dates are drawn from."""
    return ((year + 12) * 8 + 21) % 33 < 8


@st.composite
def jalali_dates(draw) -> str:
    year = draw(st.integers(min_value=1300, max_value=1499))
    month = draw(st.integers(min_value=1, max_value=12))
    if month <= 6:
        last = 31
    elif month <= 11:
        last = 30
    else:
        # Esfand 30 only in a leap year; 29 is safe whichever rule a reader applies.
        last = 29
    day = draw(st.integers(min_value=1, max_value=last))
    separator = draw(st.sampled_from("/-"))
    return f"{year:04d}{separator}{month:02d}{separator}{day:02d}"


schemathesis.openapi.format(
    "national-code",
    digits(9).filter(lambda p: len(set(p)) > 1).map(national_code).filter(lambda c: len(set(c)) > 1),
)
schemathesis.openapi.format("membership-code", st.integers(1, 9).flatmap(
    lambda first: digits(8).map(lambda rest: with_damm(f"{first}{rest}"))))
schemathesis.openapi.format("request-number", digits(9).map(with_damm))
schemathesis.openapi.format("verification-code", st.integers(1, 9).flatmap(
    lambda first: digits(10).map(lambda rest: with_damm(f"{first}{rest}"))))
schemathesis.openapi.format("inquiry-number", digits(9).map(with_damm))
schemathesis.openapi.format("jalali-date", jalali_dates())
# Page tokens are opaque: only the token of a previous page (or none) is valid, and a
# generated request has no previous page, so it asks for the first.
schemathesis.openapi.format("page-token", st.just(""))


@st.composite
def bboxes(draw) -> str:
    """A box around Shahin Shahr (the demo city), minimum before maximum."""
    lons = sorted(draw(st.floats(51.40, 51.70)) for _ in range(2))
    lats = sorted(draw(st.floats(32.75, 32.95)) for _ in range(2))
    return f"{lons[0]:.5f},{lats[0]:.5f},{lons[1]:.5f},{lats[1]:.5f}"


schemathesis.openapi.format("bbox", bboxes())

# An upload's file must be a PDF, JPEG or PNG by its bytes: the smallest well-formed ones
# Schemathesis ships.
schemathesis.openapi.format(
    "document-file",
    st.sampled_from([FILE_SAMPLES["pdf"], FILE_SAMPLES["jpg"], FILE_SAMPLES["png"]]).map(Binary),
)

# A new password no list of common ones holds: letters of both cases and digits, 12 to 40.
schemathesis.openapi.format(
    "new-password",
    st.text(alphabet="abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=10, max_size=38)
    .map(lambda s: "Q7" + s),
)

# Document kinds are data; the five every installation has are the ones a request can name.
schemathesis.openapi.format("document-kind", st.sampled_from(
    ["national_id_card", "ownership_deed", "authority_letter", "power_of_attorney", "other"]))
