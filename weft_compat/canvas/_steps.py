"""Canvas values: `Step` (Celery's signature), `Chain`, `Group` and `Chord`.

A `Step` is a partial call of one task: `task.step(*args, **kwargs)` receives the
previous step's result as its first argument, `task.fixed_step(...)` (Celery's `si`)
does not. `a | b` and `chain(a, b)` run one after the other, `group(...)` runs its
members in parallel and yields their results in order, `chord(header, body)` runs the
body once with the header's results. Nothing is submitted until `.enqueue()`, which
compiles the canvas into a plan (`_plan`) and starts it (`_start`); each value is
immutable, and `using`, `link` and `link_error` return changed copies.

Celery's spellings on these values (`delay`, `apply_async`, `set`, `s`, `si`, calling
one) raise `CeleryNameRemoved`, naming the replacement.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, NoReturn, Self

from weft_compat._option_names import check_call_option_names
from weft_compat._submit import prepare_call
from weft_compat.canvas._plan import Builder, Piece, PlanStep
from weft_compat.canvas._start import Incoming, start_workflow
from weft_compat.exceptions import CeleryNameRemoved, InvalidCallArguments

if TYPE_CHECKING:
    from weft_compat._task import WeftTask
    from weft_compat.canvas._handle import WorkflowSubmission

__all__ = ["Canvas", "Chain", "Chord", "Group", "Step", "chain", "chord", "group"]

_GUIDE: Final = "migration_guide/canvas.md"
_RENAMED: Final[Mapping[str, str]] = {
    "delay": "enqueue(*args, **kwargs)",
    "apply_async": "using(**options).enqueue(*args, **kwargs)",
    "set": "using(**options)",
    "s": "step(...) on the task",
    "si": "fixed_step(...) on the task",
    "clone": "using(...) (canvas values are immutable)",
    "freeze": "enqueue() (its handle knows every step's id at once)",
    "on_error": "link_error(step)",
}


class Canvas(ABC):
    """Anything that can be enqueued as a workflow."""

    kind: str = "step"

    @abstractmethod
    def build(self, builder: Builder, options: dict[str, Any], incoming: Incoming) -> Piece:
        """Compile into `builder`; `options` apply to every step inside."""

    @abstractmethod
    def using(self, **options: Any) -> Self:
        """A copy whose steps take these per-call options (those of `WeftTask.using`)."""

    def enqueue(self, *args: Any, **kwargs: Any) -> WorkflowSubmission:
        """Start the workflow; `args` and `kwargs` go to its first step(s), before their own
        arguments (as Celery's `delay(...)` on a signature)."""
        return start_workflow(self, args, kwargs)

    def __or__(self, other: Canvas) -> Chain:
        if not isinstance(other, Canvas):
            return NotImplemented
        return chain(self, other)

    def __call__(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise CeleryNameRemoved(
            f"calling {self!r} does not run it: use .enqueue(...) to start the workflow "
            f"(see {_GUIDE})"
        )

    def __getattr__(self, attribute: str) -> NoReturn:
        replacement = _RENAMED.get(attribute)
        if replacement is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {attribute!r}")
        raise CeleryNameRemoved(
            f"{type(self).__name__} has no Celery {attribute!r}: use .{replacement} instead "
            f"(see {_GUIDE})"
        )


@dataclass(frozen=True, slots=True)
class Step(Canvas):
    """One partial call of one task (Celery's signature)."""

    task: WeftTask[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    immutable: bool = False
    options: Mapping[str, Any] = field(default_factory=dict)
    links: tuple[Canvas, ...] = ()
    errbacks: tuple[Step, ...] = ()

    def using(self, **options: Any) -> Step:
        """A copy with per-call options (`queue`, `countdown`, `priority`, ...)."""
        check_call_option_names(options)
        self.task.using(**{**self.options, **options})  # refuses bad values now
        return dataclasses.replace(self, options={**self.options, **options})

    def link(self, callback: Canvas) -> Step:
        """A copy that starts `callback` with this step's result when it succeeds."""
        return dataclasses.replace(self, links=(*self.links, _canvas(callback, "link")))

    def link_error(self, errback: Step) -> Step:
        """A copy that starts `errback` with this call's id when it fails (once)."""
        if not isinstance(errback, Step):
            raise InvalidCallArguments(
                f"link_error takes a step such as task.step(), not {errback!r}"
            )
        return dataclasses.replace(self, errbacks=(*self.errbacks, errback))

    def build(self, builder: Builder, options: dict[str, Any], incoming: Incoming) -> Piece:
        """One plan step (plus its callbacks and errbacks, which start only on their cue)."""
        task = (
            self.task.using(**{**options, **self.options}) if options or self.options else self.task
        )
        args: tuple[Any, ...] = self.args
        kwargs: dict[str, Any] = dict(self.kwargs)
        leading = 0
        if not self.immutable and incoming.given is not None:
            given_args, given_kwargs = incoming.given
            args = (*given_args, *args)
            kwargs = {**kwargs, **given_kwargs}
        elif not self.immutable and incoming.later:
            leading = 1
        prepared = prepare_call(task, args, kwargs, leading=leading)
        plan_step = PlanStep(
            task=task.name,
            envelope=prepared.envelope.to_json(),
            immutable=self.immutable or not incoming.later,
            countdown=task.options.countdown,
        )
        index = builder.add_step(plan_step, prepared)
        for callback in self.links:
            piece = callback.build(builder, {}, Incoming.LATER)
            for target in piece.entries:
                builder.connect(("step", index), target)
        for errback in self.errbacks:
            piece = errback.build(builder, {}, Incoming.LATER)
            plan_step.errbacks.extend(target[1] for target in piece.entries)
        return Piece([("step", index, 0)], ("step", index))

    def __repr__(self) -> str:
        parts = [repr(arg) for arg in self.args]
        parts += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        method = "fixed_step" if self.immutable else "step"
        return f"{self.task.name}.{method}({', '.join(parts)})"


@dataclass(frozen=True, slots=True)
class Chain(Canvas):
    """Steps run one after the other, each result passed on to the next."""

    parts: tuple[Canvas, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "chain"

    def using(self, **options: Any) -> Chain:
        """A copy whose steps take these per-call options."""
        check_call_option_names(options)
        return dataclasses.replace(self, options={**self.options, **options})

    def build(self, builder: Builder, options: dict[str, Any], incoming: Incoming) -> Piece:
        """Each part's end feeds the next part's entries."""
        merged = {**options, **self.options}
        first = self.parts[0].build(builder, merged, incoming)
        end = first.end
        for part in self.parts[1:]:
            piece = part.build(builder, _later_options(merged), Incoming.LATER)
            for target in piece.entries:
                builder.connect(end, target)
            end = piece.end
        return Piece(first.entries, end)

    def __or__(self, other: Canvas) -> Chain:
        if not isinstance(other, Canvas):
            return NotImplemented
        return chain(*self.parts, other) if not self.options else chain(self, other)

    def __repr__(self) -> str:
        return " | ".join(repr(part) for part in self.parts)


@dataclass(frozen=True, slots=True)
class Group(Canvas):
    """Members run in parallel; the group's result is their results, in order."""

    members: tuple[Canvas, ...]
    options: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "group"

    def using(self, **options: Any) -> Group:
        """A copy whose steps take these per-call options."""
        check_call_option_names(options)
        return dataclasses.replace(self, options={**self.options, **options})

    def build(self, builder: Builder, options: dict[str, Any], incoming: Incoming) -> Piece:
        """A join with one slot per member; an empty group resolves to `[]` at once."""
        merged = {**options, **self.options}
        join = builder.add_join(len(self.members))
        entries = []
        for slot, member in enumerate(self.members):
            piece = member.build(builder, merged, incoming)
            builder.connect(piece.end, ("slot", join, slot))
            entries.extend(piece.entries)
        if not self.members:
            entries.append(("join", join, 0))
        return Piece(entries, ("join", join))

    def __repr__(self) -> str:
        return f"group({', '.join(repr(member) for member in self.members)})"


@dataclass(frozen=True, slots=True)
class Chord(Canvas):
    """A group whose results, in order, go to one body call."""

    header: Group
    body: Canvas
    options: Mapping[str, Any] = field(default_factory=dict)
    kind: str = "chord"

    def using(self, **options: Any) -> Chord:
        """A copy whose steps take these per-call options."""
        check_call_option_names(options)
        return dataclasses.replace(self, options={**self.options, **options})

    def build(self, builder: Builder, options: dict[str, Any], incoming: Incoming) -> Piece:
        """The header's join feeds the body."""
        return Chain((self.header, self.body), self.options).build(builder, options, incoming)

    def __repr__(self) -> str:
        return f"chord({self.header!r}, {self.body!r})"


def chain(*parts: Canvas | Iterable[Canvas]) -> Chain:
    """Celery's `chain(a, b, ...)`: run the parts in order, each result to the next."""
    flat = _flatten(parts, "chain")
    if not flat:
        raise InvalidCallArguments("chain() needs at least one step, such as task.step(...)")
    return Chain(tuple(flat))


def group(*members: Canvas | Iterable[Canvas]) -> Group:
    """Celery's `group(a, b, ...)` or `group(iterable)`: run the members in parallel."""
    return Group(tuple(_flatten(members, "group")))


def chord(header: Group | Iterable[Canvas], body: Canvas | None = None) -> Chord:
    """Celery's `chord(header, body)`: run `body` once with the header's results in order."""
    if body is None:
        raise InvalidCallArguments(
            "chord(header) needs its body: write chord(header, body).enqueue() where Celery "
            f"had chord(header)(body) (see {_GUIDE})"
        )
    members = header if isinstance(header, Group) else group(header)
    return Chord(members, _canvas(body, "chord body"))


def _flatten(items: tuple[Canvas | Iterable[Canvas], ...], where: str) -> list[Canvas]:
    if len(items) == 1 and not isinstance(items[0], Canvas):
        items = tuple(items[0])
    return [_canvas(item, where) for item in items]


def _canvas(value: object, where: str) -> Canvas:
    if isinstance(value, Canvas):
        return value
    raise InvalidCallArguments(
        f"{where} takes steps such as task.step(...), chains, groups and chords, not {value!r:.100}"
    )


def _later_options(options: dict[str, Any]) -> dict[str, Any]:
    # A countdown or eta applies to the start of the workflow, not to every later step.
    return {key: value for key, value in options.items() if key not in ("countdown", "eta")}
