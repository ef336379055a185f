"""Place and date as evidence: where and when the remains were found, against the last sighting.

:func:`place_lr` (a distance-decay kernel around the last-seen place against a uniform
background, with :func:`haversine_km`) and :func:`date_lr` (recovery before last seen); the
formulas are in :mod:`repatria.kinship.evidence`.
"""

from __future__ import annotations

import datetime as dt
import math

from repatria.kinship.errors import KinshipError
from repatria.kinship.evidence_factors import EvidenceFactor, _check_prob

__all__ = ["EARTH_RADIUS_KM", "haversine_km", "place_lr", "date_lr"]

#: Mean Earth radius in km (IUGG mean radius R1), for great-circle distances.
EARTH_RADIUS_KM = 6371.0088


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in km between ``(lat, lon)`` points in degrees.

    >>> round(haversine_km((50.0, 30.0), (51.0, 30.0)), 4)  # 1 degree of latitude
    111.1951
    """
    la1, lo1, la2, lo2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((la2 - la1) / 2) ** 2
        + math.cos(la1) * math.cos(la2) * math.sin((lo2 - lo1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(h)))


def place_lr(
    distance_km: float,
    scale_km: float,
    area_km2: float,
    kernel: str = "exponential",
    moved: float = 0.05,
) -> EvidenceFactor:
    """Where the remains were recovered against where the MP was last seen.

    Under "the PM is the MP" the recovery point is spread around the last-seen place by an
    isotropic kernel in the plane (a density per km²): ``"exponential"``:
    ``k(r) = exp(-r / s) / (2 pi s²)``; ``"half-normal"`` (a bivariate normal, Rayleigh distance):
    ``k(r) = exp(-r² / (2 s²)) / (2 pi s²)``; with probability ``moved`` the body was moved or the
    record is wrong, and the point is anywhere in the area. Under "someone else" the point is
    uniform over the area of operations, ``A`` km². So
    ``LR = ((1 - moved) k(r) + moved / A) * A``.

    ``moved = 0.05`` is an assumption (bodies are moved, exchanged, misrecorded); ``scale_km``
    and ``area_km2`` are the case's to give.

    >>> f = place_lr(0.0, 2.0, 1000.0, moved=0.0)
    >>> round(f.lr, 9)  # 1000 / (2 pi 4)
    39.788735773
    """
    if distance_km < 0 or math.isnan(distance_km):
        raise KinshipError(f"a distance must be >= 0, got {distance_km}")
    if not scale_km > 0 or not area_km2 > 0:
        raise KinshipError("the kernel scale and the area must be > 0")
    _check_prob("moved", moved)
    s = scale_km
    if kernel == "exponential":
        k = math.exp(-distance_km / s) / (2 * math.pi * s * s)
        form = "exp(-r/s) / (2 pi s^2)"
    elif kernel == "half-normal":
        k = math.exp(-(distance_km**2) / (2 * s * s)) / (2 * math.pi * s * s)
        form = "exp(-r^2 / (2 s^2)) / (2 pi s^2)"
    else:
        raise KinshipError(f"kernel must be 'exponential' or 'half-normal', got {kernel!r}")
    lr = ((1 - moved) * k + moved / area_km2) * area_km2
    return EvidenceFactor(
        "place",
        lr,
        f"((1 - moved) k(r) + moved / A) * A, k(r) = {form}",
        {
            "kernel": kernel,
            "scale_km": s,
            "area_km2": area_km2,
            "moved": moved,
            "sources": {"moved": "assumption" if moved == 0.05 else "given"},
        },
        {"distance_km": distance_km},
    )


def date_lr(
    recovered: dt.date,
    last_seen: dt.date,
    share_seen_by: float = 1.0,
    allowance_days: int = 0,
    error: float = 0.0,
) -> EvidenceFactor:
    """The recovery date against the MP's last-seen date: a time-consistency factor.

    Remains recovered before the MP was last seen cannot be his, unless the last-seen date may be
    ``allowance_days`` late, or wrong with probability ``error``. With ``F = share_seen_by``, the
    share of the missing last seen on or before the recovery date (plus the allowance; the
    accounting gives it, 1 if unknown):
    ``LR = ((1 - error) [consistent] + error) / ((1 - error) F + error)``. With the defaults an
    inconsistent date gives LR 0 and a consistent one LR 1.

    >>> date_lr(dt.date(2023, 3, 1), dt.date(2023, 5, 1)).lr
    0.0
    >>> round(date_lr(dt.date(2023, 6, 1), dt.date(2023, 5, 1), share_seen_by=0.25).lr, 12)
    4.0
    """
    _check_prob("share_seen_by", share_seen_by, lo_open=True)
    _check_prob("error", error, hi_open=True)
    if allowance_days < 0:
        raise KinshipError(f"allowance_days must be >= 0, got {allowance_days}")
    consistent = recovered + dt.timedelta(days=allowance_days) >= last_seen
    num = (1 - error) * (1.0 if consistent else 0.0) + error
    den = (1 - error) * share_seen_by + error
    return EvidenceFactor(
        "date",
        num / den,
        "((1 - e) [recovered + allowance >= last seen] + e) / ((1 - e) F + e)",
        {"share_seen_by": share_seen_by, "allowance_days": allowance_days, "error": error},
        {"recovered": recovered, "last_seen": last_seen, "consistent": consistent},
    )
