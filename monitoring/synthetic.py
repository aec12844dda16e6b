"""Plausible synthetic monitoring data: the demo district and the benchmarks.

Pure numpy/pandas (no Django), vectorised over organisations: 40,000 organisations × 1 period take
well under a second.

The model, in short:

- every organisation has a stable latent **quality** `q0 ~ N(0, 1)`, a stable **size** and a few
  other stable traits (rural or not, has 10–11 grades or not…), all drawn from a hash of its code
  and the seed — so an organisation gets the same profile in every call, whatever other
  organisations are generated with it, and a row depends only on (code, type, seed, period);
- `period_index` moves quality along a per-organisation **trend**: about 65 % are stable (their
  index moves by a few points either way from sampling noise), about 25 % improve steadily (about
  +4 index points a period, levelling off), about 10 % fall for two periods running (about −10 a
  period, starting at period 1, 2 or 3) and then level off;
- each input reads the period's quality plus an input-specific stable deviation and yearly noise,
  so that indicators correlate with quality without being copies of it;
- counts are drawn as binomial samples of their parent counts, so every consistency rule of
  SCORING.md holds by construction (e.g. `oge_fail ~ Bin(oge_participants, p)`), and every value is
  clipped and rounded to its bounds in `inputs.csv`.

Which inputs an organisation type gets follows the catalogue: an input is generated for a type when
an indicator that applies to the type reads it (formula or `min_n`), so an edited catalogue keeps
its indicators fed. Inputs `provided_by == "derived"` are computed by the portal from its own
records and are not part of `generate_values`; `generate_derived_values` gives stand-ins for them
for benchmarks that score without the portal.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from functools import lru_cache

import numpy as np
import pandas as pd

ORG_TYPES = ("school", "kindergarten", "additional")
# Share of each type in a synthetic district (`org_types_for`).
TYPE_MIX = {"school": 0.50, "kindergarten": 0.43, "additional": 0.07}

# The consistency rules of SCORING.md as `left ≤ sum(right)`; the generator satisfies them by
# construction and `corrupt_rows` uses them to pick columns whose change breaks exactly one rule.
CONSISTENCY_RULES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("grad9_certificate", ("grad9_total",)),
    ("grad11_certificate", ("grad11_total",)),
    ("honors", ("grad9_total", "grad11_total")),
    ("graduates_placed", ("grad9_total", "grad11_total")),
    ("oge_fail", ("oge_participants",)),
    ("ege_below_min", ("ege_participants",)),
    ("ege_80plus", ("ege_participants",)),
    ("vpr_confirmed", ("vpr_participants",)),
    ("ovz_adapted", ("pmpk_students",)),
    ("ovz_in_additional", ("ovz_students",)),
    ("ovz_grad9_certified", ("ovz_grad9_total",)),
    ("ovz_grad9_total", ("grad9_total",)),
    ("teacher_vacancies", ("teacher_positions",)),
    ("teachers_categorized", ("teachers_total",)),
    ("teachers_trained_3y", ("teachers_total",)),
    ("mgmt_staff_60plus", ("mgmt_staff_total",)),
    ("mgmt_appointments_from_reserve_3y", ("mgmt_appointments_3y",)),
    ("students_profile", ("students_10_11",)),
    ("students_10_11", ("students_9_11",)),
    ("students_9_11", ("students_7_11",)),
    ("students_7_11", ("students_6_11",)),
    ("students_6_11", ("students_total",)),
    ("profmin_covered", ("students_6_11",)),
    ("bvb_participants", ("students_6_11",)),
    ("olymp_municipal", ("students_7_11",)),
    ("students_in_additional", ("students_total",)),
    ("ovz_students", ("students_total",)),
    ("pmpk_students", ("students_total",)),
    ("contest_participants", ("students_total",)),
)
_RULE_CODES = frozenset(code for left, right in CONSISTENCY_RULES for code in (left, *right))

# Where the catalogue does not say (an input no indicator reads), these types get the input.
_DEFAULT_TYPES: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(
        [
            "grad9_total",
            "grad9_certificate",
            "grad11_total",
            "grad11_certificate",
            "honors",
            "oge_participants",
            "oge_fail",
            "ege_participants",
            "ege_below_min",
            "ege_80plus",
            "vpr_participants",
            "vpr_share_2",
            "vpr_confirmed",
            "objectivity_confirmed",
            "dropouts",
            "students_6_11",
            "students_7_11",
            "students_9_11",
            "students_10_11",
            "students_profile",
            "olymp_municipal",
            "olymp_regional_winners",
            "ovz_grad9_total",
            "ovz_grad9_certified",
            "vsoko_items_done",
            "profmin_covered",
            "bvb_participants",
            "graduates_placed",
        ],
        ("school",),
    ),
    **dict.fromkeys(("mkdo_level", "attendance_days", "planned_days"), ("kindergarten",)),
    **dict.fromkeys(
        ("students_start_year", "students_end_year", "contest_winners"), ("additional",)
    ),
    **dict.fromkeys(("students_in_additional", "ovz_in_additional"), ("school", "kindergarten")),
}

# Plausible regional references: (centre, spread, low, high), in %.
_PERIOD_REFERENCES = {
    "oge_fail_region": (5.5, 1.0, 3.0, 8.0),
    "ege_below_min_region": (4.0, 0.8, 2.0, 6.0),
    "ege_80plus_region": (11.5, 1.5, 8.0, 15.0),
    "vpr_share_2_region": (14.0, 1.6, 10.0, 18.0),
    "vpr_confirmed_region": (65.0, 4.0, 55.0, 75.0),
}

_MASK64 = (1 << 64) - 1
_U53 = 2.0**-53


# --- Counter-based randomness ---------------------------------------------------------------------


def _mix(x: np.ndarray) -> np.ndarray:
    """The splitmix64 finaliser, on uint64 arrays (wrapping arithmetic)."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@lru_cache(maxsize=4096)
