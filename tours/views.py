"""Tour search pages: thin views over ``tours.services`` (htmx partials when
``request.htmx``; every link and form also works without JavaScript)."""

import json
import logging
import uuid
from urllib.parse import unquote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from crm import access
from crm.roles import Role
from integrations.samo import actions, errors
from integrations.samo.client import samo_request
from tours.forms import AttachForm, BookForm, TourSearchForm
from tours.models import OfferSnapshot, SamoSyncRun
from tours.services.offers import can_attach, offer_attach, offer_book
from tours.services.search import offer_find, tour_group, tour_search

logger = logging.getLogger(__name__)
# Search parameters carried from the results to the expansion and attach links.
CARRIED = ("town_from", "state", "checkin_beg", "checkin_end", "nights_from", "nights_till", "adults", "children",
           "ages", "towns", "hotels", "stars", "meals", "price_min", "price_max", "currency", "with_flights", "page",
           "lead")


def can_search(user) -> bool:
    return access.can_read_all(user) or access.is_agent(user)


def is_samo_admin(user) -> bool:
    return bool(user.is_superuser and user.is_active) or Role.ADMIN in access.user_roles(user)


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied(_("You have no access to tour search."))


def _carried(request) -> str:
    query = request.GET.copy()
    for key in list(query):
        if key not in CARRIED:
            del query[key]
    return query.urlencode()


def lead_card_url(lead_id: int) -> str | None:
    """The lead card (``/leads/<id>/``) once the CRM pages serve it."""
    url = f"/leads/{lead_id}/"
    try:
        resolve(url)
    except Resolver404:
        return None
    return url


def _search_context(request, form: TourSearchForm) -> dict:
    context = {"form": form, "result": None, "search_error": None, "carried": _carried(request),
               "can_attach": can_attach(request.user), "is_samo_admin": is_samo_admin(request.user),
               "expanded": None, "group": None, "lead_id": request.GET.get("lead", "")}
    if not form.is_bound or not form.is_valid():
        return context
    query = form.to_query()
    try:
        context["result"] = tour_search(query, page=form.cleaned_data.get("page") or 1, options=form.options)
    except errors.SamoError as exc:
        context["search_error"] = exc
        return context
    result = context["result"]
    base = request.GET.copy()
    base.pop("expand", None)
    links = []
    for number in range(1, result.pages + 1):
        base["page"] = str(number)
        links.append((number, f"{reverse('tours:search')}?{base.urlencode()}"))
    context["page_links"] = links
    expand = request.GET.get("expand", "")
    if ":" in expand:
        hotel_id, _sep, row_id = expand.partition(":")
        if hotel_id.isdecimal():
            context["expanded"] = int(hotel_id)
            context["group"] = _group(query, row_id, int(hotel_id), form)
    return context


def _group(query, row_id: str, hotel_id: int, form) -> dict:
    try:
        return {"result": tour_group(query, row_id=row_id, hotel_id=hotel_id, options=form.options), "error": None,
                "row_id": row_id, "hotel_id": hotel_id}
    except errors.SamoError as exc:
        return {"result": None, "error": exc, "row_id": row_id, "hotel_id": hotel_id}


@login_required
@require_http_methods(["GET"])
def search(request):
    _require(can_search(request.user))
    form = TourSearchForm(request.GET if "town_from" in request.GET else None)
    context = _search_context(request, form)
    if request.htmx and request.htmx.target == "results":
        return render(request, "tours/search.html#results", context)
    return render(request, "tours/search.html", context)


@login_required
@require_http_methods(["GET"])
def search_filters(request):
    """The form's fields again, after the departure city or country changed (dependent selects)."""
    _require(can_search(request.user))
    form = TourSearchForm(request.GET)
    return render(request, "tours/search.html#filters", {"form": form, "lead_id": request.GET.get("lead", "")})


@login_required
@require_http_methods(["GET"])
def search_group(request):
    """Every offer of one hotel (its group expanded); without htmx, the search page with it open."""
    _require(can_search(request.user))
    if not request.htmx:
        return HttpResponseRedirect(f"{reverse('tours:search')}?{request.GET.urlencode()}")
    form = TourSearchForm(request.GET)
    context = {"carried": _carried(request), "can_attach": can_attach(request.user)}
    hotel_id, _sep, row_id = request.GET.get("expand", "").partition(":")
    if not form.is_valid() or not hotel_id.isdecimal():
        context["group"] = {"result": None, "error": _("The search has changed; search again."), "hotel_id": hotel_id}
    else:
        context["group"] = _group(form.to_query(), row_id, int(hotel_id), form)
    return render(request, "tours/search.html#group", context)


def _find_offer(request, form: TourSearchForm):
    """The offer the agent clicked, as SAMO priced it for the same search (cached), or None."""
    if not form.is_valid():
        return None
    group = None
    hotel_id, _sep, row_id = request.GET.get("expand", "").partition(":")
    if hotel_id.isdecimal() and row_id:
        group = (row_id, int(hotel_id))
    try:
        return offer_find(form.to_query(), offer_key=request.GET.get("offer", ""),
                          page=form.cleaned_data.get("page") or 1, group=group)
    except errors.SamoError:
        return None


