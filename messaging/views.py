"""The inbox pages. Thin: each view parses input, asks the selectors (which start
from ``crm.access``) and calls one service. With htmx a view answers with the
part that changed (a ``{% partialdef %}``); without it, with the whole page or a
redirect, so links and forms work without JavaScript.

Rights are the leads' ones: agents see and work their own and unassigned
conversations (anything else is a 404), managers and admins all, accountants
read everything and change nothing (403).
"""

import contextlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages as flash
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap, trigger_client_event

from crm import access
from crm.services.matching import merge_suggestion_dismiss
from messaging import selectors
from messaging.assistant.services import draft_discard, draft_regenerate, draft_send, draft_visible
from messaging.forms import ReplyForm, StatusForm
from messaging.models import Message, Platform
from messaging.services.conversations import (
    assignee_choices,
    conversation_assign,
    conversation_mark_read,
    conversation_set_status,
)
from messaging.services.outbound import may_reply, message_retry, reply_create

INBOX = "messaging/inbox.html"
MESSAGE_TEXT = "messaging/message_text.html"
PENDING = (Message.Status.QUEUED, Message.Status.SENDING)
# How many times (a second apart) the reply box asks whether another draft is written.
DRAFT_WAIT_POLLS = 60


def _require_role(user) -> None:
    if not (access.is_agent(user) or access.can_read_all(user)):
        raise PermissionDenied(_("Your account has no role that works with conversations."))


def _error_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do this.")


def _refuse(request, exc: Exception, *, redirect_to: str) -> HttpResponse:
    status = 403 if isinstance(exc, PermissionDenied) else 422
    if request.htmx:
        toast = render_to_string(f"{INBOX}#toast", {"text": _error_message(exc)}, request=request)
        return reswap(HttpResponse(toast, status=status), "none")
    flash.error(request, _error_message(exc))
    return redirect(redirect_to)


def _list_context(request) -> dict:
    filters = selectors.InboxFilters.from_query(request.GET, user=request.user)
    return {
        "filters": filters,
        "filters_qs": urlencode(filters.as_query()),
        "conversations": selectors.conversation_list(user=request.user, filters=filters),
        "platforms": Platform.choices,
        "scopes": [("mine", _("Mine")), ("unassigned", _("Unassigned")), ("all", _("All"))],
        "list_poll_seconds": settings.INBOX_POLL_SECONDS * 3,
    }


def _thread_context(request, conversation) -> dict:
    user = request.user
    messages = selectors.thread_messages(conversation=conversation)
    return {
        "conversation": conversation,
        "thread": messages,
        "last_id": messages[-1].pk if messages else 0,
        "pending_ids": ",".join(str(m.pk) for m in messages if m.status in PENDING),
        "may_reply": may_reply(user, conversation),
        "is_supervisor": access.is_supervisor(user),
        "may_take": access.is_agent(user) and conversation.assignee_id is None,
        "people": list(assignee_choices()) if access.is_supervisor(user) else [],
        "suggestions": selectors.merge_suggestions_for(conversation, user=user),
        "poll_seconds": settings.INBOX_POLL_SECONDS,
        **_reply_box(conversation),
    }


def _reply_box(conversation, form: ReplyForm | None = None) -> dict:
    """The reply box: the assistant's pending draft in it, when there is one."""
    draft = selectors.pending_draft(conversation)
    return {"draft": draft, "known_draft": draft.pk if draft else 0,
            "reply_form": form or ReplyForm(initial={"text": draft.text} if draft else None)}


@login_required
@require_GET
def inbox(request):
    """The conversation list with its filters (and, on a wide screen, room for a thread)."""
    _require_role(request.user)
    return render(request, INBOX, _list_context(request))


@login_required
@require_GET
def conversation_list(request):
    """The list alone: for the filters and the periodic refresh."""
    _require_role(request.user)
    if not request.htmx:
        return redirect(reverse("messaging:inbox") + ("?" + request.GET.urlencode() if request.GET else ""))
    return render(request, f"{INBOX}#conversation_list", _list_context(request))


@login_required
@require_GET
def conversation_detail(request, pk: int):
    """One conversation: its thread, the reply box, assignment and status, beside the list."""
    _require_role(request.user)
    conversation = selectors.conversation_for_user(user=request.user, pk=pk)
    conversation_mark_read(conversation=conversation, user=request.user)
    context = {**_list_context(request), **_thread_context(request, conversation)}
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, f"{INBOX}#thread", context)
    return render(request, INBOX, context)


