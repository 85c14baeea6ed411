"""People for the rights matrix: the owner of a row, a colleague (another agent),
an outsider (logged in, no role), and the three other roles."""

import pytest

from tests.crm.factories import UserFactory


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
