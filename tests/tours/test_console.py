import pytest

from integrations.models import ApiLog
from integrations.samo.fake import DEFAULT_TOKEN

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.mark.parametrize(("person", "status"), [
    ("agent", 403), ("manager", 403), ("accountant", 403), ("outsider", 403), ("admin_user", 200), ("superuser", 200),
])
def test_the_console_is_for_administrators(client, fake_samo, person, status, request):
    client.force_login(request.getfixturevalue(person))

    assert client.get("/tours/console/").status_code == status
    assert client.post("/tours/console/", {"action": "SearchTour_TOWNFROMS"}).status_code == status
    assert fake_samo.state.total == (1 if status == 200 else 0)


def test_a_run_shows_the_masked_request_status_time_and_pretty_json_and_is_logged(client, fake_samo, admin_user):
    client.force_login(admin_user)

    response = client.post("/tours/console/", {"action": "SearchTour_STATES", "params": "TOWNFROMINC=1344\n"},
                           HTTP_HX_REQUEST="true", **EN)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="console-run"')
    assert "HTTP 200" in html and 'data-run-ok="1"' in html and " ms</span>" in html
    assert f"{fake_samo.url}?samo_action=api&amp;type=json&amp;action=SearchTour_STATES&amp;oauth_token=••••••0000" in html
    assert "TOWNFROMINC=1344" in html
    assert "&quot;name&quot;: &quot;Вьетнам&quot;" in html  # Cyrillic kept
    assert "\n    &quot;id&quot;: &quot;22&quot;," in html  # indented
    assert DEFAULT_TOKEN not in html
    log = ApiLog.objects.get()
    assert (log.action, log.status_code, log.ok) == ("SearchTour_STATES", 200, True)


def test_any_action_name_and_json_parameters(client, fake_samo, admin_user):
    client.force_login(admin_user)

    html = client.post("/tours/console/", {"action": "Hotels_DETAILS", "params": '{"HOTELINC": 30160}'}, **EN
                       ).content.decode()

    assert "Sunrise Nha Trang Beach Hotel &amp; Spa" in html
    assert fake_samo.state.calls == {"Hotels_DETAILS": 1}


def test_a_failing_run_shows_the_error_and_is_logged(client, fake_samo, admin_user):
    client.force_login(admin_user)
    fake_samo.state.mode = "403"

    html = client.post("/tours/console/", {"action": "SearchTour_TOWNFROMS"}, **EN).content.decode()

    assert "HTTP 403" in html and 'data-error="ip_not_allowed"' in html
    assert "SAMO refused the request from IP address 127.0.0.1" in html
    assert fake_samo.state.total == 1  # the console does not retry
    assert ApiLog.objects.get().ok is False


def test_bad_parameter_lines_are_refused_before_calling(client, fake_samo, admin_user):
    client.force_login(admin_user)

    html = client.post("/tours/console/", {"action": "SearchTour_STATES", "params": "TOWNFROMINC 1344"}, **EN
                       ).content.decode()

    assert "Write one KEY=value per line: TOWNFROMINC 1344" in html
    assert fake_samo.state.total == 0
