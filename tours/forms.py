"""The tour search form (the page and ``GET /api/v1/tours/search/`` share it) and
the attach form. Choices come from SAMO reference data through the cache; a
country depends on the departure city, resorts, hotels, meals, stars and
currencies on both."""

import re

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from crm import access
from crm.models import Client, Lead, StageKind
from integrations.samo import errors
from integrations.samo.actions import PriceQuery
from tours.services.reference import DirectionOptions, countries, departure_cities, direction_options
from tours.services.search import DEFAULT_NIGHTS, default_window

MAX_WINDOW_DAYS = 30
MAX_CHILDREN = 4


def _choices(items) -> list[tuple[int, str]]:
    return [(item.id, item.name) for item in items]


class TourSearchForm(forms.Form):
    town_from = forms.TypedChoiceField(label=_("From"), coerce=int)
    state = forms.TypedChoiceField(label=_("Country"), coerce=int)
    checkin_beg = forms.DateField(label=_("Departure from"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    checkin_end = forms.DateField(label=_("Departure to"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    nights_from = forms.IntegerField(label=_("Nights from"), min_value=1, max_value=30)
    nights_till = forms.IntegerField(label=_("Nights to"), min_value=1, max_value=30)
    adults = forms.IntegerField(label=_("Adults"), min_value=1, max_value=9)
    children = forms.IntegerField(label=_("Children"), min_value=0, max_value=MAX_CHILDREN, required=False)
    ages = forms.CharField(label=_("Children's ages"), required=False, max_length=40,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. 5, 9"), "inputmode": "numeric"}))
    towns = forms.TypedMultipleChoiceField(label=_("Resorts"), coerce=int, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    hotels = forms.TypedMultipleChoiceField(label=_("Hotels"), coerce=int, required=False,
                                            widget=forms.SelectMultiple(attrs={"size": 6}))
    stars = forms.TypedMultipleChoiceField(label=_("Stars"), coerce=int, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    meals = forms.TypedMultipleChoiceField(label=_("Meals"), coerce=int, required=False,
                                           widget=forms.CheckboxSelectMultiple)
    price_min = forms.DecimalField(label=_("Price from"), min_value=0, max_digits=12, decimal_places=2, required=False)
    price_max = forms.DecimalField(label=_("Price to"), min_value=0, max_digits=12, decimal_places=2, required=False)
    currency = forms.TypedChoiceField(label=_("Currency"), coerce=int, required=False)
    with_flights = forms.BooleanField(label=_("Only with flight seats"), required=False)
    page = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)

    def __init__(self, data=None, **kwargs):
        super().__init__(data, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple):
                widget.attrs["class"] = "form-check-input"
            elif isinstance(widget, forms.Select):
                widget.attrs["class"] = "form-select"
            else:
                widget.attrs["class"] = "form-control"
        self.samo_error: errors.SamoError | None = None
        self.options: DirectionOptions | None = None
        self.reference_fetched = []
        self.town_from_name = self.state_name = ""
        try:
            self._load_choices()
        except errors.SamoError as exc:
            self.samo_error = exc

    def _chosen(self, name: str, choices: list[tuple[int, str]], default: int | None) -> int | None:
        ids = [value for value, _label in choices]
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        try:
            value = int(raw)
        except (TypeError, ValueError):
            value = None
        return value if value in ids else default if default in ids else (ids[0] if ids else None)

    def _load_choices(self) -> None:
        cities, fetched = departure_cities()
        self.reference_fetched.append(fetched)
        self.fields["town_from"].choices = _choices(cities)
        default_city = next((c.id for c in cities if c.is_default), None)
        default_city = next((c.id for name in settings.SAMO_DEPARTURE_CITIES for c in cities if c.matches(name)),
                            default_city)
        town_from = self._chosen("town_from", self.fields["town_from"].choices, default_city)
        if town_from is None:
            return
        self.town_from_name = dict(self.fields["town_from"].choices)[town_from]
        states, fetched = countries(town_from=town_from)
        self.reference_fetched.append(fetched)
        self.fields["state"].choices = _choices(states)
        default_state = next((s.id for name in settings.SAMO_COUNTRIES for s in states if s.matches(name)), None)
        state = self._chosen("state", self.fields["state"].choices, default_state)
        if state is None:
            return
        self.state_name = dict(self.fields["state"].choices)[state]
        self.options = options = direction_options(town_from=town_from, state=state)
        self.reference_fetched.extend(options.fetched)
        self.fields["towns"].choices = _choices(options.resorts)
        self.fields["hotels"].choices = [(h.id, f"{h.name} {h.star}".strip()) for h in options.hotels]
        self.fields["stars"].choices = _choices(options.stars)
        self.fields["meals"].choices = _choices(options.meals)
        self.fields["currency"].choices = [(c.id, c.code or c.name) for c in options.currencies]
        if not self.is_bound:
            beg, end = default_window()
            self.initial = {
                "town_from": town_from, "state": state, "checkin_beg": beg, "checkin_end": end,
                "nights_from": DEFAULT_NIGHTS[0], "nights_till": DEFAULT_NIGHTS[1], "adults": 2, "children": 0,
                "currency": options.default_currency.id if options.default_currency else None, **self.initial,
            }

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}-error"

    @property
    def reference_stale(self):
        """The oldest stale reference answer the choices come from, if any."""
        stale = [f for f in self.reference_fetched if f.stale]
        return max(stale, key=lambda f: f.age_seconds) if stale else None

    def clean_ages(self) -> list[int]:
        text = self.cleaned_data.get("ages") or ""
        parts = [part for part in re.split(r"[\s,;]+", text) if part]
        if not all(part.isdecimal() and 0 <= int(part) <= 17 for part in parts):
            raise forms.ValidationError(_("Ages are whole years from 0 to 17, separated by commas."))
        return [int(part) for part in parts]

    def clean(self):
        data = super().clean()
        if self.samo_error is not None:
            raise forms.ValidationError(
                _("The search cannot run: %(error)s") % {"error": self.samo_error}, code="samo_unavailable"
            )
        beg, end = data.get("checkin_beg"), data.get("checkin_end")
        if beg and beg < timezone.localdate():
            self.add_error("checkin_beg", _("Departure cannot be in the past."))
        if beg and end and end < beg:
            self.add_error("checkin_end", _("The departure window must end on or after its first day."))
        elif beg and end and (end - beg).days > MAX_WINDOW_DAYS:
            self.add_error("checkin_end", _("The departure window may be at most %(days)s days.") % {"days": MAX_WINDOW_DAYS})
        nights_from, nights_till = data.get("nights_from"), data.get("nights_till")
        if nights_from and nights_till and nights_till < nights_from:
            self.add_error("nights_till", _("“Nights to” must not be less than “nights from”."))
        children = data.get("children") or 0
        data["children"] = children
        ages = data.get("ages")
        if ages is not None and len(ages) != children:
            self.add_error("ages", ngettext(
                "Give one age per child: %(children)s child, %(ages)s age(s) given.",
                "Give one age per child: %(children)s children, %(ages)s age(s) given.",
                children,
            ) % {"children": children, "ages": len(ages)})
        price_min, price_max = data.get("price_min"), data.get("price_max")
        if price_min is not None and price_max is not None and price_max < price_min:
            self.add_error("price_max", _("“Price to” must not be less than “price from”."))
        if not data.get("currency") and self.options and self.options.default_currency:
            data["currency"] = self.options.default_currency.id
        if not data.get("currency") and "currency" not in self.errors:
            self.add_error("currency", _("SAMO lists no currency for this direction."))
        return data

    def to_query(self) -> PriceQuery:
        data = self.cleaned_data
        return PriceQuery(
            town_from=data["town_from"], state=data["state"], checkin_beg=data["checkin_beg"],
            checkin_end=data["checkin_end"], nights_from=data["nights_from"], nights_till=data["nights_till"],
            adults=data["adults"], children=data["children"], ages=tuple(data["ages"]), currency=data["currency"],
            towns=tuple(data["towns"]), hotels=tuple(data["hotels"]), stars=tuple(data["stars"]),
            meals=tuple(data["meals"]), cost_min=data.get("price_min"), cost_max=data.get("price_max"),
            with_flights=bool(data.get("with_flights")),
        )

    @property
    def trip(self) -> dict:
        return {"departure_city": self.town_from_name, "country": self.state_name}


LEAD_CHOICES_LIMIT = 200


class LeadChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, lead):
        where = lead.destination_resort or lead.destination_country
        return f"#{lead.pk} {lead.client.full_name}" + (f" — {where}" if where else "") + f" · {lead.stage.label}"


class AttachForm(forms.Form):
    """Attach to a lead the user may change, or open a new lead for a client the user sees."""

    lead = LeadChoiceField(label=_("Lead"), queryset=Lead.objects.none(), required=False,
                           empty_label=_("— a new lead —"))
    client = forms.ModelChoiceField(label=_("Client of the new lead"), queryset=Client.objects.none(), required=False,
                                    empty_label=_("— choose a client —"))
    token = forms.UUIDField(widget=forms.HiddenInput)
    then = forms.ChoiceField(choices=[("attach", "attach"), ("book", "book")], required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        leads = access.visible_to(user, Lead.objects.exclude(stage__kind=StageKind.LOST))
        recent = leads.order_by("-created_at").values("pk")[:LEAD_CHOICES_LIMIT]
        self.fields["lead"].queryset = Lead.objects.filter(pk__in=recent).select_related("client", "stage").order_by("-created_at")
        clients = access.visible_to(user, Client.objects.all())
        self.fields["client"].queryset = Client.objects.filter(pk__in=clients.order_by("full_name").values("pk")[:LEAD_CHOICES_LIMIT])

    def clean(self):
        data = super().clean()
        if not data.get("lead") and not data.get("client"):
            raise forms.ValidationError(_("Choose a lead, or a client to open a new lead for."))
        return data


class BookForm(forms.Form):
    operator_booking_number = forms.CharField(
        label=_("Operator booking number"), max_length=50, required=False,
        help_text=_("The claim number from the operator's agent portal, if already booked there."),
    )

