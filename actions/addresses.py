"""Dutch postcodes and house numbers as customers type them."""

from __future__ import annotations

import re

# The postcode as PostNL defines it: no leading zero, and never SA, SD or SS.
POSTCODE = re.compile(r"^[1-9][0-9]{3} ?(?!SA|SD|SS)[A-Z]{2}$", re.IGNORECASE)
_POSTCODE_CANDIDATE = re.compile(r"(?<![0-9a-z])(\d{4}) ?([a-z]{2})(?![0-9a-z])", re.IGNORECASE)
_HOUSE_NUMBER = re.compile(
    r"(?<![0-9a-z-])(\d{1,5})\s?([a-z])?(?:\s*-\s*([0-9a-z]{1,4}))?(?![0-9a-z])",
    re.IGNORECASE,
)


def parse_postcode(text: str) -> str | None:
    """The postcode in `text`, normalised to "1234 AB"; None if not exactly one valid."""
    found = _POSTCODE_CANDIDATE.findall(" ".join(text.split()))
    candidates = {f"{digits} {letters.upper()}" for digits, letters in found}
    if len(candidates) != 1:
        return None
    postcode = candidates.pop()
    return postcode if POSTCODE.match(postcode) else None


def parse_house_number(text: str) -> str | None:
    """The house number in `text`, normalised: "12", "12a", "12-2", "12a-2".

    The letter (BAG huisletter) is lower case and joined; an addition (BAG
    toevoeging) follows a hyphen, the way the address register and the post write it.
    """
    matches = _HOUSE_NUMBER.findall(text)
    if len(matches) != 1:
        return None
    number, letter, addition = matches[0]
    if int(number) == 0:
        return None
    normalised = f"{int(number)}{letter.lower()}"
    return f"{normalised}-{addition.lower()}" if addition else normalised
