"""Backups and restore as README "Backups and restore" tells a person to make them:
``manage.py dbbackup`` / ``dbrestore --noinput`` and ``mediabackup`` /
``mediarestore --noinput`` run as commands in their own processes against the test
database (its rows committed), to a folder, an S3-compatible server or GPG-encrypted;
and the nightly job that runs them with clean-up."""

import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import boto3
import pytest
import requests
from celery.exceptions import Retry
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.core.management import call_command
from django.db import connection

from crm.models import Client, Lead, Order
from crystalbay.celery import app as celery_app
from integrations.models import BackupRun
from messaging.models import Message
from tests.crm.factories import ClientFactory
from tests.liveserver import BASE_DIR, process_env, stop

pytestmark = pytest.mark.slow

NO_REMOTE = {"BACKUP_S3_BUCKET": "", "BACKUP_GPG_RECIPIENT": ""}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=process_env({**NO_REMOTE, **env}),
        capture_output=True, text=True, timeout=180, stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} exited with {result.returncode}:\n{result.stderr[-3000:]}"
    return result


def rows() -> dict[str, list]:
    """Ids and key fields of what an agency cannot lose."""
    return {
        "clients": list(Client.objects.order_by("pk").values_list("pk", "full_name", "phone", "email")),
        "leads": list(Lead.objects.order_by("pk").values_list("pk", "client_id", "stage_id", "version", "budget")),
        "orders": list(Order.objects.order_by("pk").values_list("pk", "client_id", "lead_id", "status", "price_kzt")),
        "messages": list(Message.objects.order_by("pk").values_list("pk", "conversation_id", "direction", "text")),
    }


def backups_in(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if not path.name.endswith(".metadata"))


@pytest.fixture
def backup_env(subprocess_database_url, tmp_path) -> dict[str, str]:
    """The commands' environment: the test database, backups to a fresh folder."""
    return {"DATABASE_URL": subprocess_database_url, "BACKUP_DIR": str(tmp_path / "backups"),
            "MEDIA_ROOT": str(tmp_path / "media")}


@pytest.fixture
def demo_rows(backup_env) -> dict[str, list]:
    call_command("loaddata", "demo", verbosity=0)
    saved = rows()
    assert all(saved.values()), "the demo data has clients, leads, orders and messages"
    return saved


def wipe(how: str) -> None:
    """Lose the data: every table emptied (a new client written afterwards), or the
    whole schema gone as on a new machine's empty database."""
    if how == "flush":
        call_command("flush", interactive=False, verbosity=0)
        ClientFactory(full_name="Записан после бэкапа")
    else:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    connection.close()


@pytest.mark.parametrize("how", ["flush", "drop schema"])
def test_restore_drill_brings_back_the_same_rows(backup_env, demo_rows, how):
    manage("dbbackup", env=backup_env)
    [backup] = backups_in(Path(backup_env["BACKUP_DIR"]))
    assert backup.startswith("crystalbay-default-") and backup.endswith(".psql.bin")
    assert (Path(backup_env["BACKUP_DIR"]) / backup).stat().st_mode & 0o777 == 0o600

    wipe(how)
    manage("dbrestore", "--noinput", env=backup_env)

    assert rows() == demo_rows
    assert not Client.objects.filter(full_name="Записан после бэкапа").exists()
    # The sequences came back too: a new client does not collide with a restored one.
    assert ClientFactory().pk > max(pk for pk, *_ in demo_rows["clients"])


def test_clean_keeps_the_newest_backups_of_each_kind(backup_env):
    folder = Path(backup_env["BACKUP_DIR"])
    folder.mkdir()
    Path(backup_env["MEDIA_ROOT"]).mkdir()
    old = [f"crystalbay-default-2020-01-0{day}-023000.psql.bin" for day in (1, 2, 3)]
    old_media = [f"crystalbay-media-2020-01-0{day}-023000.tar" for day in (1, 2, 3)]
    for name in old + old_media:
        (folder / name).write_bytes(b"an older night")

    env = {**backup_env, "BACKUP_KEEP": "2"}
    manage("dbbackup", "--clean", env=env)
    manage("mediabackup", "--clean", env=env)

    kept = backups_in(folder)
    assert [name for name in kept if "media" not in name][0] == old[2]
    assert [name for name in kept if "media" in name][0] == old_media[2]
    assert len(kept) == 4 and not set(kept) & {*old[:2], *old_media[:2]}


