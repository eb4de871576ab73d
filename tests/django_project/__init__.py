"""A minimal Django project the test suite configures through pytest (pyproject.toml)."""
