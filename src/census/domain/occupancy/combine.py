"""One code for a household with several meters.

Rule: the meter with the strongest evidence that someone lives there decides,
in this order:

1. GREEN, then YELLOW: use on any meter is use of the home.
2. UNKNOWN with use seen (`days_with_use_30` > 0, for example gaps in the
   last 7 days): the home cannot be called empty.
3. RED: at least one meter shows 30 days without use and no meter shows use.
   A meter that cannot be judged and saw no use adds no evidence of use.
4. UNKNOWN: no meter could be judged.

The first meter in the input order wins among meters of equal rank; its
reason, as-of date and tags become the combined ones. The facts count the
meters per code and name the deciding utility.
"""

from __future__ import annotations

from collections.abc import Sequence

from census.domain.occupancy.model import Classification

_RANK_GREEN, _RANK_YELLOW, _RANK_UNKNOWN_WITH_USE, _RANK_RED, _RANK_UNKNOWN = range(5)


def _rank(result: Classification) -> int:
    if result.code == "GREEN":
        return _RANK_GREEN
    if result.code == "YELLOW":
        return _RANK_YELLOW
    if result.code == "RED":
        return _RANK_RED
    if int(result.facts.get("days_with_use_30", 0)) > 0:
        return _RANK_UNKNOWN_WITH_USE
    return _RANK_UNKNOWN


def combine(results: Sequence[tuple[str, Classification]]) -> Classification:
    """Combine the codes of one household's meters, given as (utility, classification) pairs."""
    if not results:
        raise ValueError("combine needs at least one (utility, classification) pair")
    utility, decider = min(results, key=lambda pair: _rank(pair[1]))
    facts: dict[str, int | str] = {"meters": len(results), "decided_by": utility}
    for code in ("GREEN", "YELLOW", "RED", "UNKNOWN"):
        facts[f"meters_{code.lower()}"] = sum(1 for _, result in results if result.code == code)
    return Classification(decider.code, decider.reason, decider.as_of, decider.tags, facts)
