"""A workflow's plan: its steps and joins, what each leads to, as one JSON document.

A canvas (steps, chains, groups, chords) is compiled once, at enqueue, into a flat plan:

- a **step** is one call of one task, with its own id (a handle's `tid`) assigned now,
  the envelope its call is built from, and the targets its result goes to;
- a **join** collects the results of a group's members, slot by slot, and passes the
  list (in the members' order) on when every slot is filled; its `marker` is the
  message id that resolves it, written once (the broker refuses a second message with
  that id), so the join resolves exactly once whoever sees it full or failed first.

A target is `("step", i)` (start step `i` with the value), `("slot", j, k)` (fill slot
`k` of join `j`) or `("join", j)` (an empty group: resolve join `j` with `[]` at once).
The plan is stored in the workflow's record; workers read it when a step ends.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from weft_compat._submit import PreparedCall

__all__ = ["Builder", "Node", "Piece", "Plan", "PlanJoin", "PlanStep", "Target"]

# ("step", i, 0) | ("slot", j, k) | ("join", j, 0)
Target = tuple[Literal["step", "slot", "join"], int, int]
# ("step", i) | ("join", j): what a piece of canvas ends in.
Node = tuple[Literal["step", "join"], int]


@dataclass(slots=True)
class PlanStep:
    """One call of the workflow."""

    task: str
    envelope: str  # the envelope JSON, its `call` holding the step's own arguments
    immutable: bool
    countdown: float | None = None
    then: list[Target] = field(default_factory=list)
    errbacks: list[int] = field(default_factory=list)
    id: str = ""
    # The message id of the mark that this step's end was acted on (`_advance`): written
    # once, by whoever moves the workflow on from it first.
    marker: int = 0

    def to_data(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "task": self.task,
            "envelope": self.envelope,
            "immutable": self.immutable,
            "countdown": self.countdown,
            "then": [list(target) for target in self.then],
            "errbacks": self.errbacks,
            "id": self.id,
            "marker": self.marker,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PlanStep:
        """Rebuild a step from its JSON form."""
        return cls(
            task=data["task"],
            envelope=data["envelope"],
            immutable=data["immutable"],
            countdown=data.get("countdown"),
            then=[_target(item) for item in data["then"]],
            errbacks=list(data["errbacks"]),
            id=data["id"],
            marker=data.get("marker", 0),
        )


@dataclass(slots=True)
class PlanJoin:
    """A group's results, collected slot by slot."""

    size: int
    then: list[Target] = field(default_factory=list)
    marker: int = 0

    def to_data(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"size": self.size, "then": [list(t) for t in self.then], "marker": self.marker}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> PlanJoin:
        """Rebuild a join from its JSON form."""
        return cls(data["size"], [_target(item) for item in data["then"]], data["marker"])


@dataclass(slots=True)
class Plan:
    """A compiled workflow."""

    id: str
    kind: str  # "chain", "group", "chord" or "step": what the canvas was
    steps: list[PlanStep]
    joins: list[PlanJoin]
    roots: list[Target]
    result: Node
    # The top-level pieces in order (a group's members, a chain's links): their ends.
    parts: list[Node] = field(default_factory=list)
    created: float = 0.0

    def to_json(self) -> str:
        """The plan message."""
        return json.dumps(
            {
                "workflow": self.id,
                "kind": self.kind,
                "steps": [step.to_data() for step in self.steps],
                "joins": [join.to_data() for join in self.joins],
                "roots": [list(target) for target in self.roots],
                "result": list(self.result),
                "parts": [list(part) for part in self.parts],
                "created": self.created,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Plan:
        """Parse a stored plan."""
        data = json.loads(text)
        return cls(
            id=data["workflow"],
            kind=data["kind"],
            steps=[PlanStep.from_data(item) for item in data["steps"]],
            joins=[PlanJoin.from_data(item) for item in data["joins"]],
            roots=[_target(item) for item in data["roots"]],
            result=_node(data["result"]),
            parts=[_node(item) for item in data.get("parts", [])],
            created=data.get("created", 0.0),
        )

    def downstream(self, targets: list[Target]) -> tuple[list[int], list[int]]:
        """The steps and joins `targets` lead to, directly or through later steps."""
        steps: list[int] = []
        joins: list[int] = []
        pending = list(targets)
        while pending:
            kind, index, _ = pending.pop()
            if kind == "step" and index not in steps:
                steps.append(index)
                pending.extend(self.steps[index].then)
            elif kind in ("slot", "join") and index not in joins:
                joins.append(index)
                pending.extend(self.joins[index].then)
        return steps, joins


@dataclass(frozen=True, slots=True)
class Piece:
    """A compiled piece of canvas: the targets that receive its input, and its end."""

    entries: list[Target]
    end: Node


class Builder:
    """Collects a plan's steps and joins while a canvas compiles itself."""

    def __init__(self) -> None:
        self.steps: list[PlanStep] = []
        self.joins: list[PlanJoin] = []
        # Each step's prepared call, for the test modes (which run or record it here).
        self.prepared: list[PreparedCall] = []

    def add_step(self, step: PlanStep, prepared: PreparedCall) -> int:
        """Add a step and its prepared call; returns its index."""
        self.steps.append(step)
        self.prepared.append(prepared)
        return len(self.steps) - 1

    def add_join(self, size: int) -> int:
        """Add a join of `size` slots; returns its index."""
        self.joins.append(PlanJoin(size))
        return len(self.joins) - 1

    def connect(self, end: Node, target: Target) -> None:
        """Send the result of `end` to `target`."""
        kind, index = end
        owner = self.steps[index] if kind == "step" else self.joins[index]
        owner.then.append(target)


def _target(item: list[Any]) -> Target:
    kind, index, slot = item
    if kind not in ("step", "slot", "join"):
        raise ValueError(f"unknown plan target {item!r}")
    return (kind, int(index), int(slot))


def _node(item: list[Any]) -> Node:
    kind, index = item
    if kind not in ("step", "join"):
        raise ValueError(f"unknown plan node {item!r}")
    return (kind, int(index))