@login_required
@require_http_methods(["GET", "POST"])
def attach(request):
    """Attach one offer of a search to a lead (existing or new), and optionally book it."""
    if not can_attach(request.user):
        raise PermissionDenied(_("You may not attach offers to leads."))
    search_form = TourSearchForm(request.GET)
    found = _find_offer(request, search_form)
    initial = {"token": uuid.uuid4(), "lead": request.GET.get("lead") or None}
    form = AttachForm(request.POST or None, user=request.user, initial=initial)
    if request.method == "POST" and found and form.is_valid():
        offer, result = found
        try:
            snapshot, created = offer_attach(
                user=request.user, offer=offer, result=result, lead=form.cleaned_data["lead"],
                client=form.cleaned_data["client"], request_token=form.cleaned_data["token"], trip=search_form.trip,
            )
            if form.cleaned_data.get("then") == "book":
                order, _created = offer_book(snapshot=snapshot, user=request.user)
                messages.success(request, _("Order №%(id)s created from the offer.") % {"id": order.pk})
            elif created:
                messages.success(request, _("The offer is attached to lead #%(id)s.") % {"id": snapshot.lead_id})
            else:
                messages.info(request, _("This offer was already attached to lead #%(id)s.") % {"id": snapshot.lead_id})
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        else:
            url = reverse("tours:offer", args=[snapshot.pk])
            return HttpResponseClientRedirect(url) if request.htmx else HttpResponseRedirect(url)
    context = {"form": form, "found": found, "carried": _carried(request),
               "expand": request.GET.get("expand", ""), "offer_key": request.GET.get("offer", "")}
    if request.htmx:
        return render(request, "tours/attach.html#panel", context)
    return render(request, "tours/attach.html", context)


def _offer_context(request, snapshot: OfferSnapshot, book_form: BookForm) -> dict:
    may_book = can_attach(request.user) and access.can_change(request.user, snapshot.lead)
    try:
        order_admin_url = reverse("admin:crm_order_change", args=[snapshot.order_id]) if snapshot.order_id else None
    except NoReverseMatch:
        order_admin_url = None
    return {"snapshot": snapshot, "book_form": book_form, "may_book": may_book,
            "lead_url": lead_card_url(snapshot.lead_id), "order_admin_url": order_admin_url}


@login_required
@require_http_methods(["GET"])
def offer_detail(request, pk: int):
    snapshot = access.get_visible_or_404(
        request.user, OfferSnapshot.objects.select_related("lead__client", "lead__stage", "order", "created_by"), pk=pk
    )
    return render(request, "tours/offer.html", _offer_context(request, snapshot, BookForm()))


@login_required
@require_POST
def offer_book_view(request, pk: int):
    snapshot = access.get_visible_or_404(
        request.user, OfferSnapshot.objects.select_related("lead__client", "lead__stage", "order"), pk=pk
    )
    form = BookForm(request.POST)
    if form.is_valid():
        try:
            order, created = offer_book(snapshot=snapshot, user=request.user,
                                        operator_booking_number=form.cleaned_data["operator_booking_number"])
        except (ValidationError, PermissionDenied) as exc:
            form.add_error(None, " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc))
        else:
            if created:
                messages.success(request, _("Order №%(id)s created (status: new).") % {"id": order.pk})
            else:
                messages.info(request, _("This offer is already booked as order №%(id)s.") % {"id": order.pk})
            return HttpResponseRedirect(reverse("tours:offer", args=[snapshot.pk]))
    snapshot.refresh_from_db()
    return render(request, "tours/offer.html", _offer_context(request, snapshot, form), status=200)


def _console_params(text: str) -> tuple[dict[str, str], list[str]]:
    """``KEY=value`` per line (or one JSON object) → parameters, and the lines that are not."""
    text = text.strip()
    if text.startswith("{"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}, [_("The parameters are not valid JSON.")]
        return {str(k): str(v) for k, v in data.items()}, []
    params, bad = {}, []
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            bad.append(line)
            continue
        params[key.strip()] = value.strip()
    return params, bad


@login_required
@require_http_methods(["GET", "POST"])
def console(request):
    """Admins run any SAMO action with parameters and see the masked request, the
    status, the time and the answer. Every run goes to the API log (by the client)."""
    if not is_samo_admin(request.user):
        raise PermissionDenied(_("The SAMO console is for administrators."))
    action = (request.POST.get("action") or request.GET.get("action") or "").strip()
    params_text = request.POST.get("params", "")
    context = {"known_actions": actions.KNOWN_ACTIONS, "action": action, "params_text": params_text, "run": None,
               "configured": bool(settings.SAMO_API_URL and settings.SAMO_OAUTH_TOKEN),
               "last_sync": SamoSyncRun.objects.first()}
    if request.method == "POST":
        params, bad = _console_params(params_text)
        if not action:
            context["form_error"] = _("Give an action name.")
        elif bad:
            context["form_error"] = _("Write one KEY=value per line: %(lines)s") % {"lines": "; ".join(bad)}
        else:
            logger.info("SAMO console: %s runs %s", request.user.get_username(), action)
            try:
                response = samo_request(action, params, retries=0)
            except errors.SamoError as exc:
                context["run"] = {"ok": False, "error": exc, "url": unquote(exc.request_url), "status": exc.status_code,
                                  "duration_ms": exc.duration_ms}
            else:
                body = json.dumps(response.payload, ensure_ascii=False, indent=2)
                context["run"] = {"ok": True, "url": unquote(response.request_url), "status": response.status_code,
                                  "duration_ms": response.duration_ms, "json": body, "demo": response.demo,
                                  "size": len(body)}
    if request.htmx:
        return render(request, "tours/console.html#run", context)
    return render(request, "tours/console.html", context)
