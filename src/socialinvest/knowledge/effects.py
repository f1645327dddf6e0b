"""The effect library: published effect estimates a case can take its success rates from.

One YAML file per study under ``knowledge/effects``; its name without ``.yaml`` is the study's ID.
Each names the intervention, population, outcome, follow-up, design, the success rates in the
intervention and comparison groups as published, the effect with its confidence interval, and the
reference. A case writes ``success: {measure: ..., from_study: ID}`` and gets

- ``rate_without``: the comparison group's published rate (a number), or the case's own for a
  study that publishes only a relative effect;
- ``rate_with``: a beta distribution whose mean is the intervention group's published rate and
  whose standard deviation is read off the published interval (:func:`success_rates`).

So the mean of the draws of ``rate_with - rate_without`` is the study's published risk
difference. See ``docs/knowledge-base.md`` ("Effect library").
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from socialinvest.errors import KnowledgeBaseError, Shown, invalid
from socialinvest.knowledge.schema import Reference, Text
from socialinvest.source import read_document
from socialinvest.vocabulary import Status

EFFECTS_DIR = Path(__file__).parent / "effects"

# Two-sided standard normal quantiles for the confidence levels studies report.
Z_FOR_LEVEL = {0.9: 1.6448536269514722, 0.95: 1.959963984540054, 0.99: 2.5758293035489004}

Measure = Literal["risk_difference", "odds_ratio", "relative_risk"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Effect(_Strict):
    """The published effect: a point estimate and, where published, its confidence interval."""

    measure: Measure
    estimate: float
    ci_low: float | None = None
    ci_high: float | None = None
    ci_level: float = 0.95
    note: str | None = None

    @model_validator(mode="after")
    def _interval(self) -> Effect:
        if (self.ci_low is None) != (self.ci_high is None):
            raise ValueError("give both ci_low and ci_high, or neither")
        if (
            self.ci_low is not None
            and self.ci_high is not None
            and not self.ci_low <= self.estimate <= self.ci_high
        ):
            raise ValueError("the estimate must lie inside its confidence interval")
        if self.ci_level not in Z_FOR_LEVEL:
            raise ValueError(f"ci_level must be one of {sorted(Z_FOR_LEVEL)}")
        if self.measure != "risk_difference" and (self.ci_low or 1) <= 0:
            raise ValueError("an odds ratio or relative risk and its bounds are above 0")
        return self


class Study(_Strict):
    label: Text
    intervention: Text
    population: Text
    outcome: Text
    follow_up_months: float = Field(gt=0)
    design: str = Field(min_length=3)
    country: str = Field(min_length=2)
    participants: int | None = Field(default=None, ge=1)
    year: int = Field(ge=1950, le=2100, description="Year of publication.")
    outcome_is_adverse: bool = Field(
        default=False,
        description=(
            "True when the study's outcome is the bad event (homelessness, rearrest); the "
            "rates and effect are then of the event, and a case's success is its absence."
        ),
    )
    rate_with: float | None = Field(default=None, ge=0, le=1)
    rate_without: float | None = Field(default=None, ge=0, le=1)
    effect: Effect
    status: Status
    reference: Reference
    description: Text | None = None

    @model_validator(mode="after")
    def _rates(self) -> Study:
        if (self.rate_with is None) != (self.rate_without is None):
            raise ValueError("give both rate_with and rate_without, or neither")
        if self.rate_with is None and self.effect.measure == "risk_difference":
            raise ValueError("a risk difference needs the published rates")
        return self


@dataclass(frozen=True)
class StudyRates:
    """What a case takes from a study: the success rates with and without the intervention and
    the spread of the rate with it (``None`` when the study publishes no interval)."""

    rate_with: float
    rate_without: float
    sd_with: float | None

    def case_success(self) -> dict[str, Any]:
        """``rate_with`` (a beta distribution, or the number if no interval) and ``rate_without``
        as a case's ``success`` section writes them."""
        rate_with: Any = self.rate_with
        if self.sd_with is not None and self.sd_with > 0:
            rate_with = {"dist": "beta", "mean": self.rate_with, "sd": self.sd_with}
        return {"rate_with": rate_with, "rate_without": self.rate_without}


def _event_rate(measure: str, x: float, p0: float) -> float:
    """The intervention group's rate of the study's outcome at effect ``x``, given the
    comparison group's rate ``p0``."""
    if measure == "risk_difference":
        return p0 + x
    if measure == "relative_risk":
        return p0 * x
    odds = x * p0 / (1.0 - p0)
    return odds / (1.0 + odds)


