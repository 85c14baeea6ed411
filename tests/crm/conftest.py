from tests.liveserver import gunicorn, subprocess_database_url  # noqa: F401  (fixtures)
