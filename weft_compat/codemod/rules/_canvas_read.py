"""Reading one canvas expression: its kind and rewrite steps, or why it stays Celery's.

The reading follows Celery's meaning node by node: ``task.s(...)`` and ``task.si(...)``
on a known weft task are steps, ``chain``/``group``/``chord`` take steps, lists of them
and other workflows, ``a | b`` chains, ``.set(...)`` takes only options ``.using(...)``
accepts, and a dispatch (``.delay``, ``.apply_async``, calling a chain, group or chord,
``chord(header)(body)``) starts the workflow. Names are read through ``lookup``, which
knows the local names the flow follows. The first thing that has no counterpart with
the same meaning stops the reading (``CanvasFailed``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import libcst as cst

from weft_compat.codemod.context import FileContext
from weft_compat.codemod.rules._canvas_options import call_options, positions
from weft_compat.codemod.rules._canvas_shapes import (
    CANVAS,
    CHAIN,
    CHORD,
    FAR,
    GROUP,
    NO_SPELLING,
    OPTIONS,
    RECEIVERS,
    STEP,
    Action,
    Apply,
    ChordStart,
    Primitive,
    Reassign,
    Rename,
    Restore,
    Signature,
    Start,
    fail,
    label,
    merge,
)
from weft_compat.codemod.rules._canvas_tree import Tree, primitive
from weft_compat.codemod.rules._shared import (
    keyword_name,
    method_call,
)
from weft_compat.codemod.shapes import IGNORED_CONSTRUCTOR_KEYWORDS

PARTS = "parts"
HANDLE = "handle"
# A name the flow follows: what it holds (a canvas kind, PARTS or HANDLE).
Lookup = Callable[[cst.Name], str | None]

_CHAIN, _GROUP, _CHORD = "celery.chain", "celery.group", "celery.chord"
_WORKFLOWS = {_CHAIN: CHAIN, _GROUP: GROUP, _CHORD: CHORD}
_NO_SPELLING = {
    "celery.chunks": "chunks(...) splits a task's calls into chunks, which weft_compat's "
    "canvas has no counterpart for; build a group of steps over the slices",
    "celery.signature": "signature(...) builds a signature by task name; write "
    "task.step(...) on the task itself",
    "celery.Signature": "Signature(...) builds a signature by task name; write "
    "task.step(...) on the task itself",
    "celery.maybe_signature": "maybe_signature(...) turns a dict into a signature, which "
    "weft_compat's canvas has no counterpart for",
    "celery.xmap": "xmap(...) maps a task over an iterable in one message; write a group of "
    "steps, group(task.step(x) for x in items)",
    "celery.xstarmap": "xstarmap(...) maps a task over an iterable in one message; write a "
    "group of steps, group(task.step(*x) for x in items)",
    "celery.result.GroupResult": "GroupResult(...) builds a handle from result ids; rebuild a "
    "workflow's handle with WorkflowSubmission.from_id(id)",
    "celery.result.ResultSet": "ResultSet(...) gathers result handles, which weft_compat has "
    "no counterpart for; keep a list of handles",
}
_TASK_ONLY = {
    "map": "{task}.map(...) (Celery's xmap) runs the task over an iterable in one message; "
    "write group({task}.step(x) for x in items)",
    "starmap": "{task}.starmap(...) (Celery's xstarmap) runs the task over an iterable in one "
    "message; write group({task}.step(*x) for x in items)",
    "chunks": "{task}.chunks(...) splits the task's calls into chunks, which weft_compat's "
    "canvas has no counterpart for; build a group of steps over the slices",
}
_METHODS = {
    "clone": "canvas values are immutable on weft_compat; .using(...) returns a changed copy",
    "freeze": "a workflow's ids exist once it is enqueued (WorkflowSubmission.steps)",
    "apply": "it runs the workflow inline under Celery; enqueue it inside "
    "weft_compat.testing.immediate() instead",
    "replace": "weft_compat has no self.replace(...)",
}
_LINKS = ("link", "link_error")
_DISPATCH = ("delay", "apply_async")


class Reader:
    """Reads canvas expressions of one module, collecting rewrite steps and the names read."""

    def __init__(self, context: FileContext, tree: Tree, lookup: Lookup) -> None:
        self.context = context
        self.tree = tree
        self.lookup = lookup
        self.actions: dict[int, Action] = {}
        # Names read as a canvas value or a list of them, and the primitives' callees.
        self.reads: list[cst.Name] = []
        self.callees: list[tuple[cst.Call, str]] = []

    def act(self, node: cst.CSTNode, action: Action) -> None:
        self.actions[id(node)] = action

    # Values.

    def canvas(self, node: cst.BaseExpression) -> str:
        """The kind of the canvas value ``node`` builds."""
        if isinstance(node, cst.Name):
            held = self.name(node)
            if held == PARTS:
                raise fail(
                    node,
                    f"{node.value!r} holds a list of steps, not one: pass it to group(...) or "
                    "chain(...)",
                    FAR,
                )
            return held
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            left = self.canvas(node.left)
            self.canvas(node.right)
            return CHORD if left in (GROUP, CHORD) else CHAIN
        if isinstance(node, cst.IfExp):
            return merge([self.canvas(node.body), self.canvas(node.orelse)])
        if isinstance(node, cst.Call):
            return self.call(node)
        raise fail(node, f"{label(node)} is not a signature, chain, group or chord", FAR)

    def name(self, node: cst.Name) -> str:
        held = self.lookup(node)
        if held is None or held == HANDLE:
            raise fail(
                node,
                f"{node.value!r} holds canvas built where this rule does not follow it (a "
                "parameter, a name of the module, or a value from another function)",
                FAR,
            )
        self.reads.append(node)
        return held

    def parts(self, node: cst.BaseExpression) -> None:
        """Read a list of canvas values: a literal, a comprehension or a name holding one."""
        if isinstance(node, cst.List | cst.Tuple):
            for element in node.elements:
                if isinstance(element, cst.StarredElement):
                    self.parts(element.value)
                else:
                    self.canvas(element.value)
        elif isinstance(node, cst.GeneratorExp | cst.ListComp):
            self.canvas(node.elt)
        elif isinstance(node, cst.Name) and self.lookup(node) == PARTS:
            self.reads.append(node)
        else:
            raise fail(node, f"{label(node)} is not a list of steps this rule can read", FAR)

    def listish(self, node: cst.BaseExpression) -> bool:
        """Whether ``node`` is a list of canvas values rather than one."""
        if isinstance(node, cst.List | cst.Tuple | cst.GeneratorExp | cst.ListComp):
            return True
        return isinstance(node, cst.Name) and self.lookup(node) == PARTS

    def call(self, node: cst.Call) -> str:
        qualified = primitive(self.context, node.func)
        if qualified in _WORKFLOWS:
            return self.workflow(node, qualified)
        if qualified is not None:
            reason = _NO_SPELLING.get(qualified, "it has no weft_compat counterpart")
            raise fail(node, reason, NO_SPELLING)
        method = method_call(node)
        if method is None:
            if isinstance(node.func, cst.Call):
                raise fail(node, f"{label(node)} starts a workflow: its value is a handle", FAR)
            raise fail(node, f"{label(node)} is not a signature, chain, group or chord", FAR)
        receiver, name = method
        if name in ("s", "si"):
            self.task(receiver, name)
            self.act(node, Rename("step" if name == "s" else "fixed_step"))
            return STEP
        if name in ("signature", "subtask"):
            self.task(receiver, name)
            self.signature(node)
            return STEP
        if name in _TASK_ONLY and id(receiver) in self.tree.tasks:
            raise fail(node, _TASK_ONLY[name].format(task=label(receiver)), NO_SPELLING)
        if name in ("set", "on_error"):
            return self.change(node, receiver, name)
        if name in _LINKS:
            raise fail(
                node,
                f"{label(node)} returns the callback under Celery, not the signature it "
                f"links; link it in a statement of its own (sig.{name}(...)) or through "
                f"apply_async({name}=...)",
                FAR,
            )
        if name in _DISPATCH:
            raise fail(node, f"{label(node)} starts a workflow: its value is a handle", FAR)
        if name in _METHODS:
            raise fail(
                node, f"{label(node)} has no weft_compat spelling: {_METHODS[name]}", NO_SPELLING
            )
        raise fail(node, f"{label(node)} is not a signature, chain, group or chord", FAR)

    def task(self, receiver: cst.BaseExpression, method: str) -> None:
        """Check that ``receiver.<method>(...)`` builds a signature of a known weft task."""
        if id(receiver) in self.tree.tasks:
            return
        name = label(receiver)
        kept = self.tree.kept.get(id(receiver))
        if kept is not None:
            raise fail(
                receiver,
                f"{name}.{method}(...) is a signature of {name}, which stays a Celery task "
                f"({kept}); it moves with its decorator",
                RECEIVERS,
            )
        raise fail(
            receiver,
            f"{name}.{method}(...) looks like a Celery signature, but {name!r} is not a task "
            f"the codemod found; if it is one, write {name}.step(...) by hand",
            RECEIVERS,
        )

    def signature(self, node: cst.Call) -> None:
        """``task.signature(args, kwargs, immutable=..., **options)``."""
        slots: dict[str, int] = {}
        rest: list[cst.Arg] = []
        immutable = False
        positional = 0
        for position, arg in enumerate(node.args):
            keyword = keyword_name(arg)
            if arg.star:
                raise fail(
                    arg,
                    f"{label(node)} is given arguments with * or **, which cannot be read",
                    OPTIONS,
                )
            if keyword is None:
                if positional >= 2:
                    raise fail(
                        arg, f"{label(node)} is given options by position; name them", OPTIONS
                    )
                slots[("args", "kwargs")[positional]] = position
                positional += 1
            elif keyword in ("args", "kwargs"):
                slots[keyword] = position
            elif keyword == "immutable":
                value = arg.value
                if not (isinstance(value, cst.Name) and value.value in ("True", "False")):
                    raise fail(arg, f"{label(node)} is given a computed immutable=", OPTIONS)
                immutable = value.value == "True"  # the method says it
            else:
                rest.append(arg)
        kept = call_options(rest, label(node))
        method = "fixed_step" if immutable else "step"
        options = positions(node.args, kept)
        self.act(node, Signature(method, slots.get("args"), slots.get("kwargs"), options))

    def change(self, node: cst.Call, receiver: cst.BaseExpression, method: str) -> str:
        """``x.set(**options)`` and ``x.on_error(errback)`` on a value built right here."""
        bottom = receiver
        while isinstance(bottom, cst.Call) and (
            (inner := method_call(bottom)) is not None and inner[1] in ("set", "on_error")
        ):
            bottom = inner[0]
        if isinstance(bottom, cst.Name):
            raise fail(
                node,
                f"{label(node)} changes {bottom.value!r} in place under Celery, which the "
                f"rest of the function would see; write {bottom.value}.{method}(...) as a "
                "statement of its own",
                FAR,
            )
        kind = self.canvas(receiver)
        if method == "on_error":
            self.errback(node, kind)
            self.act(node, Rename("link_error"))
            return kind
        kept = self.set_options(node)
        dropped = tuple(at for at in range(len(node.args)) if at not in kept)
        self.act(node, Rename("using", dropped, unwrap=True))
        return kind

    def set_options(self, node: cst.Call) -> tuple[int, ...]:
        """The positions of the options ``.set(...)`` keeps (``serializer="json"`` goes)."""
        for arg in node.args:
            if keyword_name(arg) == "immutable":
                raise fail(
                    arg,
                    f"{label(node)} sets immutable=, which weft_compat spells by the method: "
                    "task.fixed_step(...) (Celery's si) or task.step(...)",
                    NO_SPELLING,
                )
        return positions(node.args, call_options(node.args, label(node)))

    def errback(self, node: cst.Call, kind: str) -> None:
        """Check ``x.on_error(errback)`` / ``x.link_error(errback)``: a step on a step."""
        if kind != STEP:
            raise fail(
                node,
                f"{label(node)} adds an error callback to a {kind}; weft_compat's "
                "link_error(...) is a step's: put it on the step that may fail",
                OPTIONS,
            )
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            raise fail(node, f"{label(node)} takes one errback here", OPTIONS)
        self.errback_step(node, node.args[0].value)

    def errback_step(self, node: cst.Call, errback: cst.BaseExpression) -> None:
        """Check that an errback is a step Celery would call with the failed task's id.

        Celery calls an errback whose task takes more than that (its ``(request, exc,
        traceback)`` form) in the worker with the failure itself, while weft_compat's
        errback is always a step of its own given the failed call's id.
        """
        if self.canvas(errback) != STEP:
            raise fail(
                errback,
                f"{label(node)} is given an errback that is not one step; weft_compat's "
                "link_error(...) takes a step such as task.step()",
                OPTIONS,
            )
        method = method_call(errback) if isinstance(errback, cst.Call) else None
        if method is not None and method[1] == "si":
            return  # immutable: it takes its own arguments only, in both
        signature = self.tree.tasks.get(id(method[0])) if method is not None else None
        if method is not None and method[1] == "s" and signature is not None:
            assert isinstance(errback, cst.Call)
            given = len(errback.args)
            if not any(arg.star or arg.keyword for arg in errback.args):
                left = len(signature.params) - given
                if left <= 1 and not signature.var_positional:
                    return
        raise fail(
            errback,
            f"{label(errback)} may take Celery's (request, exc, traceback) errback "
            "arguments, which weft_compat's link_error(...) does not pass (it passes the "
            "failed call's id); write the errback as a task of one parameter, or task.si()",
            OPTIONS,
        )

    def link(self, node: cst.Call, kind: str) -> None:
        """Check ``x.link(callback)``: a callback on a step."""
        if kind != STEP:
            raise fail(
                node,
                f"{label(node)} links a callback to a {kind}; weft_compat's link(...) is a "
                "step's: chain the callback after it, or link it to the last step",
                OPTIONS,
            )
        if len(node.args) != 1 or node.args[0].keyword is not None or node.args[0].star:
            raise fail(node, f"{label(node)} takes one callback here", OPTIONS)
        self.canvas(node.args[0].value)

    def workflow(self, node: cst.Call, qualified: str, body: cst.Arg | None = None) -> str:
        """``chain(...)``, ``group(...)``, ``chord(header, body)``; for
        ``chord(header)(body)``, ``body`` is the outer call's argument."""
        name = _WORKFLOWS[qualified]
        self.callees.append((node, name))
        if name == CHORD:
            self.chord(node, body)
            return CHORD
        if not node.args:
            raise fail(
                node, f"{label(node)} is empty; an empty workflow has nothing to run", NO_SPELLING
            )
        for arg in node.args:
            if arg.keyword is not None or arg.star == "**":
                raise fail(
                    arg,
                    f"{label(node)} is given options (or the app) as keywords; give them to "
                    ".using(...) on the result, or drop app=",
                    OPTIONS,
                )
        only = node.args[0]
        if len(node.args) == 1 and not only.star and self.listish(only.value):
            self.parts(only.value)
            return name
        for arg in node.args:
            if arg.star:
                self.parts(arg.value)
                continue
            kind = self.canvas(arg.value)
            if name == GROUP and kind == GROUP and len(node.args) == 1:
                raise fail(
                    arg,
                    f"{label(node)} of one group takes that group's members under Celery, "
                    "where weft_compat's would nest it; pass the group itself",
                    NO_SPELLING,
                )
        return name

    def chord(self, node: cst.Call, outer_body: cst.Arg | None) -> None:
        header: cst.BaseExpression | None = None
        body: cst.BaseExpression | None = outer_body.value if outer_body is not None else None
        for position, arg in enumerate(node.args):
            keyword = keyword_name(arg)
            if arg.star:
                raise fail(arg, f"{label(node)} is given arguments with *", OPTIONS)
            slot = keyword if keyword is not None else ("header", "body")[min(position, 1)]
            if slot == "header" and header is None:
                header = arg.value
            elif slot == "body" and body is None and position <= 1:
                body = arg.value
            else:
                raise fail(
                    arg,
                    f"{label(node)} is given {keyword or 'an argument'}= beyond its header "
                    "and body; weft_compat's chord(header, body) takes those two",
                    OPTIONS,
                )
        if header is None:
            raise fail(node, f"{label(node)} has no header", OPTIONS)
        if body is None:
            raise fail(
                node,
                f"{label(node)} has no body here; weft_compat writes chord(header, body)",
                FAR,
            )
        if self.listish(header):
            self.parts(header)
        elif self.canvas(header) != GROUP:
            raise fail(
                header,
                f"the header of {label(node)} is not a group or a list of steps",
                NO_SPELLING,
            )
        self.canvas(body)

    # Dispatches.

    def dispatch(self, node: cst.Call) -> str:
        """The kind of the workflow ``node`` starts."""
        method = method_call(node)
        if method is not None and method[1] == "delay":
            kind = self.canvas(method[0])
            self.act(node, Rename("enqueue"))
            return kind
        if method is not None and method[1] == "apply_async":
            return self.apply_async(node, method[0])
        func = node.func
        if (
            isinstance(func, cst.Call)
            and primitive(self.context, func.func) == _CHORD
            and len(func.args) == 1
            and keyword_name(func.args[0]) in (None, "header")
        ):
            return self.chord_call(node, func)  # chord(header)(body)
        kind = self.canvas(func)
        if kind == STEP:
            raise fail(
                node,
                f"calling {label(func)} runs the task here, in this process, under Celery; "
                "call the task itself, or .enqueue() the step to run it on Weft",
                NO_SPELLING,
            )
        if kind == CANVAS:
            raise fail(
                node,
                f"calling {label(func)} means different things for a chain, a group and a "
                "chord under Celery, and it may hold any of them here",
                NO_SPELLING,
            )
        options: tuple[int, ...] = ()
        dropped: tuple[int, ...] = ()
        if kind in (GROUP, CHORD):
            # A group's and a chord's keywords are call options; a chain's go to its
            # first step, as the positional arguments do (a chord's would be its body).
            keywords = [arg for arg in node.args if arg.keyword is not None or arg.star]
            if kind == CHORD and len(keywords) < len(node.args):
                raise fail(
                    node,
                    f"{label(node)} is given a body when it has one; Celery runs that body instead",
                    NO_SPELLING,
                )
            options = positions(node.args, call_options(keywords, label(node)))
            dropped = tuple(at for at in positions(node.args, keywords) if at not in options)
        self.act(node, Start(options, dropped))
        return kind

    def chord_call(self, node: cst.Call, inner: cst.Call) -> str:
        """``chord(header)(body, **options)``: Celery's chord started with its body."""
        positional = [arg for arg in node.args if arg.keyword is None and not arg.star]
        body = [arg for arg in node.args if keyword_name(arg) == "body"]
        chosen = (positional + body)[:1]
        if len(positional) + len(body) != 1 or any(arg.star for arg in node.args):
            raise fail(
                node, f"{label(node)} is given its body in a way this rule cannot read", OPTIONS
            )
        self.workflow(inner, _CHORD, chosen[0])
        others = [arg for arg in node.args if arg is not chosen[0]]
        options = positions(node.args, call_options(others, label(node)))
        self.act(node, ChordStart(positions(node.args, chosen)[0], options))
        return CHORD

    def apply_async(self, node: cst.Call, receiver: cst.BaseExpression) -> str:
        """``x.apply_async(args, kwargs, link=..., link_error=..., **options)``."""
        on_task = id(receiver) in self.tree.tasks
        kind = STEP if on_task else self.canvas(receiver)
        slots: dict[str, int] = {}
        links: list[int] = []
        errbacks: list[int] = []
        rest: list[cst.Arg] = []
        positional = 0
        for position, arg in enumerate(node.args):
            keyword = keyword_name(arg)
            if arg.star:
                raise fail(
                    arg,
                    f"{label(node)} is given arguments with * or **, which cannot be read",
                    OPTIONS,
                )
            if keyword is None:
                if positional >= 2:
                    raise fail(
                        arg, f"{label(node)} is given options by position; name them", OPTIONS
                    )
                slots[("args", "kwargs")[positional]] = position
                positional += 1
            elif keyword in ("args", "kwargs"):
                slots[keyword] = position
            elif keyword in _LINKS:
                self.callbacks(node, arg, kind)
                (links if keyword == "link" else errbacks).append(position)
            else:
                rest.append(arg)
        options = positions(node.args, call_options(rest, label(node)))
        self.act(
            node,
            Apply(
                slots.get("args"),
                slots.get("kwargs"),
                tuple(links),
                tuple(errbacks),
                options,
                task=on_task,
            ),
        )
        return kind

    def callbacks(self, node: cst.Call, arg: cst.Arg, kind: str) -> None:
        """``link=`` / ``link_error=``: one step (or callback), or a list of them."""
        keyword = keyword_name(arg)
        if kind != STEP:
            raise fail(
                arg,
                f"{label(node)} is given {keyword}= on a {kind}; weft_compat links "
                "callbacks to one step: chain the callback after it instead",
                OPTIONS,
            )
        values: Sequence[cst.BaseExpression] = [arg.value]
        if isinstance(arg.value, cst.List | cst.Tuple):
            if any(isinstance(element, cst.StarredElement) for element in arg.value.elements):
                raise fail(arg, f"{label(node)} is given {keyword}= with *", OPTIONS)
            values = [element.value for element in arg.value.elements]
        for value in values:
            if keyword == "link_error":
                self.errback_step(node, value)
            else:
                self.canvas(value)

    def restore(self, node: cst.Call) -> None:
        """``GroupResult.restore(id)`` (``app=`` and ``backend=`` mean nothing on Weft)."""
        positional = [at for at, arg in enumerate(node.args) if arg.keyword is None]
        for arg in node.args:
            keyword = keyword_name(arg)
            if arg.star or (keyword is not None and keyword not in IGNORED_CONSTRUCTOR_KEYWORDS):
                raise fail(
                    node,
                    f"{label(node)} is given {keyword or 'arguments with *'}, which "
                    "WorkflowSubmission.from_id(id) has no counterpart for",
                    OPTIONS,
                )
        if len(positional) != 1:
            raise fail(node, f"{label(node)} is not given one workflow id", OPTIONS)
        self.act(node, Restore(positional[0]))

    def mutation(self, node: cst.Call, statement: cst.Expr) -> None:
        """The statement ``v.set(...)``, ``v.link(...)``, ``v.link_error(...)`` or
        ``v.on_error(...)`` on a name the flow follows: ``v = v.<weft method>(...)``."""
        method = method_call(node)
        assert method is not None  # as the flow found it
        receiver, name = method
        assert isinstance(receiver, cst.Name)
        kind = self.canvas(receiver)
        if name == "set":
            kept = self.set_options(node)
            if not kept:
                raise fail(node, f"{label(node)} sets nothing weft_compat keeps", OPTIONS)
            dropped = tuple(at for at in range(len(node.args)) if at not in kept)
            self.act(node, Rename("using", dropped))
        elif name == "link":
            self.link(node, kind)
        else:
            self.errback(node, kind)
            if name == "on_error":
                self.act(node, Rename("link_error"))
        self.act(statement, Reassign(receiver.value))


__all__ = ["CANVAS", "HANDLE", "PARTS", "Lookup", "Primitive", "Reader"]
