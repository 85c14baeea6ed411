"""The base layout and the login page, through the pages a person opens."""

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation
from django.utils.html import escape

from crystalbay.context_processors import navigation_items
from tests.crm.factories import PASSWORD

NAVBAR = 'class="navbar navbar-expand-xl app-navbar'


def log_in(client, username: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password}, follow=True)


def test_the_login_page_renders_in_russian_by_default(client, db):
    response = client.get("/accounts/login/")

    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="ru">' in content
    assert "Crystal Bay CRM" in content
    assert 'name="username"' in content
    assert 'name="password"' in content
    assert 'action="/i18n/setlang/"' in content
    assert NAVBAR not in content
    assert "/static/vendor/bootstrap-5.3.8/bootstrap.min.css" in content
    assert "/static/vendor/htmx-2.0.11/htmx.min.js" in content
    assert "cdn" not in content.lower()


def test_a_wrong_password_shows_an_error_and_keeps_the_username(client, manager):
    response = client.post("/accounts/login/", {"username": "manager", "password": "not-the-password"})

    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated
    errors = response.context["form"].non_field_errors()
    assert errors
    content = response.content.decode()
    assert 'class="alert alert-danger' in content
    assert escape(errors[0]) in content
    assert 'value="manager"' in content


@pytest.mark.django_db
@pytest.mark.parametrize("person", ["manager", "admin_user", "superuser", "agent", "accountant"])
def test_each_role_logs_in_and_lands_on_the_first_page_of_the_navigation(client, request, person):
    user = request.getfixturevalue(person)

    response = log_in(client, user.username)

    assert response.wsgi_request.user == user
    first_page = navigation_items(user)[0]["url"]
    assert response.redirect_chain == [("/", 302), (first_page, 302)]
    assert response.status_code == 200
    content = response.content.decode()
    assert NAVBAR in content
    assert escape(user.get_full_name() or user.username) in content
    assert 'action="/accounts/logout/"' in content


def test_a_page_someone_may_not_open_answers_403_in_the_layout(client, agent):
    client.force_login(agent)

    response = client.get("/settings/")

    assert response.status_code == 403
    assert NAVBAR in response.content.decode()


def test_the_user_menu_shows_the_role_and_staff_get_the_admin_link(client, manager, outsider):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(manager)
    content = client.get("/settings/").content.decode()
    assert '<span class="badge role-badge">Manager</span>' in content
    assert 'href="/admin/"' in content

    client.force_login(outsider)
    content = client.get("/settings/").content.decode()
    assert 'href="/admin/"' not in content
    assert "No role" in content


def test_the_current_page_is_highlighted_in_the_navigation(client, manager):
    client.force_login(manager)

    content = client.get("/settings/").content.decode()

    assert 'class="nav-link active" href="/settings/"' in content
    assert 'aria-current="page"' in content


def test_logout_is_a_post_and_returns_to_the_login_page(client, manager):
    client.force_login(manager)

    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/"
    assert client.get("/settings/")["Location"] == "/accounts/login/?next=/settings/"


def test_the_language_switch_returns_to_the_page_in_english(client, manager):
    client.force_login(manager)
    assert 'name="next" value="/settings/"' in client.get("/settings/").content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/settings/"})

    assert response.status_code == 302
    assert response["Location"] == "/settings/"
    content = client.get("/settings/").content.decode()
    assert '<html lang="en">' in content
    assert 'value="en" lang="en"\n              class="btn btn-primary"' in content


def test_the_login_page_can_be_switched_to_english(client, db):
    with translation.override("ru"):
        sign_in_ru = translation.gettext("Sign in")
    assert f">{sign_in_ru}</button>" in client.get("/accounts/login/").content.decode()

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"}, follow=True)

    content = response.content.decode()
    assert response.redirect_chain == [("/accounts/login/", 302)]
    assert '<html lang="en">' in content
    assert ">Sign in</button>" in content


def test_messages_are_shown_as_dismissible_alerts(manager):
    request = RequestFactory().get("/settings/")
    request.user = manager
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    messages.error(request, "SAMO did not answer")
    messages.success(request, "Saved")

    html = render_to_string("base.html", request=request)

    assert 'class="alert alert-danger alert-dismissible fade show"' in html
    assert 'class="alert alert-success alert-dismissible fade show"' in html
    assert "SAMO did not answer" in html
    assert 'data-bs-dismiss="alert"' in html


def test_the_body_sends_the_csrf_token_to_htmx(client, manager):
    client.force_login(manager)

    response = client.get("/settings/")

    token = response.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("person", "sees_settings"),
    [("agent", False), ("accountant", False), ("manager", True), ("admin_user", True), ("superuser", True)],
)
def test_the_navigation_offers_only_pages_the_person_may_open(client, request, person, sees_settings):
    user = request.getfixturevalue(person)
    client.force_login(user)
    for item in navigation_items(user):
        assert client.get(item["url"]).status_code == 200, item["url"]
    assert ("/settings/" in [item["url"] for item in navigation_items(user)]) is sees_settings


@pytest.mark.django_db
def test_the_current_page_is_highlighted(client, manager):
    client.force_login(manager)
    content = client.get("/settings/").content.decode()
    assert 'aria-current="page"' in content
    assert content.count('aria-current="page"') == 1


@pytest.mark.django_db
def test_an_account_without_a_role_gets_no_access_page(client, outsider):
    client.force_login(outsider)
    response = client.get("/")
    assert response.status_code == 403
    assert NAVBAR in response.content.decode()
