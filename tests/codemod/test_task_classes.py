"""WC111 task_base_classes and WC209 task_classes: Task subclasses move onto WeftTaskBase."""

from __future__ import annotations

from tests.codemod.tools import ALL, check_flagged, check_noop, check_rewritten, migrate

RULES = ("task_base_classes", "task_classes")
TASKS = ("task_base_classes", "task_classes", "task_decorator", "delay")
APP = {"proj.celery": "from celery import Celery\n\napp = Celery('proj')\n"}


def test_a_task_subclass_moves_onto_weft_task_base() -> None:
    check_rewritten(
        "from celery import Task\n\nclass Base(Task):\n    def on_failure(self, *a):\n"
        "        pass\n",
        "from weft_compat import WeftTaskBase\n\nclass Base(WeftTaskBase):\n"
        "    def on_failure(self, *a):\n        pass\n",
        RULES,
    )


def test_app_task_moves_too() -> None:
    check_rewritten(
        "from proj.celery import app\n\nclass Base(app.Task):\n    pass\n",
        "from weft_compat import WeftTaskBase\n\nclass Base(WeftTaskBase):\n    pass\n",
        RULES,
        modules=APP,
    )


def test_a_module_import() -> None:
    check_rewritten(
        "import celery\n\nclass A(celery.Task):\n    pass\n",
        "from weft_compat import WeftTaskBase\n\nclass A(WeftTaskBase):\n    pass\n",
        RULES,
    )


def test_celery_app_task_task_under_another_name() -> None:
    check_rewritten(
        "from celery.app.task import Task as CeleryTask\n\nclass B(CeleryTask):\n    pass\n",
        "from weft_compat import WeftTaskBase\n\nclass B(WeftTaskBase):\n    pass\n",
        RULES,
    )


def test_a_mixin_base_stays() -> None:
    check_rewritten(
        "from celery import Task\nfrom proj.mixins import Audit\n\nclass Base(Audit, Task):\n"
        "    pass\n",
        "from proj.mixins import Audit\nfrom weft_compat import WeftTaskBase\n\n"
        "class Base(Audit, WeftTaskBase):\n    pass\n",
        RULES,
    )


def test_option_attributes_carry_over() -> None:
    check_rewritten(
        "from celery import Task\n\nclass Base(Task):\n    autoretry_for = (OSError,)\n"
        "    max_retries = 5\n    acks_late = True\n",
        "from weft_compat import WeftTaskBase\n\nclass Base(WeftTaskBase):\n"
        "    autoretry_for = (OSError,)\n    max_retries = 5\n    acks_late = True\n",
        RULES,
    )


def test_a_refused_attribute_whose_loss_keeps_the_work_is_dropped_and_reported() -> None:
    outcome = check_rewritten(
        "from celery import Task\n\nclass Base(Task):\n    rate_limit = '10/m'\n    queue = 'q'\n",
        "from weft_compat import WeftTaskBase\n\nclass Base(WeftTaskBase):\n    queue = 'q'\n",
        RULES,
    )
    assert [f.code for f in outcome.findings] == ["WC209"]
    assert "Base.rate_limit was removed" in outcome.findings[0].message
    assert outcome.findings[0].guide == "migration_guide/decorator.md#rate_limit"


def test_a_class_left_with_nothing_gets_pass() -> None:
    check_rewritten(
        "from celery import Task\n\nclass Base(Task):\n    throws = (KeyError,)\n",
        "from weft_compat import WeftTaskBase\n\nclass Base(WeftTaskBase):\n    pass\n",
        RULES,
    )


def test_a_refused_attribute_whose_loss_changes_the_task_keeps_the_class() -> None:
    outcome = check_flagged(
        "from celery import Task\n\nclass Base(Task):\n    Request = 'proj.Request'\n",
        ["WC209"],
        RULES,
    )
    assert outcome.new_source is None
    assert "class Base stays on Celery: Request=" in outcome.findings[0].message


def test_a_pickle_serializer_keeps_the_class() -> None:
    check_flagged(
        "from celery import Task\n\nclass Base(Task):\n    serializer = 'pickle'\n",
        ["WC209"],
        RULES,
    )


def test_custom_attributes_are_the_class_s_own() -> None:
    check_rewritten(
        "from celery import Task\n\nclass Base(Task):\n    abstract = True\n    retries = 3\n"
        "    def helper(self):\n        return 1\n",
        "from weft_compat import WeftTaskBase\n\nclass Base(WeftTaskBase):\n    abstract = True\n"
        "    retries = 3\n    def helper(self):\n        return 1\n",
        RULES,
    )


BASES = {
    **APP,
    "proj.base": "from celery import Task\n\nclass Base(Task):\n    pass\n",
    "proj.kept": "from celery import Task\n\nclass Kept(Task):\n    Request = 'x.Y'\n",
}


def test_a_subclass_of_a_moved_class_in_another_module_needs_nothing() -> None:
    check_noop("from proj.base import Base\n\nclass Sub(Base):\n    pass\n", RULES, modules=BASES)


def test_a_subclass_drops_its_own_refused_attributes() -> None:
    check_rewritten(
        "from proj.base import Base\n\nclass Sub(Base):\n    rate_limit = '1/s'\n"
        "    max_retries = 1\n",
        "from proj.base import Base\n\nclass Sub(Base):\n    max_retries = 1\n",
        RULES,
        modules=BASES,
    )


def test_a_subclass_of_a_class_that_stays_is_reported() -> None:
    outcome = check_flagged(
        "from proj.kept import Kept\n\nclass Sub(Kept):\n    pass\n",
        ["WC209"],
        RULES,
        modules=BASES,
    )
    assert "it derives from Kept, which stays on Celery" in outcome.findings[0].message


