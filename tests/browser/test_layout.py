import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import PHONE
from tests.crm.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = "/tmp/crystalbay-screens"


@pytest.fixture
def manager_user():
    return UserFactory(username="asel", first_name="Асель", last_name="Нурланова", role="manager")


def log_in(page, username: str, password: str = PASSWORD):
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()


def test_a_manager_logs_in_sees_the_settings_switches_language_and_logs_out(live_server, new_page, manager_user):
    page = new_page()
    page.goto(f"{live_server.url}/settings/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/settings/$"))
    expect(page.locator(".auth-card")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/login-desktop.png", full_page=True)

    log_in(page, "asel", "wrong-password")
    expect(page.locator(".auth-card .alert-danger")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/login-error-desktop.png", full_page=True)

    log_in(page, "asel")
    expect(page).to_have_url(f"{live_server.url}/settings/")
    navbar = page.locator("nav.app-navbar")
    expect(navbar).to_be_visible()
    expect(navbar.locator(".navbar-brand")).to_have_text("Crystal Bay CRM")
    expect(navbar.locator(".nav-link.active")).to_have_attribute("href", "/settings/")
    expect(navbar.locator(".user-name")).to_have_text("Асель Нурланова")
    expect(page.locator(".integration-card")).to_have_count(7)
    expect(page.locator("#health [data-health-status]")).to_have_attribute("data-health-status", "ok")
    # Bootstrap, its icons and htmx come from our static files.
    assert page.evaluate("typeof window.htmx") == "object"
    assert page.evaluate("typeof window.bootstrap") == "object"
    assert page.evaluate("document.fonts.check('16px bootstrap-icons')")
    page.screenshot(path=f"{SCREENSHOTS}/settings-desktop.png", full_page=True)

    page.locator("#health a[hx-get]").click()
    expect(page.locator("#health [data-health-status]")).to_have_attribute("data-health-status", "ok")
    expect(page.locator(".integration-card")).to_have_count(7)

    expect(page.locator("html")).to_have_attribute("lang", "ru")
    navbar.locator(".language-switch button[value=en]").click()
    expect(page).to_have_url(f"{live_server.url}/settings/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(navbar.locator(".language-switch button[value=en]")).to_have_attribute("aria-pressed", "true")

    navbar.locator(".user-menu .dropdown-toggle").click()
    expect(navbar.locator(".user-menu .role-badge")).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/user-menu-desktop.png")
    navbar.locator(".user-menu form[action='/accounts/logout/'] button").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/login/")
    page.goto(f"{live_server.url}/settings/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/settings/$"))


def test_on_a_phone_the_navbar_collapses_and_opens(live_server, new_page, manager_user):
    page = new_page(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page.goto(f"{live_server.url}/settings/")
    page.screenshot(path=f"{SCREENSHOTS}/login-phone.png", full_page=True)
    log_in(page, "asel")
    expect(page).to_have_url(f"{live_server.url}/settings/")

    toggler = page.locator(".navbar-toggler")
    menu = page.locator("#app-navbar-menu")
    expect(toggler).to_be_visible()
    expect(menu.locator(".nav-link.active")).to_be_hidden()
    page.screenshot(path=f"{SCREENSHOTS}/settings-phone.png", full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    toggler.click()
    expect(menu).to_have_class(re.compile(r"\bshow\b"))
    expect(menu.locator(".nav-link.active")).to_be_visible()
    expect(menu.locator(".language-switch")).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    page.screenshot(path=f"{SCREENSHOTS}/settings-phone-menu.png")
