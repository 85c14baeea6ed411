# Crystal Bay CRM: one image for the web, the worker, beat and the release step.
# It runs bin/serve, exactly as the systemd units and CI do: the command is
# `release`, `web` (the default), `worker` or `beat` (see compose.yaml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# pg_dump/psql and gpg for `manage.py dbbackup` / `dbrestore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client gnupg \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .
# The hashed, compressed static files are part of the image. collectstatic reads
# no secret and no database: the key below exists only for this build step.
RUN DEBUG=0 SECRET_KEY=build-only-collectstatic-not-a-secret python manage.py collectstatic --no-input

# The code belongs to root; the app's user writes only the static files (the
# release step collects them again) and its data directory (uploads and local
# backups: MEDIA_ROOT, BACKUP_DIR in compose.yaml).
RUN useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin crystalbay \
    && mkdir -p /var/lib/crystalbay \
    && chown -R crystalbay:crystalbay /var/lib/crystalbay /app/staticfiles
USER crystalbay

EXPOSE 8000
ENTRYPOINT ["bin/serve"]
CMD ["web"]
