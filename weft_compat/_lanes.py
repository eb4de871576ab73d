"""Every lane, in the order a call is looked for: due, pooled, isolated.

The submit path, `locate` and the handle use the lanes through this list only.
"""

from __future__ import annotations

from typing import Final

from weft_compat._isolated import IsolatedLane
from weft_compat._lane import Lane, LaneName
from weft_compat.due._lane import DueLane
from weft_compat.pool._lane import PooledLane

__all__ = ["ISOLATED", "LANES", "lane"]

ISOLATED: Final = IsolatedLane()
LANES: Final[tuple[Lane, ...]] = (DueLane(), PooledLane(), ISOLATED)
_BY_NAME: Final[dict[str, Lane]] = {each.name: each for each in LANES}


def lane(name: LaneName) -> Lane:
    """The lane called `name`."""
    return _BY_NAME[name]
