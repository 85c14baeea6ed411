import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from messaging.services.outbound import MAX_LENGTH


class ReplyForm(forms.Form):
    """A reply; ``token`` becomes the message's own id, so sending the same form
    twice (a double click, a resend) stores and sends one message."""

    text = forms.CharField(
        label=_("Reply"), max_length=MAX_LENGTH, strip=True,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control reply-text",
                                     "placeholder": _("Write a reply…"), "autocomplete": "off"}),
        error_messages={"required": _("Write the reply first.")},
    )
    token = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=[("open", _("Open")), ("closed", _("Closed"))])
