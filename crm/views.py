"""The agents' pages: the board, quick create, the lead card, My day.

Thin: each view parses input, asks ``crm.access`` (through the selectors and
services) and calls one service or selector. With htmx a view answers with the
part of its page that changed (a ``{% partialdef %}``); without it, with the
whole page or a redirect, so links and forms work without JavaScript.

One way to answer, everywhere: a form with errors comes back re-rendered with
status 200; a refused action answers 403 (not allowed), 409 (someone changed
the lead meanwhile) or 422 (the input breaks a rule) with a message and the
fresh state of what it touched; a row the person may not see is a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import reswap, trigger_client_event

from crm import access, selectors, services
from crm.forms import AssignForm, MoveForm, NoteForm, OrderForm, QuickCreateForm, TagsForm, TaskForm, TravelForm
from crm.models import Channel, Client, Lead, Stage, Tag, Task

BOARD = "crm/board.html"
LEAD = "crm/lead_detail.html"
MY_DAY = "crm/my_day.html"
QUICK_CREATE = "crm/quick_create.html"


def _require_role(user) -> None:
    """The lead pages are for the people who work or read leads; anyone else is refused."""
    if not (access.is_agent(user) or access.can_read_all(user)):
        raise PermissionDenied(_("Your account has no role that works with leads."))


def _error_message(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or _("You may not do this.")


def _status_for(exc: Exception) -> int:
    if isinstance(exc, PermissionDenied):
        return 403
    return 409 if getattr(exc, "code", None) == "stale" else 422


def _toast(request, text: str, level: str = "danger") -> str:
    return render_to_string(f"{BOARD}#toast", {"text": text, "level": level}, request=request)


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return fallback


# --- The board -----------------------------------------------------------------------


def _board_context(request, *, pipeline_slug=None):
    user = request.user
    pipelines = selectors.board_pipelines()
    pipeline = selectors.board_pipeline(pipelines, pipeline_slug or request.GET.get("pipeline"))
    filters = selectors.BoardFilters.from_query(request.GET)
    return {
        "pipelines": pipelines,
        "pipeline": pipeline,
        "filters": filters,
        "filter_query": filters.as_query(),
        "may_change": _may_work(user),
        "is_supervisor": access.is_supervisor(user),
    }


@login_required
@require_GET
def board(request):
    """The kanban board of a pipeline (the default one first), filtered by the URL."""
    _require_role(request.user)
    context = _board_context(request)
    context["columns"] = selectors.board_columns(user=request.user, pipeline=context["pipeline"],
                                                 filters=context["filters"])
    context["stages"] = [column.stage for column in context["columns"]]
    if request.htmx and not request.htmx.boosted:
        return render(request, f"{BOARD}#board", context)
    context["people"] = selectors.board_assignee_choices() if context["is_supervisor"] else []
    context["tags"] = list(Tag.objects.all())
    context["channels"] = Channel.choices
    return render(request, BOARD, context)


@login_required
@require_GET
def column(request, stage_id: int):
    """The next cards of one column ("show more"); without htmx, a page of them."""
    _require_role(request.user)
    stage = get_object_or_404(Stage.objects.select_related("pipeline"), pk=stage_id)
    context = _board_context(request, pipeline_slug=stage.pipeline.slug)
    context["column"] = selectors.column_page(user=request.user, stage=stage, filters=context["filters"],
                                              after=request.GET.get("after", ""))
    if request.htmx:
        return render(request, f"{BOARD}#column_page", context)
    return render(request, "crm/column.html", context)


def _fresh_columns(request, *, pipeline, stages, filters, full: bool) -> str:
    """The given columns as they are now, as out-of-band swaps: whole columns, or
    only their heads (count and total) when the cards are already in place.
    Drawn without the request: these fragments need nothing of the page around
    them (no navigation, no form token), so none of it is worked out again."""
    columns = selectors.board_columns(user=request.user, pipeline=pipeline, filters=filters,
                                      stages=sorted(stages, key=lambda stage: (stage.position, stage.pk)), cards=full)
    context = {"filter_query": filters.as_query(), "oob": True, "may_change": _may_work(request.user)}
    partial = "column" if full else "column_head"
    return "".join(render_to_string(f"{BOARD}#{partial}", {**context, "column": col, "head_oob": not full})
                   for col in columns)


@login_required
@require_POST
def lead_move(request, pk: int):
    """Move a card: a drop (between two neighbours), the card's stage menu, or the
    lead card's stage form. The answer carries the fresh state either way."""
    viewed = selectors.lead_for_user(user=request.user, pk=pk)
    form = MoveForm(request.POST)
    filters = selectors.BoardFilters.from_query(request.GET)
    stage = None
    error = None
    if not form.is_valid():
        error = ValidationError(" ".join(e for errs in form.errors.values() for e in errs))
        source = request.POST.get("source") if request.POST.get("source") in MoveForm.SOURCES else "card"
    else:
        data = form.cleaned_data
        source = data["source"]
        stage = Stage.objects.filter(pk=data["stage"]).first()
        if stage is None:
            error = ValidationError(_("There is no such stage."))
        else:
            try:
                services.lead_move(
                    lead=viewed, stage=stage, user=request.user, lost_reason=data["lost_reason"],
                    expected_version=data["version"], before_id=data["before"], after_id=data["after"],
                    place="top" if source == "menu" else "end",
                )
            except (ValidationError, PermissionDenied) as exc:
                error = exc
    if not request.htmx:
        if error:
            messages.error(request, _error_message(error))
        fallback = reverse("leads:detail", args=[pk]) if source == "card" else reverse("leads:board")
        return redirect(_safe_next(request, fallback))
    if error is None:
        if source == "card":
            lead = selectors.lead_for_user(user=request.user, pk=pk)
            return _lead_header_response(request, lead, toast=_("Moved to “%(stage)s”.") % {"stage": lead.stage.label})
        moved_columns = [viewed.stage] if stage.pk == viewed.stage_id else [viewed.stage, stage]
        if source == "drag":
            # The card is where it was dropped: draw it again (its version, its SLA), and the
            # heads of the columns it left and entered — nothing of a column within.
            body = render_to_string(f"{BOARD}#card", {
                "lead": selectors.board_card(user=request.user, pk=pk), "card_oob": True,
                "may_change": _may_work(request.user),
            })
            if len(moved_columns) > 1:
                body += _fresh_columns(request, pipeline=viewed.pipeline, stages=moved_columns, filters=filters,
                                       full=False)
            return HttpResponse(body)
        return HttpResponse(
            _fresh_columns(request, pipeline=viewed.pipeline, stages=moved_columns, filters=filters, full=True)
        )
    # The card goes back to where it really is now (a colleague may have moved it),
    # and the column it was dropped on is redrawn without it.
    stage_ids = {viewed.stage_id, *Lead.objects.filter(pk=pk).values_list("stage_id", flat=True)}
    if form.is_valid():
        stage_ids.add(form.cleaned_data["stage"])
    body = _toast(request, _error_message(error))
    if source == "card":
        body += _lead_header_html(request, selectors.lead_for_user(user=request.user, pk=pk), oob=True)
    else:
        stages = Stage.objects.filter(pk__in=stage_ids, pipeline=viewed.pipeline)
        body += _fresh_columns(request, pipeline=viewed.pipeline, stages=stages, filters=filters, full=True)
    return reswap(HttpResponse(body, status=_status_for(error)), "none")