@login_required
@require_GET
def thread_poll(request, pk: int):
    """What changed in an open thread since the page has drawn it: new messages
    (after the id ``after``) and the fresh state of replies still being sent
    (``pending``). Opening a thread reads it, so new inbound messages are read too."""
    _require_role(request.user)
    conversation = selectors.conversation_for_user(user=request.user, pk=pk)
    after = 0
    with contextlib.suppress(ValueError):
        after = int(request.GET.get("after", "0"))
    pending = [int(part) for part in request.GET.get("pending", "").split(",") if part.isdecimal()][:50]
    new = selectors.thread_messages(conversation=conversation, after=after)
    waiting = list(conversation.messages.filter(pk__in=pending, pk__lte=after).select_related("author")) \
        if pending else []
    if new:
        conversation_mark_read(conversation=conversation, user=request.user)
    updated = [m for m in waiting if m.status not in PENDING]
    still_pending = [m.pk for m in (*waiting, *new) if m.status in PENDING]
    known = request.GET.get("draft", "")
    draft = selectors.pending_draft(conversation)
    context = {
        "conversation": conversation, "new": new, "updated": updated,
        "last_id": new[-1].pk if new else after, "pending_ids": ",".join(map(str, still_pending)),
        "poll_seconds": settings.INBOX_POLL_SECONDS, "may_reply": may_reply(request.user, conversation),
        "fresh_draft": draft if draft and str(draft.pk) != known else None, "known_draft": draft.pk if draft else 0,
    }
    return render(request, f"{INBOX}#poll_response", context)


@login_required
@require_POST
def reply(request, pk: int):
    """Store the reply (sent by the worker); the thread's poller then shows it.
    Sending the same form twice stores it once."""
    _require_role(request.user)
    conversation = selectors.conversation_for_user(user=request.user, pk=pk)
    here = reverse("messaging:conversation", args=[pk])
    form = ReplyForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return render(request, f"{INBOX}#reply_form", {"conversation": conversation, "reply_form": form,
                                                            "may_reply": True})
        flash.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(here)
    draft_id = request.POST.get("draft", "")
    try:
        if draft_id.isdecimal():
            draft_send(draft=draft_visible(request.user, int(draft_id)), user=request.user,
                       text=form.cleaned_data["text"])
        else:
            reply_create(conversation=conversation, user=request.user, text=form.cleaned_data["text"],
                         crm_id=form.cleaned_data["token"])
    except (PermissionDenied, ValidationError) as exc:
        return _refuse(request, exc, redirect_to=here)
    if not request.htmx:
        return redirect(here)
    response = render(request, f"{INBOX}#reply_form", {"conversation": conversation, "may_reply": True,
                                                        **_reply_box(conversation)})
    # The thread's poller shows the reply; the list shows it as the latest message.
    return trigger_client_event(trigger_client_event(response, "inbox:poll"), "inbox:list")


def _header_action(request, pk: int, change) -> HttpResponse:
    """Run ``change(conversation)`` (a service call that may refuse), then answer with
    the fresh thread header (htmx) or back to the thread."""
    _require_role(request.user)
    conversation = selectors.conversation_for_user(user=request.user, pk=pk)
    here = reverse("messaging:conversation", args=[pk])
    try:
        change(conversation)
    except (PermissionDenied, ValidationError) as exc:
        return _refuse(request, exc, redirect_to=here)
    if not request.htmx:
        return redirect(here)
    conversation = selectors.conversation_for_user(user=request.user, pk=pk)
    response = render(request, f"{INBOX}#thread_header", _thread_context(request, conversation))
    return trigger_client_event(response, "inbox:list")


@login_required
@require_POST
def assign(request, pk: int):
    """Managers give the conversation to someone (or no one); an agent takes a free one."""
    def change(conversation):
        assignee = None
        if request.POST.get("take"):
            assignee = request.user
        elif chosen := request.POST.get("assignee", ""):
            assignee = get_user_model().objects.filter(pk=chosen).first() if chosen.isdecimal() else None
            if assignee is None:
                raise ValidationError(_("Choose someone."))
        conversation_assign(conversation=conversation, assignee=assignee, user=request.user)

    return _header_action(request, pk, change)


