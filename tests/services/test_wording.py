"""The shared number wording: monotone, never scientific notation, true to its stated precision."""

from __future__ import annotations

import math
import re

from hypothesis import given
from hypothesis import strategies as st

from repatria.services.views.wording import (
    CERTIFIED_WIDTH,
    interval_words,
    lr_words,
    percent,
    percent_bound,
)

_WORDS = {"million": 1e6, "billion": 1e9, "trillion": 1e12}
_SUP = str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789")
log10s = st.floats(-30, 30, allow_nan=False)
probabilities = st.floats(0, 1, allow_nan=False)


def lr_value(text: str) -> tuple[float, float]:
    """(the LR's size as written, the log10 as written) from ``lr_words``."""
    m = re.fullmatch(r"(?:about )?(1 in )?(.+?) \(log10 (.+)\)", text)
    assert m, text
    inverse, size, log10 = m.groups()
    log10_value = float(log10.replace("\u2212", "-"))
    if "×" in size:
        mantissa, power = size.split(" × 10")
        value = float(mantissa) * 10 ** int(power.translate(_SUP))
    else:
        number, _, word = size.partition(" ")
        value = float(number.replace(",", "")) * _WORDS.get(word, 1)
    return (1 / value if inverse else value), log10_value


def percent_value(text: str) -> float:
    """The percentage written, with "less than"/"more than" just beyond the number."""
    assert text.endswith("\u00a0%"), text
    number = float(re.sub(r"^(less|more) than ", "", text[:-2]))
    if text.startswith("less than"):
        return number - 1e-9
    if text.startswith("more than"):
        return number + 1e-9
    return number


@given(log10s)
def test_an_lr_in_words_round_trips_within_its_precision(x: float) -> None:
    text = lr_words(x)
    assert "e-" not in text and "e+" not in text
    value, shown_log10 = lr_value(text)
    assert abs(shown_log10 - x) <= 0.05 + 1e-9
    if abs(x) > 1e-12:
        # two significant figures: within 5 % of the LR (or of its inverse below 1)
        assert abs(math.log10(value) - x) <= math.log10(1.05) + 1e-9, text


@given(log10s, log10s)
def test_lr_words_are_monotone(x: float, y: float) -> None:
    lo, hi = sorted((x, y))
    assert lr_value(lr_words(lo))[0] <= lr_value(lr_words(hi))[0] * (1 + 1e-12)


@given(probabilities)
def test_a_percentage_never_mixes_scientific_notation_and_round_trips(p: float) -> None:
    text = percent(p)
    assert "e-" not in text.lower() and "e+" not in text.lower() and "×" not in text
    shown = percent_value(text)
    if text.startswith("more than"):
        assert 100 * p > float(text[10:-2])
        return
    if text.startswith("less than"):
        assert 100 * p < float(text[10:-2])
        return
    decimals = len(text[:-2].partition(".")[2])
    assert abs(shown - 100 * p) <= 0.5 * 10**-decimals + 1e-9, text


@given(probabilities, probabilities)
def test_percentages_are_monotone(p: float, q: float) -> None:
    lo, hi = sorted((p, q))
    assert percent_value(percent(lo)) <= percent_value(percent(hi))


@given(probabilities, probabilities)
def test_a_proven_interval_in_words_still_holds_its_ends(p: float, q: float) -> None:
    low, high = sorted((p, q))
    down, up = percent_bound(low, "down"), percent_bound(high, "up")
    assert percent_value(down) <= 100 * low + 1e-9 and 100 * high - 1e-9 <= percent_value(up)
    words = interval_words(low, high)
    assert "e-" not in words and (down in words and up in words)
    assert words.startswith("not certified") == (high - low > CERTIFIED_WIDTH)


def test_known_values() -> None:
    assert lr_words(6.4) == "about 2.5 million (log10 6.4)"
    assert percent(0.9997) == "99.97\u00a0%"
    assert percent(2.459e-10) == "less than 0.0001\u00a0%"
    assert interval_words(0.0, 1.0) == "not certified: the bound is wide (0\u00a0% to 100\u00a0%)"
    assert lr_words(float("nan")) == "not stored"


def test_the_edges_of_the_shown_range_never_round_to_0_or_100() -> None:
    """5e-7 is 0.00005 %: shown to four decimals it rounded to "0 %" (found by Hypothesis)."""
    assert percent(5e-7) == "less than 0.0001\u00a0%"
    assert percent(1 - 5e-7) == "more than 99.9999\u00a0%"
