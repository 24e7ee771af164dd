"""Verdicts on the sources' claims, as data: a :class:`Verdict` and the reason for it.

Pages only render these; the index counts them by :attr:`Judgement.verdict`, never by parsing
text back.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np

from bench.stats import stratified_bootstrap_ci, wilson_interval

RELATIVE_TOLERANCE = 0.10
"""A parameter count marked ``approx`` (the source wrote "~") holds within this relative distance."""
APPROX_TOLERANCE = 0.01
"""A measured claim marked ``approx`` allows this relative distance ("~100%": 99% to 101%)."""


class Verdict(Enum):
    """What a measurement says of a claim."""

    HOLDS = "holds"
    DOES_NOT_HOLD = "does not hold"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class Judgement:
    """A verdict and why (empty reason: none needed)."""

    verdict: Verdict
    reason: str = ""

    def __str__(self) -> str:
        return f"{self.verdict.value} ({self.reason})" if self.reason else self.verdict.value


def number(value: float) -> str:
    """A number as the pages show it: large integers with separators, small values with three
    significant digits, else three decimals."""
    if float(value).is_integer() and abs(value) >= 100:
        return f"{int(value):,}"
    if 0 < abs(value) < 0.01:
        return f"{value:.3g}"
    return f"{value:.3f}"


def claim_band(claimed: float, n: int | None, approx: bool) -> tuple[float, float]:
    """The values the claim allows: its 95% Wilson interval when the source says how many
    episodes it rests on (``n``), +-1% when it wrote "~", else the point itself."""
    if n:
        return wilson_interval(round(claimed * n), n)
    if approx:
        return claimed - APPROX_TOLERANCE * abs(claimed), claimed + APPROX_TOLERANCE * abs(claimed)
    return claimed, claimed


def judge_count(claimed: float, values: np.ndarray, approx: bool) -> Judgement:
    """An exact quantity (a parameter count) against its claim: equal, or within 10% when the
    source wrote "~"."""
    measured = float(values.mean())
    if abs(measured - claimed) <= (RELATIVE_TOLERANCE * abs(claimed) if approx else 0):
        return Judgement(Verdict.HOLDS)
    return Judgement(Verdict.DOES_NOT_HOLD, f"{number(measured)} as built")


def judge_claim(claimed: float, values: np.ndarray, approx: bool, n: int | None = None,
                bounds: tuple[float, float] | None = None) -> Judgement:
    """A measured claim against per-seed ``values`` ``(seeds,)``.

    The measured 95% interval (``bounds``; else the bootstrap over seeds) is compared with the claim's band
    (:func:`claim_band`): one seed is always inconclusive; no overlap -> does not hold; the
    measured mean inside the band, or a point claim inside the interval -> holds; otherwise (the
    interval straddles the band's edge) inconclusive.
    """
    if len(values) < 2:
        return Judgement(Verdict.INCONCLUSIVE, "1 seed")
    measured = float(values.mean())
    band_low, band_high = claim_band(claimed, n, approx)
    low, high = bounds if bounds is not None else stratified_bootstrap_ci(values)
    if high < band_low or low > band_high:
        return Judgement(Verdict.DOES_NOT_HOLD, f"measured {'higher' if measured > claimed else 'lower'}")
    if band_low <= measured <= band_high or (band_low == band_high and low <= claimed <= high):
        return Judgement(Verdict.HOLDS)
    return Judgement(Verdict.INCONCLUSIVE, "the interval straddles the claim's range")


def judge_gain(claimed: float, point: float, low: float, high: float, seeds: int) -> Judgement:
    """A claimed ratio against the measured one and its 95% interval: holds when the claim lies
    in the interval; one seed is inconclusive."""
    if seeds < 2:
        return Judgement(Verdict.INCONCLUSIVE, "1 seed")
    if low <= claimed <= high:
        return Judgement(Verdict.HOLDS)
    return Judgement(Verdict.DOES_NOT_HOLD, f"measured {'higher' if point > claimed else 'lower'}")


class Comparison(Enum):
    """Where one agent stands against another on one metric, from the 95% interval of the gap."""

    AHEAD = "ahead"
    BEHIND = "behind"
    NOT_TOLD_APART = "cannot be told apart"
    ONE_SEED = "one seed: no interval"


def compare_gap(low: float, high: float, seeds: int) -> Comparison:
    """The :class:`Comparison` a gap's interval ``[low, high]`` supports (``seeds``: the fewer
    seeds of the two groups): ahead when it lies above 0, behind when below, else not told apart."""
    if seeds < 2:
        return Comparison.ONE_SEED
    if low > 0:
        return Comparison.AHEAD
    if high < 0:
        return Comparison.BEHIND
    return Comparison.NOT_TOLD_APART


@dataclass(frozen=True)
class Standing:
    """Where a measured row stands against one reference of its setting."""

    reference: str
    value: float
    """The reference's mean."""
    comparison: Comparison
    """From the interval of the row minus the reference."""
    lead: float
    """The row's mean minus the reference's (the direction shown with one seed)."""


def versus_references(standings: list[Standing]) -> str:
    """The page's words for each :class:`Standing`: above, below, or not told apart from the
    reference (one seed: the direction of the means, marked)."""
    if not standings:
        return "no trivial reference measured"
    notes = []
    for s in standings:
        name = f"the {s.reference} ({number(s.value)})"
        if s.comparison is Comparison.ONE_SEED:
            said = "above" if s.lead > 0 else "**below**" if s.lead < 0 else "**cannot be told apart** from"
            notes.append(f"{said} {name} (1 seed)")
        elif s.comparison is Comparison.AHEAD:
            notes.append(f"above {name}")
        elif s.comparison is Comparison.BEHIND:
            notes.append(f"**below** {name}")
        else:
            notes.append(f"**cannot be told apart** from {name}")
    return "; ".join(notes)
