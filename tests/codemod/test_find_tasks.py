"""Tasks are found however a project builds its app and its decorators."""

from __future__ import annotations

from tests.codemod.tools import check_flagged, check_noop, check_rewritten, migrate

RULES = ("task_decorator", "delay")


def test_an_app_named_by_a_setting_is_an_app() -> None:
    check_rewritten(
        "from celery import Celery\nfrom django.conf import settings\n\n"
        "app = Celery(settings.APP_NAME)\n\n@app.task\ndef f():\n    pass\n",
        "from celery import Celery\nfrom django.conf import settings\nfrom weft_compat import "
        "weft_task\n\napp = Celery(settings.APP_NAME)\n\n@weft_task\ndef f():\n    pass\n",
        RULES,
    )


FACTORY = {
    "proj.factory": "from celery import Celery\n\ndef make_app(name):\n"
    "    app = Celery(name)\n    app.conf.x = 1\n    return app\n",
    "proj.worker": "from proj.factory import make_app\n\napp = make_app('proj')\n",
}


def test_an_app_from_a_factory_in_another_module_is_an_app() -> None:
    check_rewritten(
        "from proj.worker import app\n\n@app.task(bind=True)\ndef f(self):\n    pass\n",
        "from weft_compat import weft_task\n\n@weft_task(bind=True)\ndef f(self):\n    pass\n",
        RULES,
        modules=FACTORY,
    )


def test_a_factory_returning_celery_directly() -> None:
    check_rewritten(
        "from celery import Celery\n\ndef create():\n    return Celery('p')\n\n"
        "app = create()\n\n@app.task\ndef f():\n    pass\n",
        "from celery import Celery\nfrom weft_compat import weft_task\n\ndef create():\n"
        "    return Celery('p')\n\napp = create()\n\n@weft_task\ndef f():\n    pass\n",
        RULES,
    )


def test_a_factory_of_a_factory() -> None:
    check_rewritten(
        "from proj.factory import make_app\n\ndef build():\n    return make_app('x')\n\n"
        "worker = build()\n\n@worker.task\ndef f():\n    pass\n",
        "from proj.factory import make_app\nfrom weft_compat import weft_task\n\n"
        "def build():\n    return make_app('x')\n\nworker = build()\n\n@weft_task\ndef f():\n"
        "    pass\n",
        RULES,
        modules=FACTORY,
    )


def test_an_instance_of_a_celery_subclass_is_an_app() -> None:
    check_rewritten(
        "import celery\n\nclass App(celery.Celery):\n    pass\n\nqueue_app = App('p')\n\n"
        "@queue_app.task\ndef f():\n    pass\n",
        "import celery\nfrom weft_compat import weft_task\n\nclass App(celery.Celery):\n"
        "    pass\n\nqueue_app = App('p')\n\n@weft_task\ndef f():\n    pass\n",
        RULES,
    )


def test_current_app_task() -> None:
    check_rewritten(
        "from celery import current_app\n\n@current_app.task\ndef f():\n    pass\n",
        "from weft_compat import weft_task\n\n@weft_task\ndef f():\n    pass\n",
        RULES,
    )


def test_an_app_imported_under_another_name() -> None:
    check_rewritten(
        "from proj.worker import app as queue\n\n@queue.task()\ndef f():\n    pass\n",
        "from weft_compat import weft_task\n\n@weft_task()\ndef f():\n    pass\n",
        RULES,
        modules=FACTORY,
    )


def test_a_project_decorator_on_top_of_the_task_decorator() -> None:
    check_rewritten(
        "from celery import shared_task\nfrom proj.util import logged\n\n"
        "@logged\n@shared_task(bind=True)\ndef f(self, x):\n    pass\n\nf.delay(1)\n",
        "from proj.util import logged\nfrom weft_compat import weft_task\n\n"
        "@logged\n@weft_task(bind=True)\ndef f(self, x):\n    pass\n\nf.enqueue(1)\n",
        RULES,
    )


def test_a_decorator_under_the_task_decorator() -> None:
    check_rewritten(
        "from celery import shared_task\nfrom django.db import transaction\n\n"
        "@shared_task\n@transaction.atomic\ndef f(x):\n    pass\n",
        "from django.db import transaction\nfrom weft_compat import weft_task\n\n"
        "@weft_task\n@transaction.atomic\ndef f(x):\n    pass\n",
        RULES,
    )


WRAPPER = {
    "proj.celery": "from celery import Celery\n\napp = Celery('proj')\n",
    "proj.tasks": "from proj.celery import app\n\n\ndef task(*args, **kwargs):\n"
    "    return app.task(*args, **kwargs)\n",
}


def test_a_project_decorator_calling_app_task_becomes_weft_task() -> None:
    check_rewritten(
        "from proj.celery import app\n\n\ndef task(*args, **kwargs):\n"
        "    return app.task(*args, **kwargs)\n",
        "from weft_compat import weft_task\n\n\ndef task(*args, **kwargs):\n"
        "    return weft_task(*args, **kwargs)\n",
        RULES,
        module="proj.tasks",
        modules={"proj.celery": WRAPPER["proj.celery"]},
    )


def test_tasks_made_by_a_project_decorator_are_tasks() -> None:
    check_rewritten(
        "from proj import tasks\n\n@tasks.task(bind=True, max_retries=3)\ndef f(self, x):\n"
        "    pass\n\nf.delay(1)\n",
        "from proj import tasks\n\n@tasks.task(bind=True, max_retries=3)\ndef f(self, x):\n"
        "    pass\n\nf.enqueue(1)\n",
        RULES,
        modules=WRAPPER,
    )


