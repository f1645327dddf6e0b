"""Closed vocabularies shared by case files, the knowledge base and the engine.

Each tuple's order is the order of the corresponding array axis in the engine.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

Actor = Literal["kommune", "region", "stat"]
ACTORS: Final[tuple[Actor, ...]] = get_args(Actor)

Area = Literal[
    "employment", "health", "social", "justice", "education", "housing", "children", "other"
]
AREAS: Final[tuple[Area, ...]] = get_args(Area)

Status = Literal["official", "secondary", "assumption"]
Direction = Literal["expense", "revenue"]

# Units of a knowledge-base value. "DKK/x" is an amount of money per unit x of an activity.
PriceUnit = Literal[
    "DKK/day", "DKK/night", "DKK/week", "DKK/month", "DKK/year", "DKK/person", "DKK"
]
ValueUnit = Literal[PriceUnit, "share", "rate", "index", "factor"]
PRICE_UNITS: Final[tuple[str, ...]] = get_args(PriceUnit)
VALUE_UNITS: Final[tuple[str, ...]] = (*PRICE_UNITS, "share", "rate", "index", "factor")

# Units in which a consequence profile counts activity per additional success.
ActivityUnit = Literal["day", "night", "week", "month", "year", "person", "occurrence"]

# How many of each time unit make a year. Benefits paid monthly become weekly as x 12 / 52,
# which is how Danish benefit rates are converted between month and week.
UNITS_PER_YEAR: Final[dict[str, float]] = {
    "day": 365.0,
    "night": 365.0,
    "week": 52.0,
    "month": 12.0,
    "quarter": 4.0,
    "year": 1.0,
}

# The activity unit a price unit is quoted per.
PRICE_UNIT_ACTIVITY: Final[dict[str, str]] = {
    "DKK/day": "day",
    "DKK/night": "night",
    "DKK/week": "week",
    "DKK/month": "month",
    "DKK/year": "year",
    "DKK/person": "person",
    "DKK": "occurrence",
}


def activity_conversion(activity_unit: str, price_unit: str) -> float | None:
    """Factor that turns a price per ``price_unit`` into a price per ``activity_unit``.

    Returns ``None`` when the two cannot be converted (a price per person and a count of weeks).
    """
    quoted = PRICE_UNIT_ACTIVITY[price_unit]
    if quoted == activity_unit:
        return 1.0
    if quoted in UNITS_PER_YEAR and activity_unit in UNITS_PER_YEAR:
        # price per quoted unit x (quoted units per year) / (activity units per year)
        return UNITS_PER_YEAR[quoted] / UNITS_PER_YEAR[activity_unit]
    return None


# Cycles of a state-transition model per year.
CYCLES_PER_YEAR: Final[dict[str, int]] = {"year": 1, "quarter": 4, "month": 12, "week": 52}
