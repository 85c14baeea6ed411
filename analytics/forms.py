"""Input of the analytics pages: the period and filters (from the query
string, the same for the page, its parts, the CSV exports and the API), a
survey answer, a month of marketing spend."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from analytics.selectors.scope import DEFAULT_PRESET, Filters, Period, Preset, month_start, preset_period, today_local
from crm import access
from crm.admin_mixins import person_name, staff_users
from crm.models import Channel, Lead, Order

DESTINATIONS_CACHE = ("analytics:destinations", 600)
# The dates a period may name: the agency's data lies well inside, and the
# period before it (as long again) stays a real date.
EARLIEST_DATE, LATEST_DATE = dt.date(2000, 1, 1), dt.date(2099, 12, 31)


def _date_in_range(day: dt.date) -> None:
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise forms.ValidationError(
            _("Choose a date from %(earliest)s to %(latest)s."),
            params={"earliest": EARLIEST_DATE.strftime("%d.%m.%Y"), "latest": LATEST_DATE.strftime("%d.%m.%Y")},
            code="out_of_range",
        )


def destination_names() -> list[str]:
    """Every resort asked for or sold (read from the database every ten minutes at most)."""
    key, timeout = DESTINATIONS_CACHE
    names = cache.get(key)
    if names is None:
        asked = Lead.objects.exclude(destination_resort="").order_by().values_list("destination_resort", flat=True)
        sold = Order.objects.exclude(destination_resort="").order_by().values_list("destination_resort", flat=True)
        names = sorted(set(asked.union(sold)))
        cache.set(key, names, timeout)
    return names


class PeriodForm(forms.Form):
    """A preset, or a custom range (either end may be left open). A form with
    errors still answers ``period`` and ``filters``: the default ones."""

    preset = forms.ChoiceField(label=_("Period"), choices=Preset.choices, required=False)
    date_from = forms.DateField(label=_("From"), required=False, validators=[_date_in_range],
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, validators=[_date_in_range],
                              widget=forms.DateInput(attrs={"type": "date"}))
    agent = forms.TypedChoiceField(label=_("Agent"), coerce=int, required=False, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    destination = forms.ChoiceField(label=_("Destination"), required=False)

    def __init__(self, data=None, *, agents=(), destinations=(), default_preset: str = DEFAULT_PRESET, **kwargs):
        super().__init__(data, **kwargs)
        self.default_preset = default_preset
        self.fields["agent"].choices = [("", _("All agents")), *agents]
        self.fields["channel"].choices = [("", _("All channels")), *Channel.choices]
        self.fields["destination"].choices = [("", _("All destinations")), *((name, name) for name in destinations)]

    def clean(self):
        cleaned = super().clean()
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_from > date_to:
            self.add_error("date_to", _("The end of the period comes before its start."))
        preset = cleaned.get("preset") or ""
        if not preset:
            preset = Preset.CUSTOM if date_from or date_to else self.default_preset
        cleaned["preset"] = preset
        return cleaned

    @classmethod
    def for_user(cls, user, data=None, **kwargs) -> PeriodForm:
        """The form with the agents (for those who read everyone's figures) and the resorts to choose from."""
        agents = []
        if access.can_read_all(user):
            agents = [(person.pk, person_name(person))
                      for person in staff_users().only("first_name", "last_name", "username")]
        elif data and "agent" in data:
            data = data.copy()  # an agent's figures are their own: whom they ask for does not matter
            del data["agent"]
        return cls(data or None, agents=agents, destinations=destination_names(), **kwargs)

    @property
    def period(self) -> Period:
        data = self.cleaned_data if self.is_valid() else {"preset": self.default_preset}
        if data["preset"] == Preset.CUSTOM:
            return Period(data.get("date_from"), data.get("date_to"))
        return preset_period(data["preset"], today=today_local())

    @property
    def filters(self) -> Filters:
        if not self.is_valid():
            return Filters()
        data = self.cleaned_data
        return Filters(agent_id=data.get("agent"), channel=data.get("channel") or "",
                       destination=data.get("destination") or "")


def _bootstrap(form: forms.Form) -> None:
    for field in form.fields.values():
        if not isinstance(field.widget, forms.Select):
            field.widget.attrs.setdefault("class", "form-control")


class SurveyResponseForm(forms.Form):
    """A post-trip answer for one of ``orders`` (those the person may record for)."""

    order = forms.ModelChoiceField(label=_("Order"), queryset=Order.objects.none())
    score = forms.IntegerField(label=_("Score, 0–10"), min_value=0, max_value=10)
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    responded_on = forms.DateField(label=_("Answered on"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, orders=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["order"]
        field.queryset = orders if orders is not None else Order.objects.none()
        field.label_from_instance = lambda order: (
            f"№{order.pk} · {order.client.full_name} · {order.destination_resort or order.hotel} · "
            f"{order.date_from:%d.%m.%Y}"
        )
        self.fields["responded_on"].initial = today_local()
        _bootstrap(self)

    def clean_responded_on(self) -> dt.date:
        day = self.cleaned_data["responded_on"]
        if day > today_local():
            raise forms.ValidationError(_("An answer cannot come from the future."))
        return day


class MarketingSpendForm(forms.Form):
    month = forms.DateField(label=_("Month"), input_formats=["%Y-%m", "%Y-%m-%d"],
                            widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    amount_kzt = forms.DecimalField(label=_("Spend, KZT"), min_value=0, max_digits=14, decimal_places=2,
                                    widget=forms.NumberInput(attrs={"min": 0, "step": "1"}))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap(self)

    def clean_month(self) -> dt.date:
        return month_start(self.cleaned_data["month"])