# --- Quick create --------------------------------------------------------------------------


def _may_work(user) -> bool:
    """Agents, managers and admins change leads; accountants only read them."""
    return access.is_supervisor(user) or access.is_agent(user)


def _require_worker(user) -> None:
    if not _may_work(user):
        raise PermissionDenied(_("You may not create leads."))


@login_required
@require_http_methods(["GET", "POST"])
def quick_create(request):
    """Find the client (or start a new one) and describe the trip; the card lands
    in the first column. A double submit makes one lead."""
    _require_worker(request.user)
    pipeline = selectors.board_pipeline(selectors.board_pipelines(), request.GET.get("pipeline"))
    form = QuickCreateForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        client = None
        if data["client"]:
            client = access.get_visible_or_404(request.user, Client.objects.all(), pk=data["client"])
        try:
            lead_pk, created = services.submission_once(
                token=data["token"], user=request.user, kind="lead", create=lambda: services.lead_quick_create(
                    lead=form.lead(pipeline=pipeline), user=request.user, client=client,
                    full_name=data["full_name"], phone=data["phone"], email=data["email"],
                ).pk,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
            if exc.code == services.CLIENT_TAKEN:
                status = 409
        else:
            lead = Lead.objects.select_related("pipeline").get(pk=lead_pk)
            if not request.htmx:
                messages.success(request, _("Lead created."))
                return redirect("leads:detail", pk=lead.pk)
            first = lead.pipeline.stages.order_by("position", "pk").first()
            body = _fresh_columns(request, pipeline=lead.pipeline, stages=[first],
                                  filters=selectors.BoardFilters.from_query(request.GET), full=True)
            body += _toast(request, _("Lead created: %(lead)s") % {"lead": lead}, level="success")
            response = HttpResponse(body)
            return trigger_client_event(response, "crm:modal-close")
    context = {"form": form, "pipeline": pipeline}
    if request.htmx:
        return render(request, f"{QUICK_CREATE}#form", context, status=status)
    return render(request, QUICK_CREATE, context, status=status)


@login_required
@require_GET
def client_lookup(request):
    """Who the quick-create form is about: the client with this phone or e-mail
    (after normalisation), or clients the user may see whose name matches. A
    client the user may not see is a 409 that names nobody, as the API's."""
    _require_worker(request.user)
    phone, email = request.GET.get("phone", ""), request.GET.get("email", "")
    name = " ".join(request.GET.get("full_name", "").split())
    phone_error = ""
    try:
        phone_e164 = services.phone_normalize(phone)
    except ValidationError as exc:
        phone_e164, phone_error = None, _error_message(exc)
    try:
        found = services.client_find_for(user=request.user, phone=phone_e164, email=email)
    except ValidationError as exc:
        return render(request, f"{QUICK_CREATE}#lookup", {"taken": _error_message(exc)}, status=409)
    matches = []
    if found is None and len(name) >= 2:
        visible = access.visible_to(request.user, Client.objects.all())
        matches = list(visible.filter(full_name__icontains=name).order_by("full_name")[:5])
    context = {
        "found": found,
        "matches": matches,
        "phone_error": phone_error,
        "typed": bool(phone.strip() or email.strip() or name),
    }
    return render(request, f"{QUICK_CREATE}#lookup", context)


# --- The lead card ---------------------------------------------------------------------


def _lead_context(request, lead: Lead) -> dict:
    user = request.user
    may_change = access.can_change(user, lead)
    return {
        "lead": lead,
        "stages": selectors.lead_stages(lead),
        "may_change": may_change,
        "is_supervisor": access.is_supervisor(user),
        "may_take": access.is_agent(user) and lead.assignee_id is None,
        "people": selectors.board_assignee_choices() if access.is_supervisor(user) else [],
    }


def _lead_header_html(request, lead, *, oob=False) -> str:
    return render_to_string(f"{LEAD}#header", {**_lead_context(request, lead), "oob": oob}, request=request)


def _lead_header_response(request, lead, *, toast: str = "") -> HttpResponse:
    body = _lead_header_html(request, lead, oob=True)
    body += _timeline_html(request, lead, oob=True)
    if toast:
        body += _toast(request, toast, level="success")
    return HttpResponse(body)


def _timeline_html(request, lead, *, oob=False) -> str:
    page = selectors.timeline_page(user=request.user, lead=lead)
    return render_to_string(f"{LEAD}#timeline", {"lead": lead, "page": page, "oob": oob}, request=request)


@login_required
@require_GET
def lead_detail(request, pk: int):
    """The lead card: the trip, stage, agent, tags, tasks and orders, and the
    client's whole journey on one timeline."""
    lead = selectors.lead_for_user(user=request.user, pk=pk)
    selectors.prefetch_tags([lead])
    context = _lead_context(request, lead)
    may_assign_others = access.is_supervisor(request.user)
    context.update({
        "travel_form": None,
        "page": selectors.timeline_page(user=request.user, lead=lead, before=request.GET.get("before", "")),
        "tasks": selectors.lead_tasks(user=request.user, lead=lead),
        "orders": selectors.lead_orders(user=request.user, lead=lead),
        "assistant": selectors.lead_assistant(lead=lead),
        "note_form": NoteForm(),
        "task_form": TaskForm(may_assign_others=may_assign_others),
        "order_form": OrderForm(lead=lead),
        "all_tags": list(Tag.objects.all()),
    })
    return render(request, LEAD, context)


@login_required
@require_GET
def lead_timeline(request, pk: int):
    """An older page of the timeline ("show older")."""
    lead = selectors.lead_for_user(user=request.user, pk=pk)
    page = selectors.timeline_page(user=request.user, lead=lead, before=request.GET.get("before", ""))
    context = {"lead": lead, "page": page}
    if request.htmx:
        return render(request, f"{LEAD}#timeline_entries", context)
    return redirect("leads:detail", pk=pk)


def _refuse(request, exc, *, redirect_to: str):
    if request.htmx:
        return reswap(HttpResponse(_toast(request, _error_message(exc)), status=_status_for(exc)), "none")
    messages.error(request, _error_message(exc))
    return redirect(redirect_to)


@login_required
@require_http_methods(["GET", "POST"])
def lead_travel(request, pk: int):
    """The travel request: shown (GET), as a form (GET ?edit=1), saved (POST)."""
    lead = selectors.lead_for_user(user=request.user, pk=pk)
    context = _lead_context(request, lead)
    if request.method == "GET":
        if not request.htmx:
            if not (request.GET.get("edit") and context["may_change"]):
                return redirect("leads:detail", pk=pk)
            return render(request, "crm/lead_form_page.html",
                          {**context, "travel_form": TravelForm(instance=lead), "partial": "travel"})
        if request.GET.get("edit") and context["may_change"]:
            context["travel_form"] = TravelForm(instance=lead)
        return render(request, f"{LEAD}#travel", context)
    if not context["may_change"]:
        return _refuse(request, PermissionDenied(_("You may not change this lead.")),
                       redirect_to=reverse("leads:detail", args=[pk]))
    form = TravelForm(request.POST, instance=lead)
    if form.is_valid():
        try:
            lead = services.lead_update(lead=lead, user=request.user, changes=form.changes(),
                                        expected_version=form.cleaned_data["version"])
        except PermissionDenied as exc:
            return _refuse(request, exc, redirect_to=reverse("leads:detail", args=[pk]))
        except ValidationError as exc:
            if exc.code != "stale":
                form.add_error(None, exc)
            else:
                # Show what the lead is now, with the reason the edit was not saved.
                lead = selectors.lead_for_user(user=request.user, pk=pk)
                context = {**_lead_context(request, lead), "travel_error": _error_message(exc)}
                form = TravelForm(instance=lead)
        else:
            if not request.htmx:
                messages.success(request, _("Saved."))
                return redirect("leads:detail", pk=pk)
            lead = selectors.lead_for_user(user=request.user, pk=pk)
            context = _lead_context(request, lead)
            return HttpResponse(render_to_string(f"{LEAD}#travel", context, request=request)
                                + _timeline_html(request, lead, oob=True))
    context["travel_form"] = form
    if request.htmx:
        return render(request, f"{LEAD}#travel", context)
    return render(request, "crm/lead_form_page.html", {**context, "partial": "travel"})


@login_required
@require_POST
def lead_assign(request, pk: int):
    """Managers give the lead to someone (or no one); an agent takes a free lead."""
    lead = selectors.lead_for_user(user=request.user, pk=pk)
    if request.POST.get("take"):
        assignee = request.user
    else:
        form = AssignForm(request.POST)
        if not form.is_valid():
            return _refuse(request, ValidationError(_("Choose an agent.")), redirect_to=reverse("leads:detail", args=[pk]))
        assignee = form.cleaned_data["assignee"]
    try:
        services.lead_assign(lead=lead, assignee=assignee, user=request.user)
    except (PermissionDenied, ValidationError) as exc:
        return _refuse(request, exc, redirect_to=reverse("leads:detail", args=[pk]))
    if not request.htmx:
        return redirect(_safe_next(request, reverse("leads:detail", args=[pk])))
    return _lead_header_response(request, selectors.lead_for_user(user=request.user, pk=pk))


@login_required
@require_http_methods(["GET", "POST"])
def lead_tags(request, pk: int):
    """The lead's tags: shown, as a form (?edit=1), saved; a new tag can be added."""
    lead = selectors.lead_for_user(user=request.user, pk=pk)
    context = {**_lead_context(request, lead), "all_tags": list(Tag.objects.all())}
    if request.method == "POST":
        form = TagsForm(request.POST)
        if not context["may_change"]:
            return _refuse(request, PermissionDenied(_("You may not change this lead.")),
                           redirect_to=reverse("leads:detail", args=[pk]))
        if form.is_valid():
            tags = list(form.cleaned_data["tags"])
            if new_name := " ".join(form.cleaned_data["new_tag"].split()):
                with transaction.atomic():
                    tag, _created = Tag.objects.get_or_create(name=new_name)
                tags.append(tag)
            try:
                services.lead_set_tags(lead=lead, user=request.user, tags=tags)
            except PermissionDenied as exc:
                return _refuse(request, exc, redirect_to=reverse("leads:detail", args=[pk]))
            if not request.htmx:
                return redirect("leads:detail", pk=pk)
            lead = selectors.lead_for_user(user=request.user, pk=pk)
            context = {**_lead_context(request, lead), "all_tags": list(Tag.objects.all())}
        else:
            context["tags_form_errors"] = form.errors
            context["editing_tags"] = True
    else:
        context["editing_tags"] = bool(request.GET.get("edit")) and context["may_change"]
    selectors.prefetch_tags([context["lead"]])
    return render(request, f"{LEAD}#tags", context)


def _lead_create_view(request, pk: int, *, form_class, kind: str, create, partial: str, form_name: str, **form_kwargs):
    """The shared shape of "add a note / a task / an order" on the lead card: a
    token-guarded create, then the fresh list and timeline, or the form with errors."""
    lead = selectors.lead_for_user(user=request.user, pk=pk)
    form = form_class(request.POST, **form_kwargs)
    if form.is_valid():
        try:
            _row_id, created = services.submission_once(
                token=form.cleaned_data["token"], user=request.user, kind=kind,
                create=lambda: create(lead, form.cleaned_data, form),
            )
        except PermissionDenied as exc:
            return _refuse(request, exc, redirect_to=reverse("leads:detail", args=[pk]))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if not request.htmx:
                return redirect("leads:detail", pk=pk)
            lead = selectors.lead_for_user(user=request.user, pk=pk)
            context = {**_lead_context(request, lead), form_name: form_class(**form_kwargs),
                       "tasks": selectors.lead_tasks(user=request.user, lead=lead),
                       "orders": selectors.lead_orders(user=request.user, lead=lead)}
            body = render_to_string(f"{LEAD}#{partial}", context, request=request)
            return HttpResponse(body + _timeline_html(request, lead, oob=True))
    context = {**_lead_context(request, lead), form_name: form,
               "tasks": selectors.lead_tasks(user=request.user, lead=lead),
               "orders": selectors.lead_orders(user=request.user, lead=lead)}
    if request.htmx:
        return render(request, f"{LEAD}#{partial}", context)
    return render(request, "crm/lead_form_page.html", {**context, "partial": partial})


@login_required
@require_POST
def lead_note(request, pk: int):
    return _lead_create_view(
        request, pk, form_class=NoteForm, kind="note", partial="note_form", form_name="note_form",
        create=lambda lead, data, form: services.note_add(lead=lead, user=request.user, text=data["text"]).pk,
    )


@login_required
@require_POST
def lead_task(request, pk: int):
    def create(lead, data, form):
        return services.task_create(
            user=request.user, title=data["title"], due_at=data["due_at"],
            lead=None if data["on_client"] else lead, client=lead.client if data["on_client"] else None,
            assignee=data.get("assignee"),
        ).pk

    return _lead_create_view(request, pk, form_class=TaskForm, kind="task", partial="tasks", form_name="task_form",
                             create=create, may_assign_others=access.is_supervisor(request.user))


@login_required
@require_POST
def lead_order(request, pk: int):
    lead = selectors.lead_for_user(user=request.user, pk=pk)
    return _lead_create_view(
        request, pk, form_class=OrderForm, kind="order", partial="orders", form_name="order_form", lead=lead,
        create=lambda lead, data, form: services.order_create(order=form.instance, user=request.user).pk,
    )


# --- My day ---------------------------------------------------------------------------------


@login_required
@require_GET
def my_day(request):
    """The person's open tasks (overdue, today, upcoming) and notifications."""
    _require_role(request.user)
    day = selectors.my_day(user=request.user)
    # The navigation's badge shows the count the page has just made.
    return render(request, MY_DAY, {"day": day, "now": timezone.now(), "notifications_unread": day.unread})


@login_required
@require_POST
def task_done(request, pk: int):
    task = access.get_visible_or_404(request.user, Task.objects.select_related("lead", "client"), pk=pk)
    try:
        task = services.task_complete(task=task, user=request.user)
    except PermissionDenied as exc:
        return _refuse(request, exc, redirect_to=reverse("my_day:page"))
    if not request.htmx:
        return redirect(_safe_next(request, reverse("my_day:page")))
    task = Task.objects.select_related("lead", "client", "assignee").get(pk=task.pk)
    return render(request, f"{MY_DAY}#task_row", {"task": task, "now": timezone.now()})


@login_required
@require_POST
def notifications_read(request):
    _require_role(request.user)
    services.notifications_mark_read(user=request.user)
    if not request.htmx:
        return redirect("my_day:page")
    return render(request, f"{MY_DAY}#notifications", {"day": selectors.my_day(user=request.user), "marked_read": True})
