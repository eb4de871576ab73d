"""Orders: checkout, payment processing and fulfilment."""
