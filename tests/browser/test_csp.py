"""The Content-Security-Policy in a real browser: the main pages, the Django admin
and the API docs work under it, and Chromium reports no violation on any of them."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_layout import log_in
from tests.crm.factories import ActivityFactory, LeadFactory, UserFactory
from tests.messaging.factories import ConversationFactory, MessageFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def watch_violations(page) -> list[str]:
    """Every CSP violation the page reports: Chromium's console line and the DOM event."""
    found = []
    page.on("console", lambda message: found.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.add_init_script("document.addEventListener('securitypolicyviolation', event => console.error("
                         "'Content Security Policy violation: ' + event.violatedDirective + ' ' + event.blockedURI))")
    return found


def test_the_policy_is_sent_and_the_main_pages_break_none_of_it(live_server, new_page):
    admin = UserFactory(username="root", is_superuser=True, first_name="Асель", last_name="Нурланова")
    lead = LeadFactory(assignee=admin, destination_resort="Нячанг")
    ActivityFactory(lead=lead, author=admin)
    conversation = ConversationFactory(client=lead.client, lead=lead, assignee=admin)
    MessageFactory(conversation=conversation, text="Хотим в Нячанг")
    page = new_page()
    violations = watch_violations(page)

    response = page.goto(f"{live_server.url}/accounts/login/?next=/leads/")
    policy = response.headers["content-security-policy"]
    for directive in ("default-src 'self'", "script-src 'self'", "frame-ancestors 'none'", "object-src 'none'",
                      "form-action 'self'", "base-uri 'self'", "img-src 'self' data:"):
        assert directive in policy
    assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    log_in(page, "root")
    expect(page.locator(".board-column").first).to_be_visible()
    assert page.evaluate("typeof window.htmx") == "object" and page.evaluate("typeof window.Sortable") == "function"

    for path, shown in (
        (f"/leads/{lead.pk}/", ".stage-badge"), ("/my-day/", "main"), (f"/inbox/{conversation.pk}/", "#thread-messages"),
        ("/analytics/", "[data-kpi]"), ("/tours/search/", "main"), ("/settings/", ".integration-card"),
        ("/admin/", "#content"), ("/admin/crm/lead/", "#result_list"), (f"/admin/crm/lead/{lead.pk}/change/", "form"),
    ):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator(shown).first).to_be_visible()
    page.goto(f"{live_server.url}/analytics/")
    expect(page.locator("canvas").first).to_be_visible()
    page.wait_for_timeout(300)  # Chart.js draws after load
    assert not violations, violations


def test_the_api_docs_work_under_the_policy(live_server, new_page):
    UserFactory(username="root", is_superuser=True)
    page = new_page()
    violations = watch_violations(page)
    page.goto(f"{live_server.url}/accounts/login/?next=/api/docs/")
    log_in(page, "root")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Crystal Bay CRM API")
    expect(page.locator(".opblock").first).to_be_visible()

    page.goto(f"{live_server.url}/api/redoc/")
    expect(page.locator("h1").first).to_contain_text("Crystal Bay CRM API", timeout=30_000)  # a 1 MB bundle
    expect(page.get_by_text("/api/v1/leads/").first).to_be_attached()
    page.wait_for_timeout(500)  # its search worker starts after the first draw
    # ReDoc's "powered by" logo is fetched from its CDN: refused, as it should be.
    assert [text for text in violations if "cdn.redoc.ly" not in text] == [], violations
