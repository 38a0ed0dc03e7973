"""What every feature's workflow shares: the error a refused change raises, and the table of
steps each feature declares (cases, candidacies, minutes, units).

A feature writes its table once, ``TRANSITIONS = transition_table(Transition(...), ...)``;
its page shows ``available(...)`` as buttons and its service accepts only what ``lookup``
finds, refusing anything else in its own words.
"""

import enum
from dataclasses import dataclass
from typing import Generic, TypeVar

Status = TypeVar("Status", bound=enum.Enum)


class WorkflowError(ValueError):
    """A change the rules refuse; the message says why, in French, for the person."""


@dataclass(frozen=True)
class Transition(Generic[Status]):
    """One step: the name its button posts, the button's label, the statuses it leaves
    from, the status it leads to, and, where the feature tells them apart, who takes it."""

    name: str
    label: str
    sources: tuple[Status, ...]
    target: Status
    by: str = ""


def transition_table(*transitions: Transition[Status]) -> dict[str, Transition[Status]]:
    """The steps by name, in the order given (the order of the buttons)."""
    return {t.name: t for t in transitions}


def available(
    table: dict[str, Transition[Status]], status: Status, *, by: str | None = None
) -> list[Transition[Status]]:
    """The steps that leave ``status`` (only those taken ``by`` someone, when given)."""
    return [t for t in table.values() if status in t.sources and (by is None or t.by == by)]


def lookup(
    table: dict[str, Transition[Status]], name: str, status: Status
) -> Transition[Status] | None:
    """The step a form asks for, if it exists and leaves ``status``; otherwise None, and the
    feature refuses it, changing nothing."""
    transition = table.get(name)
    if transition is None or status not in transition.sources:
        return None
    return transition
