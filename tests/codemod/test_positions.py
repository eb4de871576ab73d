"""Finding positions agree with LibCST's PositionProvider on the nodes rules report."""

from __future__ import annotations

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from weft_compat.codemod.positions import locate

SOURCE = '''"""Doc."""
# a comment
from celery import shared_task, group  # trailing


@shared_task(bind=True,
             max_retries=3)
def send(self, pk):
    # inside
    result = group(x.s(1) for x in y).apply_async()
    return result.get()


class Base(Task):
    pass

CELERY_BROKER_URL = "x"  \\
    "y"
'''


class _Collect(cst.CSTVisitor):
    def __init__(self) -> None:
        self.nodes: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        kinds = (cst.Call, cst.Attribute, cst.Arg, cst.Decorator, cst.ImportAlias, cst.Assign)
        if isinstance(node, kinds):
            self.nodes.append(node)
        return True


def test_positions_match_position_provider() -> None:
    module = cst.parse_module(SOURCE)
    collector = _Collect()
    module.visit(collector)
    expected = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found = locate(module, collector.nodes)
    assert len(collector.nodes) > 15
    for node in collector.nodes:
        start = expected[node].start
        assert found[id(node)] == (start.line, start.column), cst.Module([]).code_for_node(node)


def test_crlf_sources() -> None:
    module = cst.parse_module("x = 1\r\n\r\n# c\r\nsend.delay(1)\r\n")
    call = module.body[1].body[0].value  # type: ignore[attr-defined]
    assert locate(module, [call]) == {id(call): (4, 0)}
