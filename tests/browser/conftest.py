"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server."""

import pytest
from django.db import connections
from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # While Playwright's event loop runs, Django keeps this thread's database
        # connections apart from the usual ones (asgiref's Local follows the running
        # loop); close them now, or they outlive the loop and block dropping the
        # test database.
        connections.close_all()


@pytest.fixture
def new_page(browser):
    """Open a page in a fresh browser context (its own cookies) of a given viewport,
    in a browser set to Russian like the agency's."""
    contexts = []

    def open_page(viewport=DESKTOP, **options):
        context = browser.new_context(viewport=viewport, locale="ru-RU", **options)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()