def success_rates(study: Study, case_rate_without: float | None = None) -> StudyRates:
    """The success rates a case takes from ``study``.

    The comparison group's rate ``p0`` is the study's published one, or, for a study that
    publishes only a relative effect (odds ratio, relative risk), the case's own
    ``rate_without``. The rate with the intervention is the study's published rate (or, without
    published rates, the effect applied to ``p0``). Its spread comes from the interval: the
    interval's bounds are turned into bounds of the intervention group's rate, holding ``p0``
    fixed — risk difference ``d``: ``p0 + d``; relative risk ``r``: ``p0 * r``; odds ratio
    ``o``: ``o * odds(p0) / (1 + o * odds(p0))`` — and the standard deviation is their distance
    divided by ``2 z`` (``z`` = 1.96 for a 95 % interval), as for a normal approximation.

    For a study of an adverse outcome (``outcome_is_adverse``) the same is done for the event
    rate and success is its complement: success rate = 1 - event rate.
    """
    effect = study.effect
    if study.rate_without is not None and study.rate_with is not None:
        event_without, event_with = study.rate_without, study.rate_with
        if case_rate_without is not None:
            raise ValueError(
                "no rate_without of the case's own with this study: it publishes both rates"
            )
    else:
        if case_rate_without is None:
            raise ValueError(
                "a rate_without of the case's own: this study publishes only a relative effect"
            )
        event_without = 1.0 - case_rate_without if study.outcome_is_adverse else case_rate_without
        event_with = _event_rate(effect.measure, effect.estimate, event_without)
    sd: float | None = None
    if effect.ci_low is not None and effect.ci_high is not None:
        z = Z_FOR_LEVEL[effect.ci_level]
        low = _event_rate(effect.measure, effect.ci_low, event_without)
        high = _event_rate(effect.measure, effect.ci_high, event_without)
        sd = abs(high - low) / (2.0 * z)
    if study.outcome_is_adverse:
        return StudyRates(1.0 - event_with, 1.0 - event_without, sd)
    return StudyRates(event_with, event_without, sd)


class EffectLibrary:
    """The bundled (or another) folder of effect studies."""

    def __init__(self, root: Path | str = EFFECTS_DIR) -> None:
        self.root = Path(root)
        self._cache: dict[str, Study] = {}

    def ids(self) -> list[str]:
        return sorted(p.stem for p in self.root.glob("*.yaml"))

    def __contains__(self, study_id: object) -> bool:
        return isinstance(study_id, str) and study_id in self.ids()

    def study(self, study_id: str) -> Study:
        if study_id in self._cache:
            return self._cache[study_id]
        if study_id not in self:
            raise KeyError(study_id)
        path = self.root / f"{study_id}.yaml"
        document = read_document(path)
        try:
            study = Study.model_validate(document.data)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = tuple(first["loc"])
            field = ".".join(str(p) for p in loc) or "(study)"
            raise KnowledgeBaseError(
                f"{path}, line {document.line_of(loc)}: effect study '{study_id}' is invalid at "
                f"'{field}': {first['msg']}"
            ) from None
        self._cache[study_id] = study
        return study

    def validate_all(self) -> list[str]:
        ids = self.ids()
        for study_id in ids:
            self.study(study_id)
        return ids

    def rates(self, study_id: str, case_rate_without: float | None = None) -> StudyRates:
        return success_rates(self.study(study_id), case_rate_without)


@cache
def default_effect_library() -> EffectLibrary:
    return EffectLibrary()


def study_record(study_id: str) -> dict[str, Any]:
    """A provenance record naming the study a case took its success rates from."""
    study = default_effect_library().study(study_id)
    ref = study.reference
    e = study.effect
    interval = (
        f", {int(e.ci_level * 100)} % CI {e.ci_low:g}–{e.ci_high:g}"
        if e.ci_low is not None and e.ci_high is not None
        else ", no interval published"
    )
    rates = (
        f"rate with {study.rate_with:g}, without {study.rate_without:g}; "
        if study.rate_with is not None
        else ""
    )
    return {
        "id": f"effects/{study_id}",
        "origin": "effect library",
        "label": f"Effect estimate the success rates are taken from: {study.label.en}",
        "label_da": f"Effektestimat, succesraterne er taget fra: {study.label.da}",
        "value": study.effect.estimate,
        "unit": "factor" if e.measure != "risk_difference" else "share",
        "year": study.year,
        "valid_from": None,
        "status": study.status,
        "source": ref.title,
        "publisher": ref.publisher,
        "url": ref.url,
        "accessed": ref.accessed.isoformat(),
        "note": (
            f"{study.design}, {study.country}; {study.outcome.en}, {study.follow_up_months:g} "
            f"months; {rates}{e.measure.replace('_', ' ')} {e.estimate:g}{interval}. The case's "
            "rate_with is drawn from a beta distribution around the study's rate with the "
            "spread of the interval (docs/knowledge-base.md)."
        ),
        "study": study_id,
    }


def resolve_from_study(data: Any) -> Any:
    """A case's ``success`` section with ``from_study`` filled in: ``rate_with`` and
    ``rate_without`` taken from the study (see :func:`success_rates`). Anything else is returned
    as it is. Raises ``ValueError`` with what is expected, for the loader's one-sentence error."""
    if not isinstance(data, dict) or data.get("from_study") is None:
        return data
    study_id = data["from_study"]
    library = default_effect_library()
    if not isinstance(study_id, str) or study_id not in library:
        raise invalid("fs_unknown", ids=", ".join(library.ids()), value=Shown(study_id))
    if data.get("rate_with") is not None or data.get("absolute_effect") is not None:
        raise invalid("fs_either")
    own = data.get("rate_without")
    if own is not None and not (isinstance(own, int | float) and not isinstance(own, bool)):
        raise invalid("fs_plain_rate")
    if own is not None and not 0 <= own <= 1:
        raise invalid("fs_rate_range")
    study = library.study(study_id)
    if study.rate_without is not None and own is not None:
        raise invalid("fs_no_own_rate", study=study_id)
    if study.rate_without is None and own is None:
        raise invalid("fs_own_rate", study=study_id)
    rates = success_rates(study, float(own) if own is not None else None)
    return {**data, **rates.case_success()}
