from tests.integrations.samo.servers import fake_samo, samo_proxy  # noqa: F401  (fixtures)
