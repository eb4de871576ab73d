"""Ordinary Django application code, generated from a seed: the modules that never
mention Celery, and the bodies the Celery modules wrap their calls in.

``Code`` writes functions, classes, models, forms, serializers, admin, URL
configurations, migrations and test cases out of a small grammar of the statements
and expressions such code is made of (ORM queries, logging, dict literals, loops,
``try``/``except``, ``with transaction.atomic()``, f-strings, comprehensions), with
names drawn from a domain vocabulary, so no two modules are alike. Every text it
returns is Python that parses.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

NOUNS = (
    "order", "invoice", "customer", "shipment", "report", "document", "account", "payment",
    "subscription", "notification", "export", "upload", "thumbnail", "image", "video",
    "message", "ticket", "project", "event", "booking", "product", "stock", "warehouse",
    "course", "lesson", "submission", "grade", "profile", "team", "member", "comment",
    "article", "page", "feed", "campaign", "coupon", "refund", "transfer", "ledger",
    "contract", "survey", "response", "dataset", "job", "snapshot", "backup", "webhook",
    "device", "reading", "alert", "schedule", "slot", "listing", "review", "badge",
)  # fmt: skip
VERBS = (
    "send", "sync", "process", "generate", "refresh", "rebuild", "index", "cleanup",
    "expire", "notify", "import", "export", "compute", "update", "recalculate", "archive",
    "publish", "fetch", "render", "resize", "transcode", "charge", "refund", "reconcile",
    "validate", "assign", "close", "reopen", "merge", "purge", "warm", "score", "rank",
)  # fmt: skip
QUALIFIERS = (
    "daily", "weekly", "stale", "pending", "failed", "bulk", "single", "remote", "local",
    "monthly", "overdue", "active", "draft", "public", "internal", "batch", "partial",
)  # fmt: skip
FIELDS = (
    "name", "title", "status", "email", "amount", "total", "created_at", "updated_at",
    "owner", "slug", "description", "priority", "due_date", "is_active", "external_id",
    "quantity", "price", "currency", "notes", "score", "url", "path", "size", "checksum",
)  # fmt: skip
FIELD_TYPES = (
    'models.CharField(max_length={n}, blank=True)',
    'models.TextField(blank=True, default="")',
    "models.IntegerField(default=0)",
    "models.PositiveIntegerField(default={small})",
    "models.DecimalField(max_digits=12, decimal_places=2, default=0)",
    "models.BooleanField(default=False)",
    "models.DateTimeField(auto_now_add=True)",
    "models.DateTimeField(null=True, blank=True)",
    "models.EmailField(blank=True)",
    "models.SlugField(max_length={n}, unique=True)",
    "models.URLField(blank=True)",
    "models.JSONField(default=dict, blank=True)",
    'models.ForeignKey("{model}", on_delete=models.CASCADE, related_name="{related}")',
    'models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)',
    'models.CharField(max_length=32, choices=Status.choices, default=Status.{state})',
)  # fmt: skip
STATES = ("PENDING", "ACTIVE", "DONE", "FAILED", "ARCHIVED")
LOOKUPS = ("", "__in", "__lt", "__gte", "__isnull", "__icontains", "__date")
QUERYSET_TAILS = (
    ".first()", ".count()", ".exists()", '.order_by("-created_at")', ".select_related()",
    '.values_list("pk", flat=True)', "[:100]", ".distinct()", '.only("pk", "status")', "",
)  # fmt: skip
ATTRIBUTES = ("limit", "name", "class", "fields")
BUILTINS = ("len", "sorted", "list", "set", "sum", "max", "min", "str", "int", "bool")
LOG_LEVELS = ("debug", "info", "info", "warning", "error", "exception")
WORDS = (
    "could not", "skipping", "finished", "starting", "retrying", "missing", "invalid",
    "updated", "created", "removed", "for", "with", "after", "before", "items", "records",
)  # fmt: skip
COMMENTS = (
    "Keep the old behaviour until every client has upgraded.",
    "The API returns strings for numbers; normalise them first.",
    "Avoid a second query when the cache already has it.",
    "TODO: move this to the service layer.",
    "Order matters here: the signal handlers read the status.",
    "Legacy rows have no owner.",
    "Batch the writes so one slow row does not hold the lock.",
    "This is called from the admin as well.",
    "noqa: the import is used by the URL configuration.",
    "Deliberately broad: a failure here must not break the request.",
)  # fmt: skip
EXCEPTIONS = (
    "ValueError", "KeyError", "TypeError", "ObjectDoesNotExist", "IntegrityError",
    "requests.RequestException", "TimeoutError", "PermissionDenied", "ValidationError",
)  # fmt: skip


def camel(snake: str) -> str:
    """``order_item`` → ``OrderItem``."""
    return "".join(part.title() for part in snake.split("_"))


class Code:
    """A source of generated code; everything it writes follows from the seed."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    # Names ---------------------------------------------------------------------------

    def noun(self) -> str:
        return self.rng.choice(NOUNS)

    def action(self) -> str:
        """A function name such as ``refresh_stale_invoices``."""
        rng = self.rng
        parts = [rng.choice(VERBS)]
        if rng.random() < 0.4:
            parts.append(rng.choice(QUALIFIERS))
        parts.append(rng.choice(NOUNS) + ("s" if rng.random() < 0.4 else ""))
        return "_".join(parts)

    def model(self) -> str:
        rng = self.rng
        if rng.random() < 0.3:
            return camel(f"{rng.choice(NOUNS)}_{rng.choice(NOUNS)}")
        return camel(rng.choice(NOUNS))

    def text(self, words: int = 4) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(words))

    # Expressions ---------------------------------------------------------------------

    def query(self, names: Sequence[str]) -> str:
        rng = self.rng
        field = rng.choice(FIELDS) + rng.choice(LOOKUPS)
        value = rng.choice(names) if names and rng.random() < 0.6 else repr(rng.choice(STATES))
        method = rng.choice(("filter", "filter", "exclude", "get"))
        tail = "" if method == "get" else rng.choice(QUERYSET_TAILS)
        return f"{self.model()}.objects.{method}({field}={value}){tail}"

    def expr(self, names: Sequence[str], depth: int = 0) -> str:
        rng = self.rng
        name = rng.choice(names) if names else "None"
        pick = rng.randrange(15 if depth == 0 else 8)
        if pick == 0:
            return name
        if pick == 1:
            return f"{name}.{rng.choice(FIELDS)}"
        if pick == 2:
            return f"{rng.choice(BUILTINS)}({name})"
        if pick == 3:
            return str(rng.randrange(1000))
        if pick == 4:
            return repr(self.text(rng.randrange(1, 5)))
        if pick == 5:
            return f'{name}.get("{rng.choice(FIELDS)}", {rng.choice(("None", "0", "[]", '""'))})'
        if pick == 6:
            return f"{name} {rng.choice('+-*')} {rng.randrange(1, 60)}"
        if pick == 7:
            return f"settings.{rng.choice(NOUNS).upper()}_{rng.choice(FIELDS).upper()}"
        if pick == 8:
            return self.query(names)
        if pick == 9:
            unit = rng.choice(("days", "hours", "minutes"))
            return f"timezone.now() - timedelta({unit}={rng.randrange(1, 90)})"
        if pick == 10:
            field = rng.choice(FIELDS)
            return f"[item.{field} for item in {name} if item.{rng.choice(FIELDS)}]"
        if pick == 11:
            return f'f"{self.text(2)} {{{name}.{rng.choice(FIELDS)}}} {self.text(1)}"'
        if pick == 12:
            args = ", ".join(self.expr(names, depth + 1) for _ in range(rng.randrange(1, 4)))
            return f"{self.action()}({args})"
        if pick == 13:
            return f"{self.expr(names, depth + 1)} if {name} else {self.expr(names, depth + 1)}"
        pairs = ", ".join(
            f'"{rng.choice(FIELDS)}": {self.expr(names, depth + 1)}'
            for _ in range(rng.randrange(1, 4))
        )
        return "{" + pairs + "}"

    def condition(self, names: Sequence[str]) -> str:
        rng = self.rng
        name = rng.choice(names) if names else "None"
        pick = rng.randrange(6)
        if pick == 0:
            return f"not {name}"
        if pick == 1:
            state = rng.choice(STATES)
            value = f"Status.{state}" if rng.random() < 0.5 else repr(state.lower())
            return f"{name}.{rng.choice(FIELDS)} == {value}"
        if pick == 2:
            return f"{name} is None"
        if pick == 3:
            return f"len({name}) > {rng.randrange(1, 500)}"
        if pick == 4:
            return f"{name}.{rng.choice(FIELDS)} and not {rng.choice(names)}.{rng.choice(FIELDS)}"
        return f"isinstance({name}, {rng.choice(('dict', 'list', 'str', self.model()))})"

    # Statements ----------------------------------------------------------------------

    def block(
        self,
        indent: str,
        names: list[str],
        size: int,
        depth: int = 0,
        inserts: Sequence[Sequence[str]] = (),
    ) -> list[str]:
        """About ``size`` statements at ``indent``; ``inserts`` (lines written at no
        indentation) are placed among them."""
        rng = self.rng
        lines: list[str] = []
        slots = sorted(rng.randrange(size + 1) for _ in inserts)
        pending = list(zip(slots, inserts, strict=True))
        for position in range(size):
            while pending and pending[0][0] == position:
                lines += [indent + line if line else "" for line in pending.pop(0)[1]]
            lines += self.statement(indent, names, depth)
        for _, insert in pending:
            lines += [indent + line if line else "" for line in insert]
        return lines

    def statement(self, indent: str, names: list[str], depth: int) -> list[str]:
        rng = self.rng
        pick = rng.randrange(20 if depth < 2 else 11)
        inner = indent + "    "
        if pick <= 3:
            target = f"{self.noun()}{rng.choice(('', 's', '_count', '_id', '_data'))}"
            value = self.expr(names)
            names.append(target)
            return [f"{indent}{target} = {value}"]
        if pick == 4:
            level = rng.choice(LOG_LEVELS)
            args = (
                ", ".join(rng.choice(names) for _ in range(rng.randrange(1, 3))) if names else "0"
            )
            return [f'{indent}logger.{level}("{self.text(3)} %s", {args})']
        if pick == 5:
            name = rng.choice(names) if names else "self"
            fields = ", ".join(f'"{rng.choice(FIELDS)}"' for _ in range(rng.randrange(1, 4)))
            return [f"{indent}{name}.save(update_fields=[{fields}])"]
        if pick == 6:
            return [f"{indent}# {rng.choice(COMMENTS)}", *self.statement(indent, names, depth)]
        if pick == 7:
            target = f"{self.noun()}_map"
            names.append(target)
            items = [
                f'{inner}"{rng.choice(FIELDS)}": {self.expr(names, 1)},'
                for _ in range(rng.randrange(2, 7))
            ]
            return [f"{indent}{target} = {{", *items, f"{indent}}}"]
        if pick == 8:
            name = rng.choice(names) if names else "self"
            return [f"{indent}{name}.{rng.choice(FIELDS)} = {self.expr(names)}"]
        if pick == 9:
            target = f"{self.noun()}s"
            value = self.query(names)
            names.append(target)
            return [f"{indent}{target} = list(", f"{inner}{value}", f"{indent})"]
        if pick == 10:
            return [f"{indent}{self.action()}({', '.join(names[-2:])})"]
        if pick <= 13:
            lines = [
                f"{indent}if {self.condition(names)}:",
                *self.block(inner, names, rng.randrange(1, 4), depth + 1),
            ]
            if rng.random() < 0.3:
                lines += [
                    f"{indent}elif {self.condition(names)}:",
                    *self.block(inner, names, rng.randrange(1, 3), depth + 1),
                ]
            if rng.random() < 0.4:
                lines += [
                    f"{indent}else:",
                    *self.block(inner, names, rng.randrange(1, 3), depth + 1),
                ]
            return lines
        if pick <= 15:
            item = self.noun()
            source = rng.choice(names) if names else "[]"
            return [
                f"{indent}for {item} in {source}:",
                *self.block(inner, [*names, item], rng.randrange(1, 4), depth + 1),
            ]
        if pick == 16:
            error = rng.choice(EXCEPTIONS)
            handler = [f'{inner}logger.warning("{self.text(2)}: %s", exc)']
            handler.append(f"{inner}{rng.choice(('raise', 'return None', 'pass'))}")
            return [
                f"{indent}try:",
                *self.block(inner, names, rng.randrange(1, 4), depth + 1),
                f"{indent}except {error} as exc:",
                *handler,
            ]
        if pick == 17:
            return [
                f"{indent}with transaction.atomic():",
                *self.block(inner, names, rng.randrange(1, 4), depth + 1),
            ]
        if pick == 18:
            return [f"{indent}assert {self.condition(names)}, {self.text(3)!r}"]
        target = f"{self.noun()}_total"
        names.append(target)
        return [
            f"{indent}{target} = sum(",
            f"{inner}{self.expr(names, 1)}",
            f"{inner}for item in {rng.choice(names)}",
            f"{indent})",
        ]

    # Definitions ---------------------------------------------------------------------

    def docstring(self, indent: str) -> list[str]:
        rng = self.rng
        first = self.text(rng.randrange(3, 8)).capitalize() + "."
        if rng.random() < 0.6:
            return [f'{indent}"""{first}"""']
        return [f'{indent}"""{first}', "", f"{indent}{self.text(8).capitalize()}.", f'{indent}"""']

    def function(
        self,
        name: str,
        params: Sequence[str],
        *,
        indent: str = "",
        size: int = 8,
        decorators: Sequence[str] = (),
        inserts: Sequence[Sequence[str]] = (),
        annotated: bool = True,
    ) -> list[str]:
        """A function with a body of about ``size`` statements and a return."""
        rng = self.rng
        inner = indent + "    "
        signature = ", ".join(
            f"{param}: {rng.choice(('int', 'str', 'dict', 'list[int]', 'bool'))}"
            if annotated and param not in ("self", "cls", "request") and "=" not in param
            else param
            for param in params
        )
        returns = f" -> {rng.choice(('None', 'int', 'dict', 'bool', 'str'))}" if annotated else ""
        lines = [
            *(f"{indent}@{d}" for d in decorators),
            f"{indent}def {name}({signature}){returns}:",
        ]
        if rng.random() < 0.5:
            lines += self.docstring(inner)
        names = [p.lstrip("*").split("=")[0].split(":")[0] for p in params if p != "cls"]
        if not names:
            names.append(f"{self.noun()}_data")
            lines.append(f"{inner}{names[0]} = {{}}")
        lines += self.block(inner, names, size, inserts=inserts)
        lines.append(f"{inner}return {self.expr(names) if names else 'None'}")
        return lines

    def sized(self, mean: int) -> int:
        """A body size around ``mean``, with the long tail real functions have."""
        return max(1, min(60, int(self.rng.lognormvariate(0, 0.7) * mean)))

    def helpers(self, count: int, inserts: Sequence[Sequence[str]] = ()) -> list[str]:
        """Module-level functions, two blank lines apart; ``inserts`` go in their bodies."""
        rng = self.rng
        spread: list[list[Sequence[str]]] = [[] for _ in range(max(count, 1))]
        for insert in inserts:
            spread[rng.randrange(len(spread))].append(insert)
        lines: list[str] = []
        for number in range(max(count, 1)):
            params = [self.noun() for _ in range(rng.randrange(0, 4))]
            name = self.action() + ("" if rng.random() < 0.8 else f"_{number}")
            lines += [
                "",
                "",
                *self.function(
                    name, list(dict.fromkeys(params)), size=self.sized(7), inserts=spread[number]
                ),
            ]
        return lines

    def klass(
        self, name: str, bases: str, methods: int, inserts: Sequence[Sequence[str]] = ()
    ) -> list[str]:
        rng = self.rng
        lines = [f"class {name}({bases}):"]
        lines += self.docstring("    ")
        for _ in range(rng.randrange(0, 4)):
            lines.append(f"    {rng.choice(FIELDS)}_{rng.choice(ATTRIBUTES)} = {self.expr([], 1)}")
        spread: list[list[Sequence[str]]] = [[] for _ in range(max(methods, 1))]
        for insert in inserts:
            spread[rng.randrange(len(spread))].append(insert)
        for number in range(max(methods, 1)):
            params = ["self", *dict.fromkeys(self.noun() for _ in range(rng.randrange(0, 3)))]
            lines += [
                "",
                *self.function(
                    self.action(), params, indent="    ", size=self.sized(6), inserts=spread[number]
                ),
            ]
        return lines


HEADER_IMPORTS = (
    "import logging",
    "from datetime import timedelta",
    "from django.conf import settings",
    "from django.db import transaction",
    "from django.utils import timezone",
)