@login_required
@require_POST
def set_status(request, pk: int):
    """Close or reopen the conversation."""
    def change(conversation):
        form = StatusForm(request.POST)
        if not form.is_valid():
            raise ValidationError(_("Unknown status."))
        conversation_set_status(conversation=conversation, user=request.user, status=form.cleaned_data["status"])

    return _header_action(request, pk, change)


@login_required
@require_GET
def reply_box(request, pk: int):
    """The reply box afresh: with the assistant's pending draft in it."""
    _require_role(request.user)
    conversation = selectors.conversation_for_user(user=request.user, pk=pk)
    if not request.htmx:
        return redirect("messaging:conversation", pk)
    context = {"conversation": conversation, "may_reply": may_reply(request.user, conversation),
               "clear_notice": True, **_reply_box(conversation)}
    waited = request.GET.get("waiting", "")
    if waited.isdecimal() and context["draft"] is None and int(waited) < DRAFT_WAIT_POLLS:
        context["writing"] = int(waited) + 1  # another draft is being written: ask again shortly
    return render(request, f"{INBOX}#reply_form", context)


def _draft_action(request, pk: int, change, *, writing: bool = False) -> HttpResponse:
    """Discard a draft or write another; answer with the fresh reply box."""
    _require_role(request.user)
    draft = draft_visible(request.user, pk)
    conversation = selectors.conversation_for_user(user=request.user, pk=draft.conversation_id)
    here = reverse("messaging:conversation", args=[conversation.pk])
    try:
        change(draft)
    except (PermissionDenied, ValidationError) as exc:
        return _refuse(request, exc, redirect_to=here)
    if not request.htmx:
        return redirect(here)
    context = {"conversation": conversation, "may_reply": True, "clear_notice": True, **_reply_box(conversation)}
    if writing and context["draft"] is None:
        context["writing"] = 1
    return render(request, f"{INBOX}#reply_form", context)


@login_required
@require_POST
def draft_discard_view(request, pk: int):
    return _draft_action(request, pk, lambda draft: draft_discard(draft=draft, user=request.user))


@login_required
@require_POST
def draft_regenerate_view(request, pk: int):
    return _draft_action(request, pk, lambda draft: draft_regenerate(draft=draft, user=request.user), writing=True)


@login_required
@require_POST
def retry(request, pk: int):
    """Send a failed reply again."""
    _require_role(request.user)
    message = access.get_visible_or_404(request.user, Message.objects.select_related("conversation", "author"), pk=pk)
    here = reverse("messaging:conversation", args=[message.conversation_id])
    try:
        message_retry(message=message, user=request.user)
    except PermissionDenied as exc:
        return _refuse(request, exc, redirect_to=here)
    if not request.htmx:
        return redirect(here)
    message.refresh_from_db()
    return render(request, f"{INBOX}#message", {"message": message, "conversation": message.conversation,
                                                "may_reply": True})


@login_required
@require_GET
def message_text(request, pk: int):
    """The whole text of a message the thread (or the lead's timeline) shows
    shortened, for those who may read its conversation: in place with htmx, else
    as a page of its own."""
    _require_role(request.user)
    message = access.get_visible_or_404(request.user, Message.objects.select_related("conversation"), pk=pk)
    if request.htmx:
        return render(request, f"{MESSAGE_TEXT}#text", {"message": message})
    return render(request, MESSAGE_TEXT, {"message": message, "conversation": message.conversation})


@login_required
@require_POST
def dismiss_suggestion(request, pk: int, suggestion_id: int):
    """"Not the same person" on a merge suggestion shown in the thread."""
    _require_role(request.user)
    conversation = selectors.conversation_for_user(user=request.user, pk=pk)
    suggestion = next((s for s in selectors.merge_suggestions_for(conversation, user=request.user) if s.pk == suggestion_id), None)
    here = reverse("messaging:conversation", args=[pk])
    if suggestion is None:
        raise Http404
    try:
        merge_suggestion_dismiss(suggestion=suggestion, user=request.user)
    except PermissionDenied as exc:
        return _refuse(request, exc, redirect_to=here)
    if not request.htmx:
        return redirect(here)
    return HttpResponse("")


@login_required
@require_GET
def unread_badge(request):
    """The navigation's unread count, refreshed by the page every little while."""
    _require_role(request.user)
    return render(request, "messaging/unread_badge.html", {"inbox_unread": selectors.unread_total(request.user)})
