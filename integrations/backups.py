"""Backups of the database and of the uploaded files (MEDIA_ROOT), made by
django-dbbackup's own ``dbbackup`` and ``mediabackup`` commands: the ones README
"Backups and restore" tells a person to run, with the same settings
(``crystalbay/settings.py``, "Backups"). The nightly task is in ``tasks.py``."""

import logging
from pathlib import Path

from dbbackup.signals import post_backup, post_media_backup
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from integrations.models import BackupRun

logger = logging.getLogger(__name__)


def backup_destination() -> str:
    """Where backups go, for logs: the bucket or the folder (never a credential)."""
    if settings.BACKUP_S3_BUCKET:
        return f"S3 bucket {settings.BACKUP_S3_BUCKET}"
    return str(settings.BACKUP_DIR)


def backup_create() -> BackupRun:
    """Back up the database, then MEDIA_ROOT, encrypted for ``BACKUP_GPG_RECIPIENT``
    when it is set, and delete all but the newest ``BACKUP_KEEP`` backups of each.
    The run is recorded either way; a failure is logged with its step and re-raised.
    Not for inside a transaction: the commands close the database connection."""
    run = BackupRun(started_at=timezone.now())
    encrypt = bool(settings.BACKUP_GPG_RECIPIENT)

    def written(sender, filename, **kwargs):
        run.files.append(filename)

    post_backup.connect(written)
    post_media_backup.connect(written)
    step = "database"
    try:
        call_command("dbbackup", clean=True, encrypt=encrypt, interactive=False, verbosity=0)
        step = "media"
        Path(settings.MEDIA_ROOT).mkdir(parents=True, exist_ok=True)
        call_command("mediabackup", clean=True, encrypt=encrypt, interactive=False, verbosity=0)
    except Exception as exc:
        run.error = f"{step}: {type(exc).__name__}: {exc}"[:4000]
        logger.error(
            "Backup failed at the %s step (to %s, encrypted: %s; written before: %s): %s",
            step, backup_destination(), encrypt, run.files or "nothing", run.error, exc_info=True,
        )
        raise
    finally:
        post_backup.disconnect(written)
        post_media_backup.disconnect(written)
        run.finished_at = timezone.now()
        run.ok = not run.error
        run.save()
    logger.info("Backup written to %s in %.1f s: %s", backup_destination(),
                (run.finished_at - run.started_at).total_seconds(), ", ".join(run.files))
    return run