def test_a_use_of_a_project_decorator_loses_only_what_weft_task_drops() -> None:
    check_rewritten(
        "from proj.tasks import task\n\n@task(queue='q', rate_limit='1/m')\ndef f():\n    pass\n",
        "from proj.tasks import task\n\n@task(queue='q')\ndef f():\n    pass\n",
        RULES,
        modules=WRAPPER,
    )


def test_a_use_that_keeps_celery_keeps_the_project_decorator_and_its_tasks() -> None:
    modules = {**WRAPPER, "proj.other": WRAPPER_USE_TYPO}
    outcome = migrate(
        "from proj.tasks import task\n\n@task\ndef f():\n    pass\n\nf.delay()\n",
        RULES,
        modules=modules,
    )
    assert outcome.new_source is None or b"f.delay()" in outcome.new_source
    wrapper = migrate(WRAPPER["proj.tasks"], RULES, modules=modules, module="proj.tasks")
    assert wrapper.findings == []
    assert wrapper.new_source is None or b"app.task(*args" in wrapper.new_source


WRAPPER_USE_TYPO = "from proj.tasks import task\n\n@task(ignore_results=True)\ndef g():\n    pass\n"


def test_a_project_decorator_that_changes_the_options_stays_on_celery() -> None:
    source = (
        "from proj.celery import app\n\ndef task(*args, **kwargs):\n"
        "    kwargs.setdefault('base', Logged)\n    return app.task(*args, **kwargs)\n"
    )
    check_noop(source, RULES, module="proj.tasks", modules={"proj.celery": WRAPPER["proj.celery"]})


def test_a_decorator_factory_around_shared_task() -> None:
    check_rewritten(
        "import functools\nfrom celery import shared_task\n\n\ndef job(**options):\n"
        "    def decorate(fn):\n        @functools.wraps(fn)\n        def run(*a, **k):\n"
        "            return fn(*a, **k)\n\n        return shared_task(**options)(run)\n\n"
        "    return decorate\n\n\n@job(bind=True)\ndef f(self):\n    pass\n\nf.delay()\n",
        "import functools\nfrom weft_compat import weft_task\n\n\ndef job(**options):\n"
        "    def decorate(fn):\n        @functools.wraps(fn)\n        def run(*a, **k):\n"
        "            return fn(*a, **k)\n\n        return weft_task(**options)(run)\n\n"
        "    return decorate\n\n\n@job(bind=True)\ndef f(self):\n    pass\n\nf.enqueue()\n",
        RULES,
    )


def test_a_decorator_applied_with_a_nested_task_decorator() -> None:
    check_rewritten(
        "from celery import shared_task\n\n\ndef job(**opts):\n    def decorate(fn):\n"
        "        @shared_task(**opts)\n        def run(*a):\n            return fn(*a)\n\n"
        "        return run\n\n    return decorate\n",
        "from weft_compat import weft_task\n\n\ndef job(**opts):\n    def decorate(fn):\n"
        "        @weft_task(**opts)\n        def run(*a):\n            return fn(*a)\n\n"
        "        return run\n\n    return decorate\n",
        RULES,
    )


def test_a_task_registered_by_a_call() -> None:
    check_rewritten(
        "from proj.celery import app\n\ndef impl(x):\n    pass\n\nsend = app.task(impl)\n"
        "send.delay(1)\n",
        "from weft_compat import weft_task\n\ndef impl(x):\n    pass\n\nsend = weft_task(impl)\n"
        "send.enqueue(1)\n",
        RULES,
        modules=WRAPPER,
    )


def test_a_task_registered_by_a_decorator_factory_call() -> None:
    check_rewritten(
        "from celery import shared_task\n\ndef impl(self, x):\n    pass\n\n"
        "send = shared_task(bind=True, rate_limit='1/s')(impl)\nsend.delay(x=1)\n",
        "from weft_compat import weft_task\n\ndef impl(self, x):\n    pass\n\n"
        "send = weft_task(bind=True)(impl)\nsend.enqueue(x=1)\n",
        RULES,
    )


def test_a_task_registered_through_a_project_decorator_in_another_module() -> None:
    check_rewritten(
        "from proj.tasks import task\nfrom proj.impl import work\n\nsend = task(work)\n"
        "send.delay()\n",
        "from proj.tasks import task\nfrom proj.impl import work\n\nsend = task(work)\n"
        "send.enqueue()\n",
        RULES,
        modules=WRAPPER,
    )


def test_calls_of_a_task_registered_elsewhere_follow() -> None:
    check_rewritten(
        "from proj.registered import send\n\nsend.delay(1)\n",
        "from proj.registered import send\n\nsend.enqueue(1)\n",
        RULES,
        modules={
            **WRAPPER,
            "proj.registered": "from proj.celery import app\n\ndef impl(x):\n    pass\n\n"
            "send = app.task(impl)\n",
        },
    )


def test_a_registration_keeping_celery_is_left() -> None:
    check_flagged(
        "from celery import shared_task\n\ndef impl():\n    pass\n\n"
        "send = shared_task(impl, ignore_results=True)\nsend.delay()\n",
        ["WC201"],
        ("task_decorator", "delay", "delay_unresolved"),
    )
