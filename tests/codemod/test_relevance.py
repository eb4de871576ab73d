"""Which statements the outline leaves out, and that what it leaves out changes nothing.

Each case checks what ``relevance`` marks (so the outline leaves the statement out, or
keeps it) and that the migration over the outline is the one over the whole module.
"""

from __future__ import annotations

import ast
import textwrap

from tests.codemod.tools import ALL, MODULE, migrate
from weft_compat.codemod.facts import collect_facts
from weft_compat.codemod.index import ProjectIndex
from weft_compat.codemod.outline import outline
from weft_compat.codemod.relevance import relevance
from weft_compat.codemod.rows import Lines, statement_rows

TASKS = {
    "proj.tasks": "from celery import shared_task\n\n@shared_task\ndef send(x, y=None):\n"
    "    return x\n",
    "proj.models": "from django.db import models\n\nclass Order(models.Model):\n    pass\n",
}


def left_out(source: str) -> bytes:
    """The text of ``source`` the outline stands in for."""
    text = textwrap.dedent(source).encode()
    sources = {MODULE: text, **{k: v.encode() for k, v in TASKS.items()}}
    facts = {
        name: collect_facts(ast.parse(code), name, name.rpartition(".")[0])
        for name, code in sources.items()
    }
    index = ProjectIndex.build(facts.values())
    rows = statement_rows(ast.parse(text), text)
    assert rows
    lines = Lines(text)
    found = relevance(text, facts[MODULE], index, rows, lines)
    stand_in = outline(text, rows, found, lines)
    return b"".join(stand_in.originals) if stand_in is not None else b""


def same_with_or_without_the_outline(source: str) -> None:
    quick = migrate(source, ALL, modules=TASKS)
    whole = migrate(source, ALL, modules=TASKS, whole=True)
    assert (quick.status, quick.new_source, quick.findings) == (
        whole.status,
        whole.new_source,
        whole.findings,
    )


PATCHED_TEST = """
    from unittest import mock

    from django.test import TestCase

    from proj.models import Order
    from proj.tasks import send


    class OrderTests(TestCase):
        def setUp(self):
            self.order = Order.objects.create(total=1)

        @mock.patch("proj.tasks.send.delay")
        def test_sends(self, delay):
            self.client.post("/orders/")
            delay.assert_called_once()
"""


def test_a_patch_target_naming_delay_makes_no_model_binding_relevant() -> None:
    assert b"Order.objects.create" in left_out(PATCHED_TEST)
    same_with_or_without_the_outline(PATCHED_TEST)


CALL_ON_THE_NEXT_LINE = """
    from proj.models import Order
    from proj.tasks import send


    def view(pk):
        order = Order.objects.get(pk=pk)
        (send.delay  # the order itself
            (order))
"""


def test_a_task_call_with_its_parenthesis_on_another_line_keeps_its_bindings() -> None:
    assert b"Order.objects.get" not in left_out(CALL_ON_THE_NEXT_LINE)
    outcome = migrate(CALL_ON_THE_NEXT_LINE, ("task_arguments",), modules=TASKS)
    assert [finding.code for finding in outcome.findings] == ["WC215"]
    same_with_or_without_the_outline(CALL_ON_THE_NEXT_LINE)


TASK_LOGGER = """
    from celery import shared_task
    from celery.utils.log import get_task_logger

    logger = get_task_logger(__name__)


    @shared_task
    def clean(pk):
        logger.info("cleaning %s", pk)
        return pk
"""


def test_a_task_logger_s_lines_are_left_out() -> None:
    assert b'logger.info("cleaning %s", pk)' in left_out(TASK_LOGGER)
    same_with_or_without_the_outline(TASK_LOGGER)


LOGGER_REBOUND = """
    from celery.utils.log import get_task_logger

    from proj.tasks import send

    logger = get_task_logger(__name__)


    def view(pk):
        logger = send.delay(pk)
        logger.get(timeout=1)
"""


def test_a_name_rebound_to_a_handle_keeps_its_lines() -> None:
    assert b"logger.get" not in left_out(LOGGER_REBOUND)
    same_with_or_without_the_outline(LOGGER_REBOUND)
