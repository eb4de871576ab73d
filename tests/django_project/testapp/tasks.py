"""Tasks of the test app; found by the `weft_compat.django` app's autodiscovery."""

from __future__ import annotations

from weft_compat import weft_task


@weft_task(name="testapp.confirm_order")
def confirm_order(order_id: int) -> str:
    return f"confirmed {order_id}"
