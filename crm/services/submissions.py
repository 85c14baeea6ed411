"""Create forms submitted twice (a double click, a browser resend) make one row."""

import uuid
from collections.abc import Callable

from django.db import IntegrityError, transaction

from crm.models import FormSubmission


@transaction.atomic
def submission_once(*, token: uuid.UUID, user, kind: str, create: Callable[[], int]) -> tuple[int | None, bool]:
    """Run ``create`` (which returns the id of the row it made) once per form token.

    The token row is inserted first, in the same transaction as the row it
    guards: a second submit of the same form waits for the first, then finds
    its token and gets the first one's row id back with ``False`` instead of
    creating again. When ``create`` fails, the token goes too, so the person can
    correct the form and send it again."""
    try:
        with transaction.atomic():
            submission = FormSubmission.objects.create(token=token, user=user, kind=kind)
    except IntegrityError:
        earlier = FormSubmission.objects.filter(token=token, user=user, kind=kind).first()
        if earlier is None:
            raise
        return earlier.object_id, False
    submission.object_id = create()
    submission.save(update_fields=["object_id"])
    return submission.object_id, True