def test_a_subclass_of_a_subclass() -> None:
    modules = {**BASES, "proj.mid": "from proj.kept import Kept\n\nclass Mid(Kept):\n    pass\n"}
    outcome = check_flagged(
        "from proj.mid import Mid\n\nclass Leaf(Mid):\n    pass\n",
        ["WC209"],
        RULES,
        modules=modules,
    )
    assert "derives from Mid" in outcome.findings[0].message


def test_a_task_class_inside_a_function_is_reported() -> None:
    outcome = check_flagged(
        "from celery import Task\n\ndef make():\n    class Local(Task):\n        pass\n"
        "    return Local\n",
        ["WC209"],
        RULES,
    )
    assert "inside a function or class" in outcome.findings[0].message


def test_other_classes_are_left_alone() -> None:
    check_noop("class Task:\n    pass\n\nclass Sub(Task):\n    pass\n", RULES)


def test_base_of_a_moved_class_carries_over() -> None:
    check_rewritten(
        "from celery import shared_task\nfrom proj.base import Base\n\n"
        "@shared_task(base=Base, bind=True)\ndef f(self, x):\n    pass\n\nf.delay(1)\n",
        "from proj.base import Base\nfrom weft_compat import weft_task\n\n"
        "@weft_task(base=Base, bind=True)\ndef f(self, x):\n    pass\n\nf.enqueue(1)\n",
        TASKS,
        modules=BASES,
    )


def test_base_of_a_class_defined_in_the_same_module() -> None:
    check_rewritten(
        "from celery import Task, shared_task\n\nclass Base(Task):\n    pass\n\n"
        "@shared_task(base=Base)\ndef f():\n    pass\n",
        "from weft_compat import WeftTaskBase, weft_task\n\nclass Base(WeftTaskBase):\n"
        "    pass\n\n@shared_task(base=Base)\ndef f():\n    pass\n".replace(
            "@shared_task", "@weft_task"
        ),
        TASKS,
    )


def test_base_of_a_class_that_stays_keeps_the_task_on_celery() -> None:
    outcome = check_flagged(
        "from celery import shared_task\nfrom proj.kept import Kept\n\n"
        "@shared_task(base=Kept)\ndef f():\n    pass\n",
        ["WC209"],
        TASKS,
        modules=BASES,
    )
    assert outcome.new_source is None
    assert outcome.findings[0].guide == "migration_guide/decorator.md#base"


def test_base_of_an_unknown_class_keeps_the_task_on_celery() -> None:
    check_flagged(
        "from celery import shared_task\n\n@shared_task(base=Custom)\ndef f():\n    pass\n",
        ["WC209"],
        TASKS,
    )


def test_celery_only_names_on_self_in_a_moved_class_are_reported() -> None:
    outcome = check_flagged(
        "from celery import Task\n\nclass Base(Task):\n    def on_success(self, *a):\n"
        "        self.app.send_task('x')\n        self.request.id\n        self.helper()\n",
        ["WC209"],
        RULES,
    )
    assert outcome.findings[0].message.startswith("self.app is Celery's Task's")


REGISTERED = {
    **APP,
    "proj.export": "from celery import Task\n\nclass Export(Task):\n    name = 'reports.export'\n"
    "    def run(self, report_id, fmt='csv'):\n        pass\n",
}


def test_register_task_of_a_moved_class() -> None:
    check_rewritten(
        "from proj.celery import app\nfrom proj.export import Export\n\n"
        "export = app.register_task(Export())\nexport.delay(1)\n",
        "from proj.export import Export\nfrom weft_compat import register_task\n\n"
        "export = register_task(Export)\nexport.enqueue(1)\n",
        TASKS,
        modules=REGISTERED,
    )


def test_a_bare_register_task_statement() -> None:
    check_rewritten(
        "from proj.celery import app\nfrom proj.export import Export\n\n"
        "app.register_task(Export())\n",
        "from proj.export import Export\nfrom weft_compat import register_task\n\n"
        "register_task(Export)\n",
        TASKS,
        modules=REGISTERED,
    )


def test_calls_of_a_registered_class_task_check_its_run_signature() -> None:
    check_flagged(
        "from proj.celery import app\nfrom proj.export import Export\n\n"
        "export = app.register_task(Export())\nexport.delay(1, countdown=5)\n",
        ["WC201"],
        (*TASKS, "delay_unresolved", "celery_app"),
        modules=REGISTERED,
    )


def test_register_task_of_an_instance_with_arguments_is_left() -> None:
    outcome = migrate(
        "from proj.celery import app\nfrom proj.export import Export\n\n"
        "app.register_task(Export(1))\n",
        ALL,
        modules=REGISTERED,
    )
    assert outcome.new_source is None
    assert [f.code for f in outcome.findings] == ["WC207"]


def test_the_moved_classes_module_imports_nothing_of_celery() -> None:
    outcome = migrate(
        "from celery import Task, shared_task\n\nclass Base(Task):\n    max_retries = 2\n\n"
        "@shared_task(base=Base, bind=True)\ndef f(self):\n    return self.request.id\n",
        ALL,
    )
    assert outcome.new_source is not None
    assert b"celery" not in outcome.new_source
    assert outcome.findings == []


def test_a_weft_task_base_subclass_is_a_task_class_on_a_second_run() -> None:
    check_noop("from weft_compat import WeftTaskBase\n\nclass A(WeftTaskBase):\n    pass\n", RULES)
    check_flagged(
        "from weft_compat import WeftTaskBase\n\nclass A(WeftTaskBase):\n    Request = 'x.Y'\n",
        ["WC209"],
        RULES,
    )
