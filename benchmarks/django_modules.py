"""Whole Django modules of one app, generated: models, migrations, forms, serializers,
admin, URLs, views, services, management commands and tests.

Each writer takes ``inserts``, lines the Celery side wants placed inside the bodies
(a ``.delay``, a patch, a status read), and ``imports`` those lines need, so a view
module that dispatches a task is a view module first and a Celery one by a few lines.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.plain_code import FIELD_TYPES, FIELDS, STATES, Code, camel

Inserts = Sequence[Sequence[str]]
PRIMARY_KEY = (
    '("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, '
    'verbose_name="ID"))'
)
SUITES = ("Tests", "ViewTests", "APITests", "ServiceTests")
OUTCOMES = ("works", "fails", "is_idempotent", "skips_drafts", "needs_login")


def _module(docstring: str, imports: Sequence[str], body: Sequence[str]) -> str:
    header = [f'"""{docstring}"""', "", "from __future__ import annotations", ""]
    return "\n".join([*header, *dict.fromkeys(imports), *body]) + "\n"


def models_module(code: Code, app: str, models: Sequence[str]) -> str:
    rng = code.rng
    body: list[str] = []
    for model in models:
        body += ["", "", f"class {model}(models.Model):"]
        body += code.docstring("    ")
        if rng.random() < 0.5:
            body += ["", "    class Status(models.TextChoices):"]
            body += [f'        {state} = "{state.lower()}", "{state.title()}"' for state in STATES]
            body.append("")
        for field in dict.fromkeys(rng.choice(FIELDS) for _ in range(rng.randrange(4, 14))):
            kind = rng.choice(FIELD_TYPES).format(
                n=rng.choice((64, 128, 200, 255)),
                small=rng.randrange(10),
                model=rng.choice(models),
                related=f"{model.lower()}_{field}s",
                state=rng.choice(STATES),
            )
            if "Status." in kind and "class Status" not in "\n".join(body[-20:]):
                kind = "models.CharField(max_length=32, blank=True)"
            body.append(f"    {field} = {kind}")
        body += ["", "    class Meta:", f'        ordering = ["-{rng.choice(FIELDS)}"]']
        if rng.random() < 0.4:
            body.append(f'        verbose_name_plural = "{model.lower()}s"')
        body += ["", "    def __str__(self) -> str:", f'        return f"{model} {{self.pk}}"']
        for _ in range(rng.randrange(0, 4)):
            body += ["", *code.function(code.action(), ["self"], indent="    ", size=code.sized(4))]
    imports = [
        "import logging",
        "from datetime import timedelta",
        "",
        "from django.conf import settings",
        "from django.db import models, transaction",
        "from django.utils import timezone",
        "",
        "logger = logging.getLogger(__name__)",
    ]
    return _module(f"Models of {app}.", imports, body)


def migration_module(code: Code, app: str, number: int, models: Sequence[str]) -> str:
    rng = code.rng
    body = ["", "", "class Migration(migrations.Migration):"]
    depends = [f'("{app}", "{number - 1:04d}_auto")'] if number > 1 else []
    if rng.random() < 0.3:
        depends.append("migrations.swappable_dependency(settings.AUTH_USER_MODEL)")
    body += [
        "    dependencies = [",
        *(f"        {d}," for d in depends),
        "    ]",
        "",
        "    operations = [",
    ]
    for _ in range(rng.randrange(1, 6)):
        model = rng.choice(models)
        if rng.random() < 0.4:
            body += [
                "        migrations.CreateModel(",
                f'            name="{model}",',
                "            fields=[",
            ]
            body.append(f"                {PRIMARY_KEY},")
            for field in dict.fromkeys(rng.choice(FIELDS) for _ in range(rng.randrange(3, 12))):
                kind = rng.choice(FIELD_TYPES[:12]).format(
                    n=255, small=0, model="", related="", state=""
                )
                body.append(f'                ("{field}", {kind}),')
            body += [
                "            ],",
                f'            options={{"ordering": ["-{rng.choice(FIELDS)}"]}},',
                "        ),",
            ]
        else:
            operation = rng.choice(("AddField", "AlterField"))
            kind = rng.choice(FIELD_TYPES[:12]).format(
                n=128, small=1, model="", related="", state=""
            )
            body += [
                f"        migrations.{operation}(",
                f'            model_name="{model.lower()}",',
                f'            name="{rng.choice(FIELDS)}",',
                f"            field={kind},",
                "        ),",
            ]
    body.append("    ]")
    imports = ["from django.conf import settings", "from django.db import migrations, models"]
    return _module(f"Generated migration {number:04d} of {app}.", imports, body)


def forms_module(code: Code, app: str, models: Sequence[str]) -> str:
    rng = code.rng
    body: list[str] = []
    for model in rng.sample(list(models), k=min(len(models), rng.randrange(1, 5))):
        fields = ", ".join(f'"{f}"' for f in dict.fromkeys(rng.choice(FIELDS) for _ in range(4)))
        body += [
            "",
            "",
            f"class {model}Form(forms.ModelForm):",
            "    class Meta:",
            f"        model = {model}",
            f"        fields = [{fields}]",
        ]
        field = rng.choice(FIELDS)
        body += [
            "",
            f"    def clean_{field}(self) -> object:",
            f'        value = self.cleaned_data.get("{field}")',
        ]
        body += code.block("        ", ["value"], code.sized(3))
        body.append("        return value")
    imports = [
        "import logging",
        "",
        "from django import forms",
        "",
        f"from .models import {', '.join(models)}",
        "",
        "logger = logging.getLogger(__name__)",
    ]
    return _module(f"Forms of {app}.", imports, body)


def serializers_module(
    code: Code, app: str, models: Sequence[str], inserts: Inserts = (), imports: Sequence[str] = ()
) -> str:
    rng = code.rng
    body: list[str] = []
    chosen = rng.sample(list(models), k=min(len(models), rng.randrange(2, 7)))
    for position, model in enumerate(chosen):
        fields = ", ".join(f'"{f}"' for f in dict.fromkeys(rng.choice(FIELDS) for _ in range(5)))
        body += ["", "", f"class {model}Serializer(serializers.ModelSerializer):"]
        body.append(f"    {rng.choice(FIELDS)}_display = serializers.SerializerMethodField()")
        body += [
            "",
            "    class Meta:",
            f"        model = {model}",
            f"        fields = [{fields}]",
            f'        read_only_fields = ["{rng.choice(FIELDS)}"]',
        ]
        mine = inserts if position == 0 else ()
        body += [
            "",
            *code.function(
                "create",
                ["self", "validated_data"],
                indent="    ",
                size=code.sized(4),
                inserts=mine,
                annotated=False,
            ),
        ]
    imports = [
        "import logging",
        "from functools import partial",
        "",
        "from django.db import transaction",
        "from rest_framework import serializers",
        "",
        *imports,
        f"from .models import {', '.join(models)}",
        "",
        "logger = logging.getLogger(__name__)",
    ]
    return _module(f"API serializers of {app}.", imports, body)


def admin_module(
    code: Code, app: str, models: Sequence[str], inserts: Inserts = (), imports: Sequence[str] = ()
) -> str:
    rng = code.rng
    body: list[str] = []
    for position, model in enumerate(models):
        display = ", ".join(f'"{f}"' for f in dict.fromkeys(rng.choice(FIELDS) for _ in range(4)))
        body += ["", "", f"@admin.register({model})", f"class {model}Admin(admin.ModelAdmin):"]
        body += [
            f"    list_display = ({display},)",
            f'    search_fields = ("{rng.choice(FIELDS)}",)',
        ]
        if rng.random() < 0.5 or (inserts and position == 0):
            action = code.action()
            body += ["", f'    @admin.action(description="{code.text(3).capitalize()}")']
            mine = inserts if position == 0 else ()
            body += code.function(
                action,
                ["self", "request", "queryset"],
                indent="    ",
                size=code.sized(3),
                inserts=mine,
                annotated=False,
            )
    header = ["from django.contrib import admin", "from django.db import transaction", "", *imports]
    return _module(f"Admin of {app}.", [*header, f"from .models import {', '.join(models)}"], body)


def urls_module(app: str, views: Sequence[str]) -> str:
    body = ["", f'app_name = "{app}"', "", "urlpatterns = ["]
    body += [
        f'    path("{view.replace("_", "-")}/<int:pk>/", views.{view}, name="{view}"),'
        for view in views
    ]
    body.append("]")
    return _module(
        f"URLs of {app}.", ["from django.urls import path", "", "from . import views"], body
    )


def apps_module(app: str) -> str:
    body = [
        "",
        "",
        f"class {camel(app)}Config(AppConfig):",
        '    default_auto_field = "django.db.models.BigAutoField"',
    ]
    body += [
        f'    name = "apps.{app}"',
        "",
        "    def ready(self) -> None:",
        "        from . import signals  # noqa: F401",
    ]
    return _module(f"The {app} application.", ["from django.apps import AppConfig"], body)


def views_module(
    code: Code,
    app: str,
    models: Sequence[str],
    count: int,
    inserts: Inserts = (),
    imports: Sequence[str] = (),
) -> tuple[str, list[str]]:
    """The module, and the names of its function views."""
    rng = code.rng
    spread: list[list[Sequence[str]]] = [[] for _ in range(count)]
    for insert in inserts:
        spread[rng.randrange(count)].append(insert)
    body: list[str] = []
    names: list[str] = []
    for number in range(count):
        model = rng.choice(models)
        if rng.random() < 0.6:
            name = (
                f"{code.action()}_view"
                if rng.random() < 0.7
                else f"{model.lower()}_{rng.choice(('detail', 'list', 'update', 'status'))}"
            )
            name = name if name not in names else f"{name}_{number}"
            names.append(name)
            decorators = rng.sample(
                ["login_required", 'require_http_methods(["GET", "POST"])', "csrf_exempt"],
                k=rng.randrange(0, 3),
            )
            lead = [f"{model.lower()} = get_object_or_404({model}, pk=pk)"]
            body += [
                "",
                "",
                *code.function(
                    name,
                    ["request", "pk"],
                    size=code.sized(8),
                    decorators=decorators,
                    inserts=[lead, *spread[number]],
                    annotated=False,
                ),
            ]
        else:
            base = rng.choice(
                (
                    "APIView",
                    "generics.ListCreateAPIView",
                    "LoginRequiredMixin, View",
                    "viewsets.ModelViewSet",
                )
            )
            kind = rng.choice(("View", "ViewSet", "ListView", "DetailView", "ActionView"))
            klass = f"{model}{kind}{number}"
            methods = [
                f"    queryset = {model}.objects.all()",
                "    permission_classes = [IsAuthenticated]",
            ]
            lines = code.klass(klass, base, rng.randrange(1, 4), inserts=spread[number])
            body += ["", "", lines[0], *methods, *lines[1:]]
    base_imports = [
        "import logging",
        "from datetime import timedelta",
        "",
        "from django.conf import settings",
        "from django.contrib.auth.decorators import login_required",
        "from django.contrib.auth.mixins import LoginRequiredMixin",
        "from django.db import transaction",
        "from django.http import JsonResponse",
        "from django.shortcuts import get_object_or_404, render",
        "from django.utils import timezone",
        "from django.views import View",
        "from django.views.decorators.csrf import csrf_exempt",
        "from django.views.decorators.http import require_http_methods",
        "from rest_framework import generics, viewsets",
        "from rest_framework.permissions import IsAuthenticated",
        "from rest_framework.views import APIView",
        "",
        *imports,
        f"from .models import {', '.join(models)}",
        "",
        "logger = logging.getLogger(__name__)",
    ]
    return _module(f"Views of {app}.", base_imports, body), names


def plain_module(
    code: Code, docstring: str, functions: int, inserts: Inserts = (), imports: Sequence[str] = ()
) -> str:
    """Services, selectors, utilities: functions, now and then a class."""
    rng = code.rng
    body = code.helpers(functions, inserts)
    if rng.random() < 0.3:
        body += ["", "", *code.klass(code.model() + "Service", "object", rng.randrange(1, 5))]
    header = [
        "import logging",
        "from datetime import timedelta",
        "",
        "from django.conf import settings",
        "from django.db import transaction",
        "from django.utils import timezone",
        "",
    ]
    return _module(docstring, [*header, *imports, "", "logger = logging.getLogger(__name__)"], body)


def command_module(code: Code, app: str, inserts: Inserts = (), imports: Sequence[str] = ()) -> str:
    rng = code.rng
    body = ["", "", "class Command(BaseCommand):", f'    help = "{code.text(5).capitalize()}"', ""]
    body += [
        "    def add_arguments(self, parser) -> None:",
        '        parser.add_argument("--dry-run", action="store_true")',
    ]
    body += [
        f'        parser.add_argument("--limit", type=int, default={rng.randrange(10, 1000)})',
        "",
    ]
    body += code.function(
        "handle",
        ["self", "*args", "**options"],
        indent="    ",
        size=code.sized(8),
        inserts=inserts,
        annotated=False,
    )
    header = [
        "import logging",
        "from datetime import timedelta",
        "",
        "from django.core.management.base import BaseCommand",
        "from django.db import transaction",
        "from django.utils import timezone",
        "",
    ]
    return _module(
        f"A management command of {app}.",
        [*header, *imports, "", "logger = logging.getLogger(__name__)"],
        body,
    )


def suite_module(
    code: Code,
    app: str,
    models: Sequence[str],
    cases: Sequence[tuple[Sequence[str], Inserts]],
    imports: Sequence[str] = (),
) -> str:
    """Test cases: for each, the class decorators and the inserts its tests hold."""
    rng = code.rng
    body: list[str] = []
    for number, (decorators, inserts) in enumerate(cases):
        model = rng.choice(models)
        body += [
            "",
            "",
            *(f"@{d}" for d in decorators),
            f"class {model}{rng.choice(SUITES)}{number}(TestCase):",
        ]
        body += [
            "    def setUp(self) -> None:",
            f'        self.user = User.objects.create_user("user{number}", password="x")',
        ]
        created = f"{model}.objects.create({rng.choice(FIELDS)}={code.expr([], 1)})"
        body += [f"        self.{model.lower()} = {created}"]
        tests = max(1, rng.randrange(2, 9))
        spread: list[list[Sequence[str]]] = [[] for _ in range(tests)]
        for insert in inserts:
            spread[rng.randrange(tests)].append(insert)
        for test in range(tests):
            name = f"test_{code.action()}_{rng.choice(OUTCOMES)}"
            url = f'reverse("{app}:{code.action()}_view", args=[self.{model.lower()}.pk])'
            lines = [f"response = self.client.get({url})"]
            lines += [f"self.assertEqual(response.status_code, {rng.choice((200, 302, 403, 404))})"]
            own = [line for insert in spread[test] for line in insert]
            mocks = [line for line in own if line.startswith("@")]
            rest = [line for line in own if not line.startswith("@")]
            params = ["self", *(f"mock_{i}" for i in range(len(mocks)))]
            body += [
                "",
                *(f"    {m}" for m in mocks),
                f"    def {name}({', '.join(params)}) -> None:",
            ]
            body += code.block(
                "        ",
                ["self", "response"],
                code.sized(3),
                inserts=[lines, rest] if rest else [lines],
            )
    header = [
        "from datetime import timedelta",
        "from unittest import mock",
        "",
        "from django.contrib.auth import get_user_model",
        "from django.test import TestCase, override_settings",
        "from django.urls import reverse",
        "from django.utils import timezone",
        "",
        *imports,
        f"from apps.{app}.models import {', '.join(models)}",
        "",
        "User = get_user_model()",
    ]
    return _module(f"Tests of {app}.", header, body)
