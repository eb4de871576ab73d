"""WC116 installed_apps: "weft_compat.django" goes into the settings module's INSTALLED_APPS."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pytest

from tests.codemod.tools import ALL, check_flagged, check_noop, check_rewritten, migrate
from weft_compat.codemod.django_facts import WEFT_APP, WEFT_APPS
from weft_compat.codemod.report import FileOutcome, Status
from weft_compat.codemod.runner import run
from weft_compat.codemod.sources import might_use_celery

RULE = ("installed_apps",)
TASKS = {"proj.tasks": "from celery import shared_task\n\n@shared_task\ndef ping():\n    pass\n"}
SETTINGS = {"module": "proj.settings", "path": "proj/settings.py"}
APP_MODULE = {"module": "proj.celery", "path": "proj/celery.py"}
CELERY_APP = (
    "import os\n\nfrom celery import Celery\n\n"
    'os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n\n'
    'app = Celery("proj")\n'
    'app.config_from_object("django.conf:settings", namespace="CELERY")\n'
    "app.autodiscover_tasks()\n"
)


def added(
    before: str,
    after: str,
    modules: Mapping[str, str] = TASKS,
    where: Mapping[str, str] = SETTINGS,
) -> None:
    """``before`` becomes ``after`` with nothing reported, and a second run changes nothing."""
    outcome = check_rewritten(before, after, RULE, modules=modules, **where)
    assert outcome.findings == [], outcome.findings
    assert outcome.new_source is not None
    check_noop(outcome.new_source.decode(), RULE, modules=modules, **where)


def flagged(
    source: str, modules: Mapping[str, str] = TASKS, where: Mapping[str, str] = SETTINGS
) -> str:
    """``source`` is left as it is with one WC116 finding; its message."""
    outcome = check_flagged(source, ["WC116"], RULE, modules=modules, **where)
    assert outcome.status is Status.UNCHANGED, outcome.diff
    assert "weft_compat.django" in outcome.findings[0].message
    return outcome.findings[0].message


def test_the_app_spellings_are_weft_compat_s_django_app_and_its_config() -> None:
    from weft_compat.django.apps import WeftCompatConfig

    assert WeftCompatConfig.name == WEFT_APP
    assert f"{WeftCompatConfig.__module__}.{WeftCompatConfig.__name__}" in WEFT_APPS


# Layouts: the app goes last, quoted and laid out as the entries before it.


def test_a_list_one_entry_a_line_gets_a_line_of_its_own() -> None:
    added(
        """\
        INSTALLED_APPS = [
            "django.contrib.admin",
            # ours
            "orders.apps.OrdersConfig",  # the shop
        ]
        """,
        """\
        INSTALLED_APPS = [
            "django.contrib.admin",
            # ours
            "orders.apps.OrdersConfig",  # the shop
            "weft_compat.django",
        ]
        """,
    )


def test_a_list_without_a_trailing_comma_gets_none() -> None:
    added(
        "INSTALLED_APPS = [\n    'django.contrib.admin',\n    'orders'\n]\n",
        "INSTALLED_APPS = [\n    'django.contrib.admin',\n    'orders',\n"
        "    'weft_compat.django'\n]\n",
    )


def test_a_list_of_one_entry_a_line() -> None:
    added(
        "INSTALLED_APPS = [\n    'orders',\n]\n",
        "INSTALLED_APPS = [\n    'orders',\n    'weft_compat.django',\n]\n",
    )


def test_a_list_on_one_line_stays_on_one() -> None:
    added(
        "INSTALLED_APPS = ['django.contrib.admin', 'orders']\n",
        "INSTALLED_APPS = ['django.contrib.admin', 'orders', 'weft_compat.django']\n",
    )


def test_a_list_continued_under_its_first_entry() -> None:
    added(
        'INSTALLED_APPS = ["django.contrib.admin",\n                  "orders"]\n',
        'INSTALLED_APPS = ["django.contrib.admin",\n                  "orders",\n'
        '                  "weft_compat.django"]\n',
    )


def test_a_tuple_on_one_line() -> None:
    added(
        'INSTALLED_APPS = ("django.contrib.admin", "orders")\n',
        'INSTALLED_APPS = ("django.contrib.admin", "orders", "weft_compat.django")\n',
    )


def test_a_one_element_tuple_loses_the_comma_only_it_needed() -> None:
    added('INSTALLED_APPS = ("orders",)\n', 'INSTALLED_APPS = ("orders", "weft_compat.django")\n')


def test_a_tuple_one_entry_a_line() -> None:
    added(
        'INSTALLED_APPS = (\n    "django.contrib.admin",\n    "orders",\n)\n',
        'INSTALLED_APPS = (\n    "django.contrib.admin",\n    "orders",\n'
        '    "weft_compat.django",\n)\n',
    )


def test_a_tuple_without_parentheses() -> None:
    added('INSTALLED_APPS = "a", "b"\n', 'INSTALLED_APPS = "a", "b", "weft_compat.django"\n')


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ("INSTALLED_APPS = []\n", 'INSTALLED_APPS = ["weft_compat.django"]\n'),
        ("INSTALLED_APPS = ()\n", 'INSTALLED_APPS = ("weft_compat.django",)\n'),
    ],
)
def test_an_empty_list_or_tuple(before: str, after: str) -> None:
    added(before, after)


def test_an_annotated_assignment() -> None:
    added(
        "INSTALLED_APPS: list[str] = ['orders']\n",
        "INSTALLED_APPS: list[str] = ['orders', 'weft_compat.django']\n",
    )


def test_the_last_assignment_of_several_gets_it_and_additions_after_it_stay() -> None:
    added(
        "INSTALLED_APPS = ['a']\nINSTALLED_APPS = ['b']\n"
        "if DEBUG:\n    INSTALLED_APPS += ['debug_toolbar']\n",
        "INSTALLED_APPS = ['a']\nINSTALLED_APPS = ['b', 'weft_compat.django']\n"
        "if DEBUG:\n    INSTALLED_APPS += ['debug_toolbar']\n",
    )


def test_parts_added_together_the_last_part_gets_it() -> None:
    added(
        """\
        DJANGO_APPS = ["django.contrib.admin"]
        LOCAL_APPS = [
            "orders",
        ]
        INSTALLED_APPS = DJANGO_APPS + ["rest_framework"] + LOCAL_APPS
        """,
        """\
        DJANGO_APPS = ["django.contrib.admin"]
        LOCAL_APPS = [
            "orders",
            "weft_compat.django",
        ]
        INSTALLED_APPS = DJANGO_APPS + ["rest_framework"] + LOCAL_APPS
        """,
    )


def test_a_list_unpacking_lists_bound_above() -> None:
    added(
        "DJANGO_APPS = ('django.contrib.admin',)\nINSTALLED_APPS = [*DJANGO_APPS, 'orders']\n",
        "DJANGO_APPS = ('django.contrib.admin',)\n"
        "INSTALLED_APPS = [*DJANGO_APPS, 'orders', 'weft_compat.django']\n",
    )


def test_a_module_only_adding_to_the_one_it_star_imports() -> None:
    added(
        "from shared.settings import *\n\nINSTALLED_APPS += ['orders']\n",
        "from shared.settings import *\n\nINSTALLED_APPS += ['orders', 'weft_compat.django']\n",
    )


def test_with_every_rule_the_settings_of_a_celery_project() -> None:
    outcome = check_rewritten(
        'INSTALLED_APPS = [\n    "orders",\n]\n\nCELERY_TASK_ALWAYS_EAGER = True\n',
        'INSTALLED_APPS = [\n    "orders",\n    "weft_compat.django",\n]\n\n'
        "CELERY_TASK_ALWAYS_EAGER = True\n",
        ALL,
        modules={**TASKS, "proj.celery": CELERY_APP},
        **SETTINGS,
    )
    assert [finding.code for finding in outcome.findings] == ["WC301"]


# When: a Celery project; nothing when the app is listed already.


def test_nothing_without_a_celery_app_or_task() -> None:
    check_noop("INSTALLED_APPS = ['orders']\n", ALL, modules={}, **SETTINGS)


def test_a_celery_app_alone_is_enough() -> None:
    added(
        "INSTALLED_APPS = ['orders']\n",
        "INSTALLED_APPS = ['orders', 'weft_compat.django']\n",
        modules={"proj.celery": CELERY_APP},
    )


def test_tasks_already_on_weft_compat_are_enough() -> None:
    weft_tasks = {
        "proj.tasks": "from weft_compat import weft_task\n\n@weft_task\ndef f():\n    pass\n"
    }
    added(
        "INSTALLED_APPS = ['orders']\n",
        "INSTALLED_APPS = ['orders', 'weft_compat.django']\n",
        modules=weft_tasks,
    )


@pytest.mark.parametrize(
    "source",
    [
        "INSTALLED_APPS = ['orders', 'weft_compat.django']\n",
        "INSTALLED_APPS = ('weft_compat.django.apps.WeftCompatConfig', 'orders')\n",
        "THIRD = ['weft_compat.django']\nINSTALLED_APPS = ['orders'] + THIRD\n",
        "INSTALLED_APPS = ['orders']\nINSTALLED_APPS += ['weft_compat.django']\n",
        "INSTALLED_APPS = ['orders']\nif True:\n    INSTALLED_APPS.append('weft_compat.django')\n",
    ],
)
def test_nothing_when_the_app_is_listed_already(source: str) -> None:
    check_noop(source, RULE, modules=TASKS, **SETTINGS)


def test_nothing_when_a_module_joined_by_star_imports_lists_it() -> None:
    dev = {
        **TASKS,
        "proj.settings.dev": "from .base import *\nINSTALLED_APPS += ['weft_compat.django']\n",
    }
    where = {"module": "proj.settings.base", "path": "proj/settings/base.py"}
    check_noop("INSTALLED_APPS = ['orders']\n", RULE, modules=dev, **where)


# Which settings module.

BASE = {"module": "proj.settings.base", "path": "proj/settings/base.py"}
SPLIT = {
    **TASKS,
    "proj.settings": "",
    "proj.settings.dev": "from .base import *\n\nINSTALLED_APPS += ['debug_toolbar']\n",
    "proj.settings.prod": "from .base import *\n\nDEBUG = False\n",
}


def test_split_settings_the_base_the_others_star_import_gets_it() -> None:
    added("INSTALLED_APPS = ['orders']\n", "INSTALLED_APPS = ['orders', 'weft_compat.django']\n",
          modules=SPLIT, where=BASE)  # fmt: skip
    dev = {"module": "proj.settings.dev", "path": "proj/settings/dev.py"}
    others = {**SPLIT, BASE["module"]: "INSTALLED_APPS = ['orders']\n"}
    check_noop(SPLIT[dev["module"]], RULE, modules=others, **dev)


def test_the_module_django_settings_module_names_gets_it_not_another() -> None:
    named = {"proj.celery": CELERY_APP, **TASKS, "tests.settings": "INSTALLED_APPS = ['orders']\n"}
    added("INSTALLED_APPS = ['orders']\n", "INSTALLED_APPS = ['orders', 'weft_compat.django']\n",
          modules=named)  # fmt: skip
    message = flagged(
        "INSTALLED_APPS = ['orders']\n",
        modules={**named, "proj.settings": "INSTALLED_APPS = ['orders']\n"},
        where={"module": "tests.settings", "path": "tests/settings.py"},
    )
    assert message.startswith('"weft_compat.django" goes into the INSTALLED_APPS of proj.settings')


def test_a_named_package_leads_to_the_module_it_star_imports_installed_apps_from() -> None:
    named = {
        **TASKS,
        "proj.celery": CELERY_APP,
        "proj.settings": "from .base import *\nfrom .local import *\n",
        "proj.settings.local": "DEBUG = True\n",
    }
    added("INSTALLED_APPS = ['orders']\n", "INSTALLED_APPS = ['orders', 'weft_compat.django']\n",
          modules=named, where=BASE)  # fmt: skip


def test_a_module_replacing_the_base_s_list_is_reported() -> None:
    test_settings = {"module": "proj.settings.test", "path": "proj/settings/test.py"}
    message = flagged(
        "from .base import *\n\nINSTALLED_APPS = ['orders']\n",
        modules={**SPLIT, BASE["module"]: "INSTALLED_APPS = ['orders', 'debug_toolbar']\n"},
        where=test_settings,
    )
    assert "replaces the one star-imported from proj.settings.base" in message


def test_several_unrelated_settings_modules_are_each_reported() -> None:
    others = {**TASKS, "other.settings": "INSTALLED_APPS = ['b']\n"}
    message = flagged("INSTALLED_APPS = ['a']\n", modules=others)
    assert "several modules bind INSTALLED_APPS (other.settings, proj.settings)" in message


# Reported: what the rule cannot add to.


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("INSTALLED_APPS = get_apps()\n", "is built by get_apps()"),
        ("INSTALLED_APPS = [app for app in APPS]\n", "is built by [app for app in APPS]"),
        (
            "from .apps import DJANGO_APPS\n\nINSTALLED_APPS = DJANGO_APPS + ['orders']\n",
            "is built from DJANGO_APPS, which is not a list bound once above",
        ),
        (
            "LOCAL = ['a']\nLOCAL = ['b']\nINSTALLED_APPS = ['x'] + LOCAL\n",
            "is built from LOCAL, which is not a list bound once above",
        ),
        (
            "INSTALLED_APPS = [*get_apps(), 'orders']\n",
            "unpacks get_apps(), which is not a list bound once above",
        ),
        ("INSTALLED_APPS = ['a'] | OTHER\n", "is computed (['a'] | OTHER)"),
        (
            "if DEBUG:\n    INSTALLED_APPS = ['a', 'debug_toolbar']\nelse:\n"
            "    INSTALLED_APPS = ['a']\n",
            "is assigned inside a block",
        ),
    ],
)
def test_an_installed_apps_it_cannot_add_to_is_reported(source: str, why: str) -> None:
    message = flagged(source)
    assert message.startswith(f"INSTALLED_APPS {why}"), message
    assert "add it by hand" in message


@pytest.mark.parametrize(
    "source",
    [
        "from .base import *\n\nINSTALLED_APPS += get_more()\n",
        "from .base import *\n\nINSTALLED_APPS.append('orders')\n",
    ],
)
def test_a_module_only_changing_the_list_otherwise_is_reported(source: str) -> None:
    assert "so the codemod did not add" in flagged(source)


def test_no_settings_module_is_reported_at_the_app_s_autodiscovery() -> None:
    outcome = check_flagged(CELERY_APP, ["WC116"], RULE, modules=TASKS, **APP_MODULE)
    finding = outcome.findings[0]
    assert finding.line == 9  # app.autodiscover_tasks()
    assert "no module in the paths given binds INSTALLED_APPS" in finding.message
    assert finding.guide == "migration_guide/celery-app.md#wc116-installed_apps"


def test_the_report_stays_when_the_app_module_is_deleted() -> None:
    outcome = migrate(
        CELERY_APP, ALL, modules=TASKS, app_users={"proj.celery.app": ()}, **APP_MODULE
    )
    assert outcome.deleted
    assert [(finding.code, finding.line) for finding in outcome.findings] == [("WC116", 9)]


def test_no_settings_module_is_reported_where_django_settings_module_is_named() -> None:
    wsgi = 'import os\n\nos.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings")\n'
    flagged(wsgi, where={"module": "proj.wsgi", "path": "proj/wsgi.py"})


def test_class_based_settings_are_reported_at_their_installed_apps() -> None:
    outcome = check_flagged(
        "from configurations import Configuration\n\n\nclass Common(Configuration):\n"
        "    INSTALLED_APPS = ['orders']\n",
        ["WC116"],
        RULE,
        modules={**TASKS, "proj.celery": CELERY_APP},
        **SETTINGS,
    )
    assert (outcome.findings[0].line, outcome.findings[0].col) == (5, 5)
    assert "inside a class or function" in outcome.findings[0].message


def test_class_based_settings_listing_the_app_are_not_reported() -> None:
    check_noop(
        "class Common:\n    INSTALLED_APPS = ['orders', 'weft_compat.django']\n",
        RULE,
        modules={**TASKS, "proj.celery": CELERY_APP},
        **SETTINGS,
    )


def test_no_report_where_celery_is_not_wired_to_django() -> None:
    check_noop(
        "from celery import Celery\n\napp = Celery('proj')\napp.autodiscover_tasks(['proj'])\n",
        RULE,
        modules=TASKS,
        **APP_MODULE,
    )


# A run over a tree on disk.


def write(root: Path, files: Mapping[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


PROJECT = {
    "manage.py": (
        "import os\n\n\ndef main():\n"
        '    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "proj.settings.dev")\n'
    ),
    "proj/__init__.py": "",
    "proj/celery.py": CELERY_APP,
    "proj/tasks.py": TASKS["proj.tasks"],
    "proj/settings/__init__.py": "",
    # No Celery spelling: read for INSTALLED_APPS alone.
    "proj/settings/base.py": "DEBUG = False\n\nINSTALLED_APPS = [\n    'orders',\n]\n",
    "proj/settings/dev.py": "from .base import *\n\nINSTALLED_APPS += ['debug_toolbar']\n",
    "other/__init__.py": "",
    "other/settings.py": "INSTALLED_APPS = ['b']\n",
}


def outcomes(root: Path) -> dict[str, FileOutcome]:
    found = run([str(root)], list(RULE), jobs=1)
    return {str(Path(outcome.path).relative_to(root)): outcome for outcome in found}


def test_a_settings_module_without_celery_spelling_is_read() -> None:
    assert might_use_celery(b"INSTALLED_APPS = ['orders']\n")
    assert might_use_celery(b'os.environ["DJANGO_SETTINGS_MODULE"] = "proj.settings"\n')


def test_a_run_adds_the_app_to_the_base_of_the_settings_manage_py_names(tmp_path: Path) -> None:
    write(tmp_path, PROJECT)
    found = outcomes(tmp_path)
    assert found["proj/settings/base.py"].new_source == (
        b"DEBUG = False\n\nINSTALLED_APPS = [\n    'orders',\n    'weft_compat.django',\n]\n"
    )
    changed = sorted(path for path, outcome in found.items() if outcome.status is Status.CHANGED)
    assert changed == ["proj/settings/base.py"]
    reported = {path: [f.code for f in outcome.findings] for path, outcome in found.items()}
    assert {path: codes for path, codes in reported.items() if codes} == {
        "other/settings.py": ["WC116"]
    }
    (tmp_path / "proj/settings/base.py").write_bytes(found["proj/settings/base.py"].new_source)
    again = outcomes(tmp_path)
    assert all(outcome.status is not Status.CHANGED for outcome in again.values())


def test_a_run_reports_class_based_settings_in_a_long_module(tmp_path: Path) -> None:
    # Long enough for the rewrite to look at an outline of the module, not all of it.
    filler = "".join(f"SETTING_{n} = {n}\n" for n in range(300))
    settings = f"{filler}\n\nclass Common:\n    DEBUG = False\n    INSTALLED_APPS = ['orders']\n"
    write(tmp_path, {**{k: v for k, v in PROJECT.items() if "settings" not in k},
                     "proj/settings.py": settings})  # fmt: skip
    found = outcomes(tmp_path)
    [finding] = found["proj/settings.py"].findings
    assert (finding.code, finding.line) == ("WC116", 305)
