"""The README's first command, as a user meets it: the app on SQLite (the embedded
default) with the demo data, every demo user logging in and opening every page
the navigation offers them, and the admin's lists."""

import re
import subprocess
import sys

import pytest
import requests

from tests.liveserver import BASE_DIR, gunicorn_server, process_env

pytestmark = pytest.mark.slow

DEMO_PASSWORD = "crystalbay-demo"
DEMO_USERS = ["admin", "manager", "agent", "agent2", "accountant"]
NAV_LINK = re.compile(r'<a class="nav-link[^"]*" href="(/[^"]*)"')


@pytest.fixture(scope="module")
def demo_site(tmp_path_factory):
    database = tmp_path_factory.mktemp("demo") / "db.sqlite3"
    # As bin/run serves it: DEBUG on (plain-HTTP cookies), SQLite, tasks in-process.
    env = process_env({"DEBUG": "1", "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": "", "CELERY_TASK_ALWAYS_EAGER": "1"})
    for command in (["migrate", "--no-input"], ["loaddata", "demo"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=BASE_DIR, env=env, check=True, capture_output=True)
    with gunicorn_server(env) as base_url:
        yield base_url


def log_in(base_url: str, username: str) -> requests.Session:
    session = requests.Session()
    page = session.get(f"{base_url}/accounts/login/", timeout=10)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    answer = session.post(
        f"{base_url}/accounts/login/", timeout=10,
        data={"username": username, "password": DEMO_PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base_url}/accounts/login/"},
    )
    assert "/accounts/login/" not in answer.url, f"{username} could not log in"
    return session


@pytest.mark.parametrize("username", DEMO_USERS)
def test_each_demo_user_opens_every_page_offered(demo_site, username):
    session = log_in(demo_site, username)
    home = session.get(f"{demo_site}/", timeout=10)
    assert home.status_code == 200
    links = set(NAV_LINK.findall(home.text))
    assert links, "the navigation offers no page"
    for path in sorted(links):
        answer = session.get(f"{demo_site}{path}", timeout=30)
        assert answer.status_code == 200, f"{username} {path}: {answer.status_code}"


@pytest.mark.parametrize("path", ["/admin/", "/admin/crm/lead/", "/admin/crm/order/", "/admin/crm/client/",
                                  "/admin/messaging/conversation/"])
def test_the_admin_lists_open_for_the_manager(demo_site, path):
    session = log_in(demo_site, "manager")
    assert session.get(f"{demo_site}{path}", timeout=30).status_code == 200


def test_health_reports_the_embedded_defaults(demo_site):
    report = log_in(demo_site, "manager").get(f"{demo_site}/health", timeout=10).json()
    assert report["status"] == "ok"
    assert report["checks"]["database"]["detail"] == "sqlite"


def test_the_booking_form_reaches_the_board_and_the_inbox(demo_site):
    answer = requests.post(f"{demo_site}/api/public/v1/leads", timeout=30, json={
        "destination": "Нячанг", "month": "2027-03", "nights": 10, "adults": 2, "children": 1, "budget": 1500000,
        "name": "Айдана Серикова", "phone": "+7 707 555 12 34", "language": "ru",
    })
    assert answer.status_code in (200, 201), answer.text
    lead_id = answer.json()["lead_id"]
    session = log_in(demo_site, "manager")
    assert session.get(f"{demo_site}/leads/{lead_id}/", timeout=30).status_code == 200
    assert "Айдана Серикова" in session.get(f"{demo_site}/inbox/", timeout=30).text
