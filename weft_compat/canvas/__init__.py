"""Workflows on Weft: Celery's canvas (`chain`, `group`, `chord`, signatures) as steps
that move on in the broker when a step ends, exactly once and without polling.

`_steps` holds the values users build, `_plan` what they compile to, `_start` and
`_advance` the writes that start a workflow and move it on, `_handle` the handle,
`_inline` the test modes.
"""

from __future__ import annotations

from weft_compat.canvas._handle import WorkflowSubmission
from weft_compat.canvas._steps import Canvas, Chain, Chord, Group, Step, chain, chord, group

__all__ = [
    "Canvas",
    "Chain",
    "Chord",
    "Group",
    "Step",
    "WorkflowSubmission",
    "chain",
    "chord",
    "group",
]
