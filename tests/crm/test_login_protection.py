"""Password guessing on the login pages (ours and the admin's) is stopped: a user
and address pair locks after LOGIN_FAILURE_LIMIT failures, a user after
LOGIN_FAILURE_LIMIT_PER_USER failures from any addresses, for the cool-off or
until an admin unlocks; the page says why, in Russian."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command

from tests.crm.factories import PASSWORD

LOCKED = (
    "Слишком много неудачных попыток входа. Попробуйте через 30 минут или обратитесь к администратору."
)
PAGES = ["/accounts/login/", "/admin/login/"]


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURE_LIMIT_PER_USER = 20
    settings.AXES_COOLOFF_TIME = timedelta(minutes=30)


def log_in(client, page, username, password, address="198.51.100.7", **headers):
    return client.post(page, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def logged_in(response) -> bool:
    return response.wsgi_request.user.is_authenticated


def guess(client, page, username, times, address="198.51.100.7", **headers):
    for attempt in range(times):
        log_in(client, page, username, f"guess-{attempt}", address, **headers)


@pytest.mark.parametrize("page", PAGES)
def test_after_ten_wrong_passwords_the_right_one_is_refused_until_the_cool_off_passes(client, admin_user, page):
    guess(client, page, "admin", 10)

    response = log_in(client, page, "admin", PASSWORD)

    assert not logged_in(response)
    assert response.status_code == 429
    content = response.content.decode()
    assert LOCKED in content
    assert '<html lang="ru">' in content and 'name="password"' in content and 'value="admin"' in content

    AccessAttempt.objects.update(attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=31))
    response = log_in(client, page, "admin", PASSWORD)
    assert logged_in(response)
    assert response.status_code == 302


def test_the_lock_starts_at_the_limit_and_tells_at_once(client, manager):
    guess(client, "/accounts/login/", "manager", 4)
    assert logged_in(log_in(client, "/accounts/login/", "manager", PASSWORD))
    client.logout()

    guess(client, "/accounts/login/", "manager", 4)
    fifth = log_in(client, "/accounts/login/", "manager", "guess-5")

    assert fifth.status_code == 429 and LOCKED in fifth.content.decode()
    assert not logged_in(log_in(client, "/accounts/login/", "manager", PASSWORD))


def test_another_user_at_the_same_address_is_not_locked(client, manager, agent):
    guess(client, "/accounts/login/", "manager", 10)

    assert logged_in(log_in(client, "/accounts/login/", agent.username, PASSWORD))


def test_the_same_user_at_another_address_is_not_locked_by_a_few_failures(client, manager):
    guess(client, "/accounts/login/", "manager", 10, address="203.0.113.50")

    assert logged_in(log_in(client, "/accounts/login/", "manager", PASSWORD, address="198.51.100.7"))


def test_a_guess_spread_over_many_addresses_locks_the_user(client, manager):
    for number in range(20):
        log_in(client, "/accounts/login/", "manager", f"guess-{number}", address=f"203.0.113.{number + 1}")

    response = log_in(client, "/accounts/login/", "manager", PASSWORD, address="198.51.100.7")

    assert not logged_in(response)
    assert LOCKED in response.content.decode()


def test_the_address_is_the_client_behind_the_proxy_as_for_the_api(client, settings, manager):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    guess(client, "/accounts/login/", "manager", 5, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")

    assert not logged_in(
        log_in(client, "/accounts/login/", "manager", PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    )
    assert logged_in(
        log_in(client, "/accounts/login/", "manager", PASSWORD, address="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.3")
    )
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"203.0.113.9"}


def test_an_admin_unlocks_a_user_with_the_command(client, manager):
    guess(client, "/accounts/login/", "manager", 10)
    assert not logged_in(log_in(client, "/accounts/login/", "manager", PASSWORD))

    call_command("axes_reset_username", "manager")

    assert logged_in(log_in(client, "/accounts/login/", "manager", PASSWORD))


def test_an_admin_unlocks_a_user_in_the_admin(client, manager, admin_user):
    guess(client, "/accounts/login/", "manager", 10)
    attempt = AccessAttempt.objects.get(username="manager")

    client.force_login(admin_user)
    assert client.get("/admin/axes/accessattempt/").status_code == 200
    response = client.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    client.logout()

    assert logged_in(log_in(client, "/accounts/login/", "manager", PASSWORD))
