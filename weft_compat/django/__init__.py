"""Django integration: app config, settings, transaction-aware enqueue."""
