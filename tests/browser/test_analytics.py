"""The analytics dashboard in a browser: the charts are drawn from static
Chart.js, a filter redraws the page part by htmx (and stays in the address
bar), a typed date makes the range custom; on a phone the tiles sit two by
two. Screenshots go to /tmp/crystalbay-screens."""

import datetime as dt

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from tests.browser.conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

SCREENSHOTS = "/tmp/crystalbay-screens"


@pytest.fixture(autouse=True)
def demo(settings):
    settings.ANALYTICS_CACHE_SECONDS = 0
    settings.OPENAI_API_KEY = ""
    call_command("loaddata", "demo", verbosity=0)


def log_in(page, base_url: str, username: str, next_path: str):
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("crystalbay-demo")
    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
    page.wait_for_url(f"{base_url}{next_path}")


def drawn_charts(page) -> list[str]:
    page.wait_for_function(
        "() => window.Chart && [...document.querySelectorAll('canvas[data-chart]')].every(c => Chart.getChart(c))"
    )
    return page.evaluate(
        "() => [...document.querySelectorAll('canvas[data-chart]')]"
        ".filter(c => window.Chart && Chart.getChart(c)).map(c => c.dataset.chart)"
    )


def test_a_manager_reads_the_dashboard_and_narrows_it(live_server, new_page):
    page = new_page()
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    log_in(page, live_server.url, "manager", "/analytics/?preset=all")

    expect(page.locator('[data-kpi="revenue_kzt"] .kpi-value')).to_have_text("46 320 596\u00a0₸")
    expect(page.locator('[data-kpi="conversion_rate"] .kpi-value')).to_have_text("37,5\u00a0%")
    expect(page.locator('[data-kpi="active_clients"] .kpi-value')).to_have_text("9")
    assert sorted(drawn_charts(page)) == ["agents", "channels", "destinations", "funnel", "revenue"]
    assert all(url.startswith(live_server.url) for url in requests)  # Chart.js from our static files, no CDN
    page.screenshot(path=f"{SCREENSHOTS}/analytics-dashboard.png", full_page=True)

    page.locator("#id_channel").select_option("whatsapp")
    expect(page.locator('[data-kpi="revenue_kzt"] .kpi-value')).to_have_text("16 560 900\u00a0₸")
    assert "channel=whatsapp" in page.url
    assert sorted(drawn_charts(page)) == ["agents", "channels", "destinations", "funnel", "revenue"]

    page.locator("#id_date_from").fill("2026-10-01")
    page.locator("#id_date_from").dispatch_event("change")
    expect(page.locator("#id_preset")).to_have_value("custom")
    expect(page.locator("[data-period]")).to_contain_text("1 октября 2026")
    assert "preset=custom" in page.url and "date_from=2026-10-01" in page.url
    page.screenshot(path=f"{SCREENSHOTS}/analytics-dashboard-filtered.png", full_page=True)
    assert errors == []


def test_an_agent_on_a_phone_sees_their_own_figures(live_server, new_page):
    page = new_page(viewport=PHONE)
    log_in(page, live_server.url, "agent", "/analytics/?preset=all")

    expect(page.locator('[data-kpi="revenue_kzt"] .kpi-value')).to_have_text("23 760 696\u00a0₸")
    expect(page.locator("#id_agent")).to_have_count(0)
    expect(page.locator('[data-kpi="acquisition_cost_kzt"]')).to_have_count(0)
    first, second = page.locator(".kpi-tile").nth(0).bounding_box(), page.locator(".kpi-tile").nth(1).bounding_box()
    assert first["y"] == second["y"] and first["x"] < second["x"]  # two tiles a row
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=f"{SCREENSHOTS}/analytics-dashboard-phone.png", full_page=True)


def test_a_manager_records_a_survey_answer_and_sees_the_nps(live_server, new_page):
    from crm.models import Order

    finished = Order.objects.filter(status="completed").order_by("pk").first()
    page = new_page()
    log_in(page, live_server.url, "manager", "/analytics/surveys/")
    page.locator("#id_order").select_option(str(finished.pk))
    page.locator("#id_score").fill("10")
    page.locator("#id_responded_on").fill((finished.date_to + dt.timedelta(days=3)).isoformat())
    page.locator("[data-survey-form] button[type=submit]").click()
    expect(page.locator(f'[data-answer="{finished.pk}"]')).to_be_visible()
    page.screenshot(path=f"{SCREENSHOTS}/analytics-surveys.png", full_page=True)

    page.goto(f"{live_server.url}/analytics/?preset=all")
    expect(page.locator('[data-kpi="nps"] .kpi-value')).to_have_text("+100")