def _key_hash(text: str) -> np.uint64:
    digest = hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest()
    return np.uint64(int.from_bytes(digest, "little"))


def _code_hashes(codes: pd.Index, seed: int) -> np.ndarray:
    salt = f"synthetic:{seed}:".encode()
    hashes = np.fromiter(
        (
            int.from_bytes(
                hashlib.blake2b(salt + c.encode("utf-8"), digest_size=8).digest(), "little"
            )
            for c in codes
        ),
        dtype=np.uint64,
        count=len(codes),
    )
    return _mix(hashes)


def _ndtri(u: np.ndarray) -> np.ndarray:
    """Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9)."""
    a = (-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.3577518672690,
         -30.66479806614716, 2.506628277459239)  # fmt: skip
    b = (-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972,
         -13.28068155288572)  # fmt: skip
    c = (-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734,
         4.374664141464968, 2.938163982698783)  # fmt: skip
    d = (0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416)
    u = np.clip(np.asarray(u, dtype=float), 1e-300, 1 - 1e-16)
    out = np.empty_like(u)
    low, high = u < 0.02425, u > 1 - 0.02425
    mid = ~(low | high)
    q = u[mid] - 0.5
    r = q * q
    out[mid] = (
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5])
        * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    )
    for mask, sign, tail in ((low, 1.0, u[low]), (high, -1.0, 1 - u[high])):
        q = np.sqrt(-2 * np.log(tail))
        out[mask] = sign * (
            (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        )
    return out


class _Streams:
    """Uniform and normal numbers per organisation, addressed by a name (and the period).

    `u("x")` is stable across periods; `u("x", yearly=True)` is new each period. A number depends
    only on the organisation's code, the seed, the name and the period.
    """

    def __init__(self, codes: pd.Index, seed: int, period_index: int):
        self.base = _code_hashes(codes, seed)
        self.period = int(period_index)

    def u(self, name: str, yearly: bool = False) -> np.ndarray:
        key = f"{name}|{self.period}" if yearly else name
        bits = _mix(self.base ^ _key_hash(key))
        return ((bits >> np.uint64(11)).astype(np.float64) + 0.5) * _U53

    def z(self, name: str, yearly: bool = False) -> np.ndarray:
        return _ndtri(self.u(name, yearly))


def _binomial(n, p, u: np.ndarray) -> np.ndarray:
    """Binomial(n, p) by inversion of the uniform `u` (exact for small means, normal otherwise)."""
    n = np.maximum(np.rint(np.asarray(n, dtype=float)), 0.0)
    p = np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    n, p, u = np.broadcast_arrays(n, p, u)
    flip = p > 0.5
    pp = np.where(flip, 1.0 - p, p)
    uu = np.where(flip, 1.0 - u, u)
    mean = n * pp
    var = mean * (1.0 - pp)
    out = np.zeros(n.shape)

    big = var >= 25.0
    if big.any():
        draw = mean[big] + np.sqrt(var[big]) * _ndtri(uu[big])
        out[big] = np.clip(np.floor(draw + 0.5), 0, n[big])

    small = ~big & (n > 0) & (pp > 0)
    if small.any():
        ns, ps, us = n[small], pp[small], uu[small]
        qs = 1.0 - ps
        pmf = np.exp(ns * np.log1p(-ps))
        cdf = pmf.copy()
        count = np.zeros(ns.shape)
        ratio = ps / qs
        k_max = int(np.ceil(mean[small].max() + 12 * np.sqrt(var[small].max()) + 12))
        for k in range(1, k_max + 1):
            below = cdf < us
            if not below.any():
                break
            count += below
            pmf = pmf * np.maximum(ns - k + 1, 0.0) / k * ratio
            cdf = cdf + pmf
        out[small] = np.minimum(count, ns)
    return np.where(flip, n - out, out)


def _ndtr(x: np.ndarray) -> np.ndarray:
    """The standard normal CDF (Abramowitz–Stegun 7.1.26 for erf, |error| < 1.5e-7)."""
    x = np.asarray(x, dtype=float)
    t = np.abs(x) / np.sqrt(2.0)
    k = 1.0 / (1.0 + 0.3275911 * t)
    poly = k * (
        0.254829592 + k * (-0.284496736 + k * (1.421413741 + k * (-1.453152027 + k * 1.061405429)))
    )
    erf = 1.0 - poly * np.exp(-t * t)
    return 0.5 * (1.0 + np.sign(x) * erf)


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


def _steps(x, step: float) -> np.ndarray:
    return np.round(np.asarray(x, dtype=float) / step) * step


def _level(x, low: int, high: int) -> np.ndarray:
    return np.clip(np.rint(x), low, high)


# --- The organisation model -----------------------------------------------------------------------


class _District:
    """All inputs (org scope, derived included) for a set of organisations in one period."""

    def __init__(self, org_types: pd.Series, period_index: int, seed: int):
        self.refs = _period_refs(period_index, seed)
        self.codes = pd.Index(org_types.index.astype(str))
        kinds = org_types.astype(str).to_numpy()
        unknown = sorted(set(kinds) - set(ORG_TYPES))
        if unknown:
            raise ValueError(f"Unknown organisation types: {', '.join(unknown)}")
        self.school = kinds == "school"
        self.kg = kinds == "kindergarten"
        self.odo = kinds == "additional"
        self.n = len(kinds)
        self.t = int(period_index)
        self.r = _Streams(self.codes, seed, period_index)
        self.q = self._quality()
        self.v: dict[str, np.ndarray] = {}
        self._simulate()

    # --- Randomness, in the model's terms

    def _quality(self) -> np.ndarray:
        """The period's latent quality: stable level + trend + a little yearly noise."""
        r, t = self.r, self.t
        q0 = r.z("quality")
        trend = r.u("trend")
        improving = (trend >= 0.65) & (trend < 0.90)
        declining = trend >= 0.90
        slope = 0.2 + 0.15 * r.u("trend.slope")
        drift = np.where(improving, np.minimum(slope * t, 1.2), 0.0)
        start = 1 + np.floor(3 * r.u("trend.start"))  # the first of two falling periods
        drop = 0.5 + 0.3 * r.u("trend.drop")
        drift = np.where(declining, -drop * np.clip(t - start + 1, 0, 2), drift)
        noise = 0.08 * r.z("quality.noise", yearly=True)
        return np.clip(q0 + drift + noise, -3.5, 3.5)

    def qi(self, name: str, stable: float = 1.0, yearly: float = 0.1) -> np.ndarray:
        """The quality as one input reads it: the shared quality plus a stable and a yearly
        deviation of its own, scaled back to unit variance (two inputs correlate at about 0.5)."""
        mixed = (
            self.q
            + stable * self.r.z(f"{name}.dev")
            + yearly * self.r.z(f"{name}.noise", yearly=True)
        )
        return mixed / np.sqrt(1.0 + stable**2 + yearly**2)

    def z(self, name: str, persistence: float = 0.0) -> np.ndarray:
        """A standard normal number for this period, correlated at `persistence` with the same
        organisation's number of any other period (0: new each period)."""
        if persistence <= 0:
            return self.r.z(name, yearly=True)
        fresh = np.sqrt(1.0 - persistence**2)
        return persistence * self.r.z(name) + fresh * self.r.z(name, yearly=True)

    def u(self, name: str, persistence: float = 0.0) -> np.ndarray:
        """A uniform number for this period (see `z` for `persistence`)."""
        if persistence <= 0:
            return self.r.u(name, yearly=True)
        return np.clip(_ndtr(self.z(name, persistence)), 1e-15, 1 - 1e-15)

    def binom(self, name: str, n, p, persistence: float = 0.0) -> np.ndarray:
        """Binomial(n, p); stocks (staff, pupils with ОВЗ) persist, flows (exams) do not."""
        return _binomial(n, p, self.u(name, persistence))

    def event(self, name: str, p, persistence: float = 0.85) -> np.ndarray:
        """True with probability `p`, for mostly the same organisations from year to year."""
        return self.z(name, persistence) < _ndtri(np.clip(p, 1e-12, 1 - 1e-12))

    def shortfall(self, name: str, n, p_full, share, persistence: float = 0.85) -> np.ndarray:
        """How many of `n` miss a target that most reach fully: 0 with probability `p_full`,
        otherwise Binomial(n, share), at least 1 (never more than n)."""
        n = np.asarray(n, dtype=float)
        full = self.event(name, p_full, persistence)
        short = self.binom(f"{name}.n", n, share, persistence)
        return np.where(full, 0.0, np.minimum(np.maximum(short, 1.0), n))

    # --- The model

    def _simulate(self) -> None:
        r, v = self.r, self.v
        school, kg = self.school, self.kg
        self.rural = r.u("rural") < 0.8

        # Size: skewed to small, stable, with a little yearly movement.
        u_size = r.u("size")
        base = np.select(
            [school, kg],
            [40.0 * 30.0 ** (u_size**1.15), 20.0 * 12.5 ** (u_size**1.1)],
            150.0 * 10.0**u_size,
        )
        base = np.where(self.rural, base, base * 1.3)
        low = np.select([school, kg], [40.0, 20.0], 150.0)
        high = np.select([school, kg], [1200.0, 250.0], 1500.0)
        size = np.clip(np.rint(base * np.exp(0.03 * r.z("size.noise", yearly=True))), low, high)

        self._school_block(size)
        self._kindergarten_block(size)
        self._additional_block(size)
        total = np.where(self.odo, v["students_start_year"], size)
        v["students_total"] = total
        self._common_block(total)
        self._staff_block(total)
        self._head_block(total)
        self._derived_block()

    def _school_block(self, size: np.ndarray) -> None:
        r, v, refs = self.r, self.v, self.refs
        # Basic schools (no 10–11 grades) are mostly the small rural ones.
        p_basic = np.where(size < 100, 0.40, np.where(size < 250, 0.12, 0.02))
        senior = ~(r.u("basic") < p_basic)
        ratio = np.where(senior, 0.45 + 0.35 * r.u("senior.ratio"), 0.0)
        cohort = size / (9.0 + 2.0 * ratio)  # grades 1–9 full, 10–11 smaller
        v["students_6_11"] = np.rint(cohort * (4 + 2 * ratio))
        v["students_7_11"] = np.rint(cohort * (3 + 2 * ratio))
        v["students_9_11"] = np.rint(cohort * (1 + 2 * ratio))
        v["students_10_11"] = np.rint(cohort * 2 * ratio)
        g9 = np.rint(cohort * (0.85 + 0.2 * self.u("grad9.size", 0.5)))
        g11 = np.rint(cohort * ratio * (0.85 + 0.15 * self.u("grad11.size", 0.5)))
        v["grad9_total"], v["grad11_total"] = g9, g11
        graduates = g9 + g11

        # Objectivity: a few schools are on the list of schools with signs of biased results.
        biased = (r.u("biased") < 0.04) | (self.u("biased.year") < 0.015)
        v["objectivity_confirmed"] = np.where(biased, 0.0, 1.0)
        bias = np.where(biased, 1.0, 0.0)

        q_cert = self.qi("certificates")
        v["grad9_certificate"] = g9 - self.binom("grad9.fail", g9, 0.008 * np.exp(-q_cert))
        v["grad11_certificate"] = g11 - self.binom("grad11.fail", g11, 0.004 * np.exp(-q_cert))
        v["honors"] = self.binom(
            "honors", graduates, 0.05 * np.exp(0.5 * self.qi("honors")) * (1 + bias)
        )
        v["graduates_placed"] = graduates - self.shortfall(
            "placed", graduates, _sig(0.3 + 1.2 * self.qi("placed")), 0.03
        )

        self.p_ovz = 0.02 + 0.06 * r.u("ovz.share")
        ovz9 = self.binom("ovz9", g9, 0.8 * self.p_ovz, 0.5)
        v["ovz_grad9_total"] = ovz9
        v["ovz_grad9_certified"] = ovz9 - self.shortfall(
            "ovz9.fail", ovz9, _sig(2.0 + self.qi("ovz")), 0.2
        )

        # State exams and ВПР; a biased school's results look better than they are.
        q_exam = self.qi("exams", stable=0.7, yearly=0.2) + 0.8 * bias
        oge = g9 - self.binom("oge.gve", ovz9, 0.6)  # some pupils with ОВЗ sit ГВЭ instead
        v["oge_participants"] = oge
        p_fail = 0.8 * refs["oge_fail_region"] / 100 * np.exp(-0.8 * q_exam)
        v["oge_fail"] = self.binom("oge.fail", oge, p_fail)
        ege = g11 - self.binom("ege.gve", g11, 0.03)
        v["ege_participants"] = ege
        p_below = 0.8 * refs["ege_below_min_region"] / 100 * np.exp(-0.8 * q_exam)
        v["ege_below_min"] = self.binom("ege.below", ege, p_below)
        p_top = refs["ege_80plus_region"] / 100 * np.exp(0.6 * q_exam)
        v["ege_80plus"] = self.binom("ege.80", ege, p_top)
        works = np.rint(cohort * 5 * (2.0 + 0.6 * r.u("vpr.subjects")))  # grades 4–8
        v["vpr_participants"] = works
        share2 = refs["vpr_share_2_region"] - 1.0 - 4.0 * q_exam + 1.2 * self.z("vpr", 0.5)
        share2 = np.where(biased, 1.0 + 3.0 * self.u("vpr.biased"), share2)
        v["vpr_share_2"] = np.round(np.clip(share2, 0.0, 100.0), 1)
        p_conf = refs["vpr_confirmed_region"] / 100 + 0.02 + 0.06 * self.qi("vpr.confirmed")
        p_conf = np.where(biased, 0.45, p_conf)
        v["vpr_confirmed"] = self.binom("vpr.confirmed", works, np.clip(p_conf, 0.3, 0.97))

        dropout = self.event("dropouts", 0.035 * np.exp(-0.8 * self.q), persistence=0.5)
        v["dropouts"] = np.where(dropout, 1 + self.binom("dropouts.n", 2, 0.25), 0.0)

        q_top = self.qi("olympiads")
        p_municipal = np.minimum(0.12 * np.exp(0.5 * q_top), 0.6)
        v["olymp_municipal"] = self.binom("olymp.mun", v["students_7_11"], p_municipal, 0.6)
        p_winners = 0.005 * np.exp(0.9 * q_top)
        v["olymp_regional_winners"] = self.binom("olymp.reg", v["students_9_11"], p_winners)
        v["students_profile"] = v["students_10_11"] - self.shortfall(
            "profile", v["students_10_11"], _sig(1.0 + 1.5 * self.qi("profile")), 0.3
        )
        q_career = self.qi("career")
        v["profmin_covered"] = v["students_6_11"] - self.shortfall(
            "profmin", v["students_6_11"], _sig(1.0 + 1.5 * q_career), 0.1
        )
        p_bvb = np.minimum(0.3 * np.exp(0.4 * q_career), 0.9)
        v["bvb_participants"] = self.binom("bvb", v["students_6_11"], p_bvb, 0.6)
        v["vsoko_items_done"] = 6 - np.minimum(
            self.shortfall("vsoko", 6, _sig(0.5 + 1.5 * self.qi("vsoko")), 0.2), 4
        )

    def _kindergarten_block(self, size: np.ndarray) -> None:
        v = self.v
        planned = np.rint(size * (238 + 12 * self.u("planned", 0.9)))
        rate = 0.79 + 0.05 * self.qi("attendance") + 0.015 * self.z("attendance", 0.7)
        v["planned_days"] = planned
        v["attendance_days"] = np.minimum(np.rint(planned * np.clip(rate, 0.5, 0.97)), planned)
        v["mkdo_level"] = _level(1.8 + 0.8 * self.qi("mkdo"), 0, 3)

    def _additional_block(self, size: np.ndarray) -> None:
        v = self.v
        v["students_start_year"] = size
        keep = 0.955 + 0.04 * self.qi("retention") + 0.015 * self.z("retention", 0.7)
        v["students_end_year"] = np.clip(np.rint(size * np.clip(keep, 0.6, 1.1)), 0, 20000)

    def _common_block(self, total: np.ndarray) -> None:
        r, v, school, kg = self.r, self.v, self.school, self.kg
        p_ovz = np.select(
            [school, kg],
            [self.p_ovz, 0.02 + 0.05 * r.u("ovz.share")],
            0.005 + 0.02 * r.u("ovz.share"),
        )
        ovz = self.binom("ovz", total, p_ovz, 0.9)
        v["ovz_students"] = ovz
        v["pmpk_students"] = np.minimum(ovz + self.binom("pmpk.extra", total, 0.004, 0.8), total)
        q_ovz = self.qi("ovz")
        v["ovz_adapted"] = v["pmpk_students"] - self.shortfall(
            "ovz.adapted", v["pmpk_students"], _sig(1.3 + 1.2 * q_ovz), 0.1
        )
        # Everyone in an additional-education organisation is in additional education.
        p_ovz_add = _sig(0.9 + 0.9 * q_ovz)
        v["ovz_in_additional"] = np.where(
            self.odo, ovz, self.binom("ovz.additional", ovz, p_ovz_add, 0.8)
        )
        # Support staff: a psychologist or speech therapist on a base rate, more with more ОВЗ.
        base_rate = np.select([school, kg], [0.5, 0.25], 0.25) * (1 + np.floor(3 * r.u("support")))
        rates = base_rate + ovz / 20 * 0.8 * np.exp(0.6 * self.qi("support"))
        v["support_staff_rates"] = np.clip(_steps(rates, 0.25), 0, 500)
        v["accessibility_level"] = _level(1.4 + 0.7 * self.qi("access"), 0, 2)

        p_add = _sig(np.where(kg, 1.3, 1.5) + 0.8 * self.qi("additional"))
        v["students_in_additional"] = np.where(
            self.odo, total, self.binom("in.additional", total, p_add, 0.8)
        )
        p_contest = np.select([school, kg], [0.15, 0.08], 0.25) * np.exp(0.5 * self.qi("contests"))
        v["contest_participants"] = self.binom("contests", total, np.minimum(p_contest, 0.8), 0.7)
        p_win = np.minimum(0.15 * np.exp(0.6 * self.qi("winners")), 0.8)
        v["contest_winners"] = self.binom("contest.winners", v["contest_participants"], p_win, 0.6)

    def _staff_block(self, total: np.ndarray) -> None:
        r, v, school, kg = self.r, self.v, self.school, self.kg
        per_teacher = np.select([school, kg], [13.0, 9.0], 22.0)
        fixed = np.select([school, kg], [8.0, 2.0], 3.0)
        positions = (fixed + total / per_teacher) * (0.9 + 0.2 * r.u("positions"))
        positions = np.clip(_steps(positions, 0.25), 1.0, 5000)
        v["teacher_positions"] = positions
        p_vacancy = _sig(-1.6 - 1.0 * self.qi("staffing") + np.where(self.rural, 0.3, 0.0))
        has_vacancy = self.event("vacancy", p_vacancy)
        amount = np.maximum(
            _steps(positions * (0.01 + 0.07 * self.u("vacancy.size", 0.8)), 0.5), 0.5
        )
        v["teacher_vacancies"] = np.where(has_vacancy, np.minimum(amount, positions), 0.0)
        teachers = np.maximum(np.rint(positions / (1.05 + 0.3 * r.u("load"))), 1)
        v["teachers_total"] = teachers
        p_categorized = _sig(0.1 + 0.7 * self.qi("categories"))
        v["teachers_categorized"] = self.binom("categorized", teachers, p_categorized, 0.95)
        v["teachers_trained_3y"] = teachers - self.shortfall(
            "trained", teachers, _sig(0.7 + 1.3 * self.qi("training")), 0.1
        )
        p_young = np.minimum(0.16 * np.exp(0.35 * self.qi("young")), 0.7)
        v["teachers_under_35"] = self.binom("under35", teachers, p_young, 0.95)
        # Internet: speed against the norm (50 Mbit/s rural, 100 urban), in three bands.
        self.norm = np.where(self.rural, 50.0, 100.0)
        band = _level(1.5 + 0.8 * self.qi("internet", yearly=0.1), 0, 2)
        pick = r.u("internet.tier")
        fraction = np.select(
            [band == 0, band == 1],
            [np.where(pick < 0.5, 0.2, 0.4), np.where(pick < 0.5, 0.6, 0.8)],
            np.where(pick < 0.6, 1.0, 2.0),
        )
        v["internet_mbps"] = self.norm * fraction
        violations = self.event("violations", 0.05 * np.exp(-0.7 * self.q), persistence=0.6)
        v["unresolved_violations"] = np.where(
            violations, 1 + self.binom("violations.n", 3, 0.3), 0.0
        )
        nokuod = 88.5 + 4.5 * self.qi("nokuod") + 1.0 * self.z("nokuod", 0.7)
        v["nokuod_score"] = np.round(np.clip(nokuod, 55.0, 100.0), 1)
        task = 97.5 + 3.0 * self.qi("task") + 1.0 * self.z("task", 0.5)
        v["mun_task_done_pct"] = np.round(np.clip(task, 70.0, 125.0), 1)

    def _head_block(self, total: np.ndarray) -> None:
        v, school, kg = self.v, self.school, self.kg
        q_head = self.qi("head", stable=0.6, yearly=0.1)
        self.q_head = q_head
        v["mgmt_education"] = np.where(
            self.event("mgmt.edu", _sig(2.2 + 1.2 * q_head), 0.95), 1.0, 0.0
        )
        hours_band = self.u("hours", 0.9)
        long_course = hours_band < _sig(0.3 + 1.0 * q_head)
        short_course = hours_band < _sig(1.8 + 1.0 * q_head)
        long_hours = np.array([72, 72, 108, 144, 250])[
            np.floor(5 * self.u("hours.l", 0.9)).astype(int)
        ]
        short_hours = np.array([16, 24, 36, 48])[np.floor(4 * self.u("hours.s", 0.9)).astype(int)]
        v["mgmt_training_hours_3y"] = np.select(
            [long_course, short_course], [long_hours, short_hours], 0
        ).astype(float)
        v["diagnostics_level"] = _level(2.4 + 1.0 * q_head + 0.3 * self.z("diag", 0.8), 0, 4)
        lapsed = (self.r.u("attestation") < 0.03) | (self.u("attestation.year") < 0.015)
        v["attestation_valid"] = np.where(lapsed, 0.0, 1.0)
        v["development_program_status"] = _level(1.5 + 0.8 * self.qi("program"), 0, 2)
        has_order = self.event("reserve.order", _sig(1.0 + 1.2 * q_head))
        v["internal_reserve_order"] = np.where(has_order, 1.0, 0.0)
        mgmt = np.select(
            [school, kg],
            [2 + np.rint(total / 250) + self.binom("mgmt.extra", 2, 0.4, 0.95), 1 + (total > 120)],
            2 + np.rint(total / 600),
        )
        v["mgmt_staff_total"] = mgmt
        v["mgmt_staff_60plus"] = self.binom("mgmt.60", mgmt, 0.18, 0.95)
        appointments = self.binom("appointments", mgmt + 1, 0.3, 0.9)
        v["mgmt_appointments_3y"] = appointments
        v["mgmt_appointments_from_reserve_3y"] = self.binom(
            "appointments.reserve", appointments, _sig(-0.2 + 1.2 * q_head), 0.9
        )

    def _derived_block(self) -> None:
        v, q_head = self.v, self.q_head
        self_index = 72 + 10 * q_head + 4 * self.z("self", 0.5)
        v["self_assessment_index"] = np.round(np.clip(self_index, 20, 100), 1)
        identified = self.binom("deficits", 8, 0.6 * _sig(-q_head), 0.6)
        v["deficits_identified"] = identified
        v["deficits_closed"] = self.binom(
            "deficits.closed", identified, _sig(0.8 + 1.2 * q_head), 0.6
        )
        candidates = 1 + np.rint(v["mgmt_staff_total"] / 2)
        p_member = np.minimum(0.45 * np.exp(0.4 * q_head), 0.9)
        members = self.binom("reserve", candidates, p_member, 0.9)
        v["reserve_members"] = members
        v["reserve_trained"] = self.binom("reserve.trained", members, _sig(1.0 + 1.2 * q_head), 0.7)
        v["reserve_idp_done"] = self.binom(
            "reserve.idp", v["reserve_trained"], _sig(0.7 + 1.2 * q_head), 0.6
        )
        v["internet_norm_mbps"] = self.norm


# --- Catalogue helpers ----------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _relevance(catalogue) -> dict[str, set[str]]:
    """Input code → the org types that get it: those of the indicators that read it."""
    codes = {i.code for i in catalogue.inputs}
    types: dict[str, set[str]] = {}
    for ind in catalogue.indicators:
        read = set(_TOKEN.findall(f"{ind.formula} {ind.min_n}")) & codes
        for code in read:
            types.setdefault(code, set()).update(ind.applies_to)
    for code in codes:
        if code not in types:
            types[code] = set(_DEFAULT_TYPES.get(code, ORG_TYPES))
    return types


def _fit_to_bounds(values: np.ndarray, definition) -> np.ndarray:
    """Clip to [min, max] and round integral types (a no-op for the model's own inputs)."""
    low = -np.inf if definition.min is None else definition.min
    high = np.inf if definition.max is None else definition.max
    values = np.clip(values, low, high)
    if definition.type in ("int", "bool", "level"):
        values = np.clip(np.rint(values), np.ceil(low), np.floor(high))
    return values


def _generic(district: _District, definition) -> np.ndarray:
    """Values for an input this model does not know (a catalogue edited by officials)."""
    q = district.qi(f"generic.{definition.code}")
    low = 0.0 if definition.min is None else definition.min
    high = low + 100.0 if definition.max is None else definition.max
    if definition.type == "bool":
        return np.where(district.u(f"generic.{definition.code}") < _sig(1.5 + q), 1.0, 0.0)
    if definition.type == "level":
        return _level(low + (high - low) * _sig(0.8 + q), low, high)
    if definition.type == "percent":
        return np.round(np.clip(70 + 12 * q, low, min(high, 100.0)), 1)
    top = min(high, low + 20.0)
    return district.binom(f"generic.{definition.code}", top - low, _sig(q)) + low


def _period_refs(period_index: int, seed: int) -> dict[str, float]:
    refs = {}
    for code, (centre, spread, low, high) in _PERIOD_REFERENCES.items():
        u = np.array([_uniform_scalar(seed, period_index, code)])
        refs[code] = float(np.round(np.clip(centre + spread * _ndtri(u)[0], low, high), 1))
    return refs


def _uniform_scalar(seed: int, period_index: int, name: str) -> float:
    bits = _mix(np.array([_key_hash(f"period:{seed}:{period_index}:{name}")], dtype=np.uint64))
    return float(((bits >> np.uint64(11)).astype(np.float64)[0] + 0.5) * _U53)


def _frame(catalogue, district: _District, inputs, org_kinds: np.ndarray) -> pd.DataFrame:
    relevance = _relevance(catalogue)
    columns = {}
    for definition in inputs:
        if definition.code in district.v:
            data = district.v[definition.code].astype(float)
        else:
            data = _generic(district, definition).astype(float)
        data = _fit_to_bounds(data, definition)
        keep = np.isin(org_kinds, list(relevance[definition.code]))
        columns[definition.code] = np.where(keep, data, np.nan)
    return pd.DataFrame(columns, index=pd.Index(district.codes, name="org_code"), dtype=float)


# --- Public API -----------------------------------------------------------------------------------


def generate_values(
    catalogue,
    org_types: pd.Series,
    period_index: int,
    *,
    seed: int = 110,
    missing_rate: float = 0.0,
    include_principal_inputs: bool = True,
) -> pd.DataFrame:
    """Plausible values of every org-scope, non-derived input for one period.

    org_types: index = org code, values in ORG_TYPES. Returns a float frame indexed by org code
    (in the order given), one column per input in catalogue order; NaN where the input does not
    concern the organisation's type, where `missing_rate` blanked it (each relevant cell
    independently with that probability), and for `provided_by == "principal"` inputs when
    `include_principal_inputs` is False.
    """
    if not 0.0 <= missing_rate <= 1.0:
        raise ValueError("missing_rate must be within [0, 1]")
    district = _District(org_types, period_index, seed)
    inputs = [i for i in catalogue.org_inputs() if i.provided_by != "derived"]
    kinds = org_types.astype(str).to_numpy()
    frame = _frame(catalogue, district, inputs, kinds)
    for definition in inputs:
        column = definition.code
        if definition.provided_by == "principal" and not include_principal_inputs:
            frame[column] = np.nan
        elif missing_rate > 0:
            blank = district.u(f"missing.{column}") < missing_rate
            frame.loc[blank, column] = np.nan
    return frame


def generate_derived_values(
    catalogue, org_types: pd.Series, period_index: int, *, seed: int = 110
) -> pd.DataFrame:
    """Stand-ins for the `derived` org inputs (self-assessment, deficits, reserve, internet norm).

    The portal computes these from its own records; benchmarks and tests that score without the
    portal can use these, drawn from the same organisation profile as `generate_values`.
    """
    district = _District(org_types, period_index, seed)
    inputs = [i for i in catalogue.org_inputs() if i.provided_by == "derived"]
    return _frame(catalogue, district, inputs, org_types.astype(str).to_numpy())


def generate_period_values(catalogue, period_index: int, *, seed: int = 110) -> dict[str, float]:
    """The period-scope inputs (regional references, %) for one period."""
    refs = _period_refs(period_index, seed)
    values = {}
    for definition in catalogue.period_inputs():
        if definition.code in refs:
            value = refs[definition.code]
        else:
            u = np.array([_uniform_scalar(seed, period_index, definition.code)])
            low = 0.0 if definition.min is None else definition.min
            high = 100.0 if definition.max is None else min(definition.max, 100.0)
            value = float(np.round(low + (high - low) * (0.3 + 0.4 * u[0]), 1))
        values[definition.code] = float(_fit_to_bounds(np.array([value]), definition)[0])
    return values


def org_codes(n: int) -> list[str]:
    """Synthetic organisation codes: "S000001", "S000002", …"""
    width = max(6, len(str(n)))
    return [f"S{number:0{width}d}" for number in range(1, n + 1)]


def org_types_for(n: int, seed: int = 110) -> pd.Series:
    """A type for each of `org_codes(n)`: ≈ 50 % schools, 43 % kindergartens, 7 % ОДО."""
    shares = np.array([TYPE_MIX[t] for t in ORG_TYPES])
    counts = np.floor(shares * n).astype(int)
    remainder = shares * n - counts
    for position in np.argsort(-remainder, kind="stable")[: n - counts.sum()]:
        counts[position] += 1
    kinds = np.repeat(np.array(ORG_TYPES, dtype=object), counts)
    kinds = np.random.default_rng(seed).permutation(kinds)
    return pd.Series(kinds, index=pd.Index(org_codes(n), name="org_code"), name="org_type")


# --- Feeding the portal (benchmarks) ------------------------------------------------------------


class FrameCells(Mapping):
    """A values frame (index org code, columns input codes) as the {(org code, input code):
    value} mapping that `workbook.build_template` reads — without a dict of 1.8 million entries.
    Missing (NaN) cells are absent; text cells (from `corrupt_rows`) are returned as text."""

    def __init__(self, frame: pd.DataFrame):
        self._rows = {str(code): i for i, code in enumerate(frame.index)}
        self._columns = {str(code): j for j, code in enumerate(frame.columns)}
        self._data = frame.to_numpy(dtype=object)
        self._present = (
            np.vectorize(_present, otypes=[bool])(self._data)
            if self._data.size
            else (np.zeros(self._data.shape, dtype=bool))
        )

    def __getitem__(self, key):
        i, j = self._rows.get(key[0]), self._columns.get(key[1])
        if i is None or j is None or not self._present[i, j]:
            raise KeyError(key)
        return self._data[i, j]

    def get(self, key, default=None):
        try:
            return self[key]
        except KeyError:
            return default

    def __iter__(self):
        rows, columns = list(self._rows), list(self._columns)
        for i, j in zip(*np.nonzero(self._present), strict=True):
            yield rows[i], columns[j]

    def __len__(self) -> int:
        return int(self._present.sum())


def _present(value) -> bool:
    return isinstance(value, str) or (value is not None and value == value)


def template_cells(frame: pd.DataFrame) -> FrameCells:
    """`frame` as the cells of a pre-filled template (see `FrameCells`)."""
    return FrameCells(frame)


def value_writes(
    frame: pd.DataFrame, org_ids: Mapping[str, int], period_values: Mapping[str, float]
) -> Iterator[tuple]:
    """The non-missing values of `frame` and `period_values` as the writes `values.write_values`
    takes — (organisation id or None, input code, value, sheet, row) — streamed row by row."""
    columns = [str(c) for c in frame.columns]
    for code, numbers in zip(frame.index, frame.to_numpy(dtype=float), strict=True):
        org_id = org_ids[str(code)]
        for column, value in zip(columns, numbers.tolist(), strict=True):
            if value == value:
                yield (org_id, column, value, "", None)
    for column, value in period_values.items():
        yield (None, column, value, "", None)


# --- Deliberate errors ---------------------------------------------------------------------------

CORRUPTIONS = ("negative", "over_max", "not_a_number", "consistency", "fractional")
NOT_A_NUMBER = "н/д"
# Rules whose left side is on no other rule's right side: raising it breaks this rule only.
_BREAKABLE = (
    ("grad9_certificate", "grad9_total"),
    ("teachers_categorized", "teachers_total"),
    ("mgmt_staff_60plus", "mgmt_staff_total"),
    ("ovz_adapted", "pmpk_students"),
    ("oge_fail", "oge_participants"),
)


def corrupt_rows(
    values: pd.DataFrame, fraction: float, *, seed: int = 7, catalogue=None
) -> pd.DataFrame:
    """A copy (dtype object) in which `round(fraction × rows)` rows carry one deliberate error each.

    The errors cycle through CORRUPTIONS: a negative count; a percent over its maximum
    (e.g. 134.5 for a share); the string «н/д»; a consistency break (e.g. grad9_certificate =
    grad9_total + 1); a fractional int (12.5). Each error is placed in a column that takes part in
    no other check, so a row has exactly one. Where a row has no suitable column (inputs missing),
    it gets «н/д» instead. `result.attrs["corruptions"]` lists (org code, column, kind).
    """
    if catalogue is None:
        from monitoring.catalogue import default_catalogue

        catalogue = default_catalogue()
    if not 0.0 <= fraction <= 1.0:
        raise ValueError("fraction must be within [0, 1]")
    defs = catalogue.inputs_by_code
    result = values.astype(object).copy()
    n = len(values)
    k = int(round(fraction * n))
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(n, size=k, replace=False)) if k else np.array([], dtype=int)
    numeric = values.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    columns = list(values.columns)
    position = {c: j for j, c in enumerate(columns)}

    def typed(kind: str, exclude_rules: bool = True) -> list[str]:
        return [
            c
            for c in columns
            if c in defs and defs[c].type == kind and not (exclude_rules and c in _RULE_CODES)
        ]

    counts, percents = typed("int"), typed("percent")
    log = []
    for i, row in enumerate(rows):
        present = ~np.isnan(numeric[row])

        def available(candidates, row=row, present=present):
            return [c for c in candidates if present[position[c]]]

        kind = CORRUPTIONS[i % len(CORRUPTIONS)]
        column, new = None, None
        if kind == "negative":
            options = available(counts)
            if options:
                column = options[rng.integers(len(options))]
                new = -max(float(numeric[row, position[column]]), 1.0)
        elif kind == "over_max":
            options = available(percents)
            if options:
                column = options[rng.integers(len(options))]
                top = max(defs[column].max or 100.0, 100.0)
                new = float(np.round(top + 1 + 49 * rng.random(), 1))
        elif kind == "consistency":
            options = [
                (left, right)
                for left, right in _BREAKABLE
                if left in position
                and right in position
                and present[position[left]]
                and present[position[right]]
            ]
            if options:
                column, right = options[rng.integers(len(options))]
                new = float(numeric[row, position[right]]) + 1.0
        elif kind == "fractional":
            options = available(counts)
            if options:
                column = options[rng.integers(len(options))]
                old = float(numeric[row, position[column]])
                high = defs[column].max if defs[column].max is not None else np.inf
                new = old + 0.5 if old + 0.5 <= high else old - 0.5
        if column is None:
            kind = "not_a_number"
            options = available(columns) or columns
            column = options[rng.integers(len(options))]
            new = NOT_A_NUMBER
        result.iat[row, position[column]] = new
        log.append((str(values.index[row]), column, kind))
    result.attrs["corruptions"] = log
    return result
