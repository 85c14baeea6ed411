"""People for the rights matrix: the owner of a row, a colleague (another agent),
an outsider (logged in, no role), and the three other roles."""

import importlib

import pytest
from django.apps import apps as django_apps

from tests.crm.factories import UserFactory
from tests.liveserver import gunicorn, subprocess_database_url  # noqa: F401  (fixtures)


@pytest.fixture
def agent(db):
    return UserFactory(username="aigerim", first_name="Айгерим", last_name="Сейтова", role="agent")


@pytest.fixture
def colleague(db):
    return UserFactory(username="dmitry", first_name="Дмитрий", last_name="Ким", role="agent")


@pytest.fixture
def outsider(db):
    return UserFactory(username="outsider", is_staff=False)


@pytest.fixture
def manager(db):
    return UserFactory(username="manager", first_name="Асель", last_name="Нурланова", role="manager")


@pytest.fixture
def admin_user(db):
    return UserFactory(username="admin", role="admin")


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True)


@pytest.fixture
def accountant(db):
    return UserFactory(username="accountant", first_name="Гульнара", last_name="Абенова", role="accountant")


@pytest.fixture(autouse=True)
def _default_pipeline(request):
    """Transactional tests end by flushing every table. post_migrate brings the role
    groups and permissions back, but not the default pipeline the data migration
    made; put it back, with the migration's own code, before a test that uses the
    database."""
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db", "live_server"} & set(
        request.fixturenames
    )
    if not uses_db:
        return
    request.getfixturevalue("_django_db_helper")
    from crm.models import Pipeline

    if not Pipeline.objects.filter(slug="default").exists():
        migration = importlib.import_module("crm.migrations.0002_default_pipeline_and_roles")
        migration.create(django_apps, None)
