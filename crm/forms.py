"""Forms of the lead pages: they parse and validate input; the rules are in services."""

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.admin_mixins import StaffChoiceField, staff_users
from crm.models import Channel, Currency, Lead, MealPlan, Order, Tag
from crm.services.leads import TRAVEL_FIELDS

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class StyledMixin:
    """Bootstrap classes on every widget; fields with errors are marked invalid."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.CheckboxSelectMultiple | forms.HiddenInput):
                css = "form-check-input" if isinstance(widget, forms.CheckboxInput) else ""
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            if css:
                widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = (widget.attrs.get("class", "") + " is-invalid").strip()
                widget.attrs["aria-invalid"] = "true"


class TokenMixin(forms.Form):
    """A create form carries a token, so sending it twice creates one row."""

    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)


def children_ages_parse(raw: str, *, children: int | None) -> list[int]:
    """"3, 7" → [3, 7]: one age (0–17) per child."""
    parts = [part for part in raw.replace(";", ",").replace(" ", ",").split(",") if part]
    try:
        ages = [int(part) for part in parts]
    except ValueError:
        raise forms.ValidationError(_("Write the ages as whole numbers separated by commas, e.g. 3, 7.")) from None
    if any(age < 0 or age > 17 for age in ages):
        raise forms.ValidationError(_("A child is 0 to 17 years old."))
    if children is not None and ages and len(ages) != children:
        raise forms.ValidationError(_("Give one age per child (%(count)s)."), params={"count": children})
    return ages


class TravelFieldsMixin:
    """The checks a travel request needs, with messages a person understands."""

    def clean_travel(self, cleaned):
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("The latest departure is before the earliest."))
        nights_from, nights_to = cleaned.get("nights_from"), cleaned.get("nights_to")
        if nights_from and nights_to and nights_to < nights_from:
            self.add_error("nights_to", _("The most nights are fewer than the fewest."))
        if "children_ages" in self.fields and "children_ages" not in self.errors:
            try:
                cleaned["children_ages"] = children_ages_parse(
                    self.data.get(self.add_prefix("children_ages"), ""), children=cleaned.get("children")
                )
            except forms.ValidationError as exc:
                self.add_error("children_ages", exc)
        return cleaned


class TravelForm(StyledMixin, TravelFieldsMixin, forms.ModelForm):
    """The travel request on the lead card, edited inline; ``version`` guards against
    overwriting a colleague's change."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    children_ages = forms.CharField(label=_("children's ages"), required=False,
                                    help_text=_("Separated by commas, e.g. 3, 7."))

    class Meta:
        model = Lead
        fields = [name for name in TRAVEL_FIELDS if name != "children_ages"]
        widgets = {"date_from": DATE, "date_to": DATE, "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["version"] = self.instance.version
            self.initial["children_ages"] = ", ".join(str(age) for age in self.instance.children_ages or [])
        for name in ("budget", "adults", "children", "nights_from", "nights_to", "hotel_stars"):
            self.fields[name].widget.attrs["min"] = 0

    def clean_budget(self):
        budget = self.cleaned_data.get("budget")
        if budget is not None and budget < 0:
            raise forms.ValidationError(_("The budget cannot be negative."))
        return budget

    def clean(self):
        return self.clean_travel(super().clean())

    def _post_clean(self):
        # The service validates the model and its constraints on save, under a lock.
        pass

    def changes(self) -> dict:
        return {name: self.cleaned_data[name] for name in TRAVEL_FIELDS}


class MoveForm(forms.Form):
    """A move from the board (a drop or the card's stage menu) or the lead card."""

    SOURCES = ("drag", "menu", "card")

    stage = forms.IntegerField(error_messages={"required": _("Choose a stage."), "invalid": _("Choose a stage.")})
    version = forms.IntegerField(required=False)
    before = forms.IntegerField(required=False)
    after = forms.IntegerField(required=False)
    lost_reason = forms.CharField(required=False, max_length=500)
    source = forms.ChoiceField(choices=[(s, s) for s in SOURCES], required=False)

    def clean_source(self):
        return self.cleaned_data.get("source") or "card"


class QuickCreateForm(StyledMixin, TravelFieldsMixin, TokenMixin, forms.Form):
    """The board's quick-create modal: who (found or new) and the trip."""

    phone = forms.CharField(label=_("Phone"), required=False, max_length=40,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}))
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254,
                            widget=forms.TextInput(attrs={"type": "email", "autocomplete": "off"}))
    full_name = forms.CharField(label=_("Name"), required=False, max_length=200,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    client = forms.IntegerField(required=False, widget=forms.HiddenInput)
    source = forms.ChoiceField(label=_("Channel"), choices=[("", "—"), *Channel.choices], required=False)
    departure_city = forms.CharField(label=_("Departure city"), required=False, max_length=100, initial="Алматы")
    destination_country = forms.CharField(label=_("Country"), required=False, max_length=100, initial="Вьетнам")
    destination_resort = forms.CharField(label=_("Resort"), required=False, max_length=100)
    date_from = forms.DateField(label=_("Departure from"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("Departure to"), required=False, widget=DATE)
    nights_from = forms.IntegerField(label=_("Nights from"), required=False, min_value=1, max_value=60)
    nights_to = forms.IntegerField(label=_("Nights to"), required=False, min_value=1, max_value=60)
    adults = forms.IntegerField(label=_("Adults"), min_value=1, max_value=20, initial=2)
    children = forms.IntegerField(label=_("Children"), min_value=0, max_value=10, initial=0)
    children_ages = forms.CharField(label=_("Children's ages"), required=False, max_length=60)
    budget = forms.DecimalField(label=_("Budget, KZT"), required=False, min_value=0, max_digits=14, decimal_places=2)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    LEAD_FIELDS = ("source", "departure_city", "destination_country", "destination_resort", "date_from", "date_to",
                   "nights_from", "nights_to", "adults", "children", "children_ages", "budget", "notes")

    def clean(self):
        cleaned = self.clean_travel(super().clean())
        if not cleaned.get("client") and not (cleaned.get("phone") or cleaned.get("email")):
            raise forms.ValidationError(_("Give the client's phone or e-mail, or choose a client found by name."))
        return cleaned

    def lead(self, *, pipeline) -> Lead:
        return Lead(pipeline=pipeline, budget_currency=Currency.KZT,
                    **{name: self.cleaned_data[name] for name in self.LEAD_FIELDS})


class NoteForm(StyledMixin, TokenMixin, forms.Form):
    text = forms.CharField(label=_("Note"), max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": _("Write the note first.")})


class TaskForm(StyledMixin, TokenMixin, forms.Form):
    title = forms.CharField(label=_("Task"), max_length=200,
                            error_messages={"required": _("Give the task a title.")})
    due_at = forms.DateTimeField(label=_("Due"), widget=DATETIME)
    assignee = StaffChoiceField(label=_("For"), queryset=staff_users(), required=False)
    on_client = forms.BooleanField(label=_("About the client, not this trip"), required=False)

    def __init__(self, *args, may_assign_others: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not may_assign_others:
            del self.fields["assignee"]
        if not self.is_bound:
            tomorrow = timezone.localtime() + timezone.timedelta(days=1)
            self.initial.setdefault("due_at", tomorrow.replace(hour=10, minute=0, second=0, microsecond=0))


class OrderForm(StyledMixin, TokenMixin, forms.ModelForm):
    class Meta:
        model = Order
        fields = ["operator", "hotel", "hotel_stars", "room", "meal_plan", "date_from", "date_to", "nights",
                  "adults", "children", "price", "currency", "exchange_rate", "cost_kzt", "operator_booking_number"]
        widgets = {"date_from": DATE, "date_to": DATE}

    def __init__(self, *args, lead: Lead, **kwargs):
        super().__init__(*args, instance=Order(lead=lead, client_id=lead.client_id), **kwargs)
        self.fields["meal_plan"].choices = [("", "—"), *MealPlan.choices]
        self.fields["exchange_rate"].required = False
        if not self.is_bound:
            self.initial.update({"adults": lead.adults, "children": lead.children, "nights": lead.nights_from,
                                 "date_from": lead.date_from, "meal_plan": lead.meal_plan,
                                 "hotel_stars": lead.hotel_stars, "currency": Currency.KZT})

    def clean_exchange_rate(self):
        rate = self.cleaned_data.get("exchange_rate")
        if rate is None and self.cleaned_data.get("currency", Currency.KZT) != Currency.KZT:
            raise forms.ValidationError(_("Give the rate to tenge for a price in another currency."))
        return rate or Decimal("1")

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("Check-out is before check-in."))
        return cleaned

    def _post_clean(self):
        lead = self.instance.lead
        self.instance.destination_country = lead.destination_country
        self.instance.destination_resort = lead.destination_resort
        self.instance.departure_city = lead.departure_city
        super()._post_clean()
        # order_create converts the price at the rate.
        self.instance.price_kzt = None


class AssignForm(StyledMixin, forms.Form):
    assignee = StaffChoiceField(label=_("Agent"), queryset=staff_users(), required=False)


class TagsForm(StyledMixin, forms.Form):
    tags = forms.ModelMultipleChoiceField(label=_("Tags"), queryset=Tag.objects.all(), required=False,
                                          widget=forms.CheckboxSelectMultiple)
    new_tag = forms.CharField(label=_("New tag"), required=False, max_length=50)
