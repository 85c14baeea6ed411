"""The release path as production runs it: ``collectstatic`` with DEBUG off and
the manifest storage (hashed, compressed names), then gunicorn with DEBUG off and
the HTTPS redirect on, behind a proxy that says the request came over HTTPS,
serving the pages and the collected files from STATIC_ROOT, not the finders."""

import re

import pytest
import requests

from tests.liveserver import collectstatic, gunicorn_server, subprocess_database_url  # noqa: F401  (fixture)

pytestmark = pytest.mark.slow

STATIC_URL = re.compile(r'(?:href|src)="(/static/[^"]+)"')
HASHED_NAME = re.compile(r"\.[0-9a-f]{12}\.\w+$")
# WhiteNoise's answer for a file whose name carries its content hash: ten years, immutable.
FAR_FUTURE = "max-age=315360000"
PROXIED_HTTPS = {"X-Forwarded-Proto": "https"}


@pytest.fixture(scope="module")
def static_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("staticfiles")
    result = collectstatic(root, {})
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def test_collectstatic_with_the_manifest_storage_succeeds(static_root):
    assert (static_root / "staticfiles.json").is_file()
    assert list((static_root / "vendor" / "bootstrap-5.3.8").glob("bootstrap.min.*.css"))


@pytest.fixture
def release_server(static_root, request):
    database_url = request.getfixturevalue("subprocess_database_url")
    env = {"DATABASE_URL": database_url, "SECURE_SSL_REDIRECT": "1"}
    with gunicorn_server(env, static_root=static_root) as base_url:
        yield base_url


def test_login_page_links_hashed_static_files_served_for_ten_years(release_server):
    page = requests.get(f"{release_server}/accounts/login/", headers=PROXIED_HTTPS, timeout=10)

    assert page.status_code == 200, page.text[-2000:]
    assets = STATIC_URL.findall(page.text)
    assert "/static/css/app.css" not in assets
    assert any(url.startswith("/static/vendor/bootstrap-5.3.8/bootstrap.min.") for url in assets)
    for url in assets:
        assert HASHED_NAME.search(url), url
        asset = requests.get(release_server + url, headers=PROXIED_HTTPS, timeout=10)
        assert asset.status_code == 200, url
        assert FAR_FUTURE in asset.headers["Cache-Control"] and "immutable" in asset.headers["Cache-Control"], url


def test_unhashed_static_names_are_not_cached_for_long(release_server):
    asset = requests.get(f"{release_server}/static/css/app.css", headers=PROXIED_HTTPS, timeout=10)

    assert asset.status_code == 200
    assert FAR_FUTURE not in asset.headers["Cache-Control"]


def test_plain_http_is_sent_to_https(release_server):
    answer = requests.get(f"{release_server}/accounts/login/", allow_redirects=False, timeout=10)

    assert answer.status_code == 301
    assert answer.headers["Location"].startswith("https://")
