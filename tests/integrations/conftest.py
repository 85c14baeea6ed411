from tests.liveserver import gunicorn  # noqa: F401  (a fixture)
