"""The task `hello_weft.py` enqueues: plain Celery-style code under `@weft_task`."""

from __future__ import annotations

from decimal import Decimal

from weft_compat import weft_task


@weft_task(time_limit=30)
def invoice_total(amounts: list[Decimal], tax_rate: Decimal) -> Decimal:
    subtotal = sum(amounts, Decimal("0"))
    return (subtotal * (1 + tax_rate)).quantize(Decimal("0.01"))