def test_media_round_trip(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    media = FileSystemStorage()
    name = media.save("documents/passport-scan.pdf", ContentFile(b"%PDF-1.7 passport scan"))
    env = {"BACKUP_DIR": str(tmp_path / "backups"), "MEDIA_ROOT": str(settings.MEDIA_ROOT)}

    manage("mediabackup", env=env)
    shutil.rmtree(settings.MEDIA_ROOT)
    manage("mediarestore", "--noinput", env=env)

    assert media.open(name).read() == b"%PDF-1.7 passport scan"


def test_sqlite_round_trip(tmp_path):
    """bin/run's database: the file itself is backed up and put back."""
    database = tmp_path / "db.sqlite3"
    with sqlite3.connect(database) as db:
        db.execute("CREATE TABLE clients (id INTEGER PRIMARY KEY, name TEXT)")
        db.execute("INSERT INTO clients (name) VALUES ('Айгерим'), ('Дмитрий')")
    env = {"DATABASE_URL": f"sqlite:///{database}", "BACKUP_DIR": str(tmp_path / "backups")}

    manage("dbbackup", env=env)
    with sqlite3.connect(database) as db:
        db.execute("DELETE FROM clients")
    manage("dbrestore", "--noinput", env=env)

    with sqlite3.connect(database) as db:
        assert db.execute("SELECT id, name FROM clients ORDER BY id").fetchall() == [(1, "Айгерим"), (2, "Дмитрий")]


@pytest.fixture
def gnupg_home():
    """A throwaway GPG home with one key pair (its passphrase stays with the key's owner)."""
    if not shutil.which("gpg"):
        pytest.skip("gpg is not installed")
    home = tempfile.mkdtemp(prefix="gpg-")  # short: gpg-agent's socket path has a length limit
    env = {"GNUPGHOME": home}
    subprocess.run(
        ["gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "backup-key-pass",
         "--quick-gen-key", "Crystal Bay backups <backups@crystalbay.test>", "default", "default", "never"],
        env=process_env(env), check=True, capture_output=True, timeout=120,
    )
    yield env
    subprocess.run(["gpgconf", "--kill", "all"], env=process_env(env), check=False, capture_output=True)
    shutil.rmtree(home, ignore_errors=True)


def test_encrypted_backup_round_trip(backup_env, demo_rows, gnupg_home):
    env = {**backup_env, **gnupg_home, "BACKUP_GPG_RECIPIENT": "backups@crystalbay.test"}
    manage("dbbackup", "--encrypt", env=env)
    [backup] = backups_in(Path(backup_env["BACKUP_DIR"]))
    assert backup.endswith(".psql.bin.gpg")
    content = (Path(backup_env["BACKUP_DIR"]) / backup).read_bytes()
    assert not content.startswith(b"PGDMP")  # pg_dump's custom format, unencrypted, starts so

    wipe("flush")
    manage("dbrestore", "--noinput", "--decrypt", "--passphrase", "backup-key-pass", env=env)

    assert rows() == demo_rows


@pytest.fixture
def s3_server():
    """A local S3-compatible server (moto) with an empty bucket."""
    if not shutil.which("moto_server", path=str(Path(sys.executable).parent)):
        pytest.skip("moto[server] is not installed")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    process = subprocess.Popen([str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(endpoint, timeout=2)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and process.poll() is None, "moto_server did not start"
                time.sleep(0.2)
        credentials = {"BACKUP_S3_BUCKET": "crm-backups", "BACKUP_S3_ENDPOINT_URL": endpoint,
                       "BACKUP_S3_REGION": "us-east-1", "BACKUP_S3_ACCESS_KEY_ID": "test-key-id",
                       "BACKUP_S3_SECRET_ACCESS_KEY": "test-secret-key"}
        bucket = boto3.resource("s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test-key-id",
                                aws_secret_access_key="test-secret-key").Bucket("crm-backups")
        bucket.create()
        yield credentials, bucket
    finally:
        stop(process)


def test_backup_to_s3_and_restore_from_it(backup_env, demo_rows, s3_server):
    credentials, bucket = s3_server
    env = {**backup_env, **credentials}
    manage("dbbackup", env=env)

    stored = sorted(item.key for item in bucket.objects.all())
    assert len(stored) == 2 and stored[0].startswith("backups/crystalbay-default-")
    assert stored[1] == stored[0] + ".metadata"
    assert not Path(backup_env["BACKUP_DIR"]).exists()

    wipe("flush")
    manage("dbrestore", "--noinput", env=env)
    assert rows() == demo_rows


# --- The nightly job (in this process: the storage settings pointed at a temporary folder) ---

@pytest.fixture
def nightly(settings, tmp_path, monkeypatch, transactional_db):
    """The scheduled task, backing up to ``tmp_path / "backups"``. Outside a transaction,
    as in a worker: django-dbbackup's commands close the database connection."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.BACKUP_DIR = tmp_path / "backups"
    # django-dbbackup reads this very dict (settings.STORAGES["dbbackup"]["OPTIONS"]) on each run.
    monkeypatch.setitem(settings.STORAGES["dbbackup"]["OPTIONS"], "location", str(settings.BACKUP_DIR))
    celery_app.loader.import_default_modules()  # the tasks a worker finds
    return celery_app.tasks[celery_app.conf.beat_schedule["integrations-backup-nightly"]["task"]]


def test_the_nightly_job_backs_up_the_database_and_media_and_records_it(nightly, settings):
    result = nightly.apply().get()

    files = backups_in(settings.BACKUP_DIR)
    assert files == sorted(result["files"])
    assert [name.split("-")[1] for name in files] == ["default", "media"]
    run = BackupRun.objects.get()
    assert run.ok and run.files == result["files"] and run.finished_at >= run.started_at


def test_a_failed_nightly_backup_is_logged_recorded_and_tried_again_a_bounded_number_of_times(
        nightly, settings, caplog):
    settings.BACKUP_DIR.write_text("a file where the folder should be")

    with pytest.raises(Retry) as retry:
        nightly.apply()
    assert retry.value.when == 1800

    failure = next(record for record in caplog.records if record.name == "integrations.backups")
    assert failure.levelname == "ERROR" and failure.exc_info
    assert "database step" in failure.getMessage() and str(settings.BACKUP_DIR) in failure.getMessage()
    run = BackupRun.objects.get()
    assert not run.ok and run.error.startswith("database: ") and run.files == []

    with pytest.raises(OSError):  # the last try gives up with the error itself
        nightly.apply(retries=settings.BACKUP_RETRIES)
    assert BackupRun.objects.filter(ok=False).count() == 2
