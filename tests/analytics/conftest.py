from tests.integrations.openai.server import fake_openai  # noqa: F401  (a fixture)
