"""The offer page's finer targeting and schedule (offers/landing.OfferTargeting) with human
inputs: ticks for operating systems and browsers, a language picker, a weekday x hour grid read
in the offer's time zone, and start and end as date and time in that zone.

The form checks shape only and turns the inputs into the fields the API takes;
offers/landing_services.offer_targeting_set checks them by the API's rules
(offer_targeting_check) and its DomainError lands beside the field it names. Field names are
the service's own.
"""

from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale
from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from offers.landing import OfferTargeting
from offers.landing_services import BROWSERS, OSES
from portal.manager_forms import _lines

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OS_NAMES = {"ios": "iOS", "macos": "macOS", "chromeos": "ChromeOS"}
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
DASH = "\N{EN DASH}"


def family_choices(names: frozenset[str]) -> list[tuple[str, str]]:
    """The service's OS or browser families, "other" last, as people write them."""
    ordered = [*sorted(names - {"other"}), "other"]
    return [(name, OS_NAMES.get(name, name.title())) for name in ordered]


@cache
def language_choices() -> list[tuple[str, str]]:
    """Two-letter language codes (what browsers send first in Accept-Language), by name."""
    names = Locale("en").languages
    return sorted(
        ((code, f"{name} ({code})") for code, name in names.items() if len(code) == 2),
        key=lambda choice: choice[1],
    )


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    zones = sorted(available_timezones() - {"UTC"})
    return [("UTC", "UTC"), *((zone, zone.replace("_", " ")) for zone in zones)]


def _wall_time(label: str, help_text: str) -> forms.DateTimeField:
    """A date and time typed in the offer's zone (TargetingForm.clean reads it there)."""
    return forms.DateTimeField(
        required=False,
        label=label,
        help_text=help_text,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
    )


class HourGridWidget(forms.Widget):
    """Seven rows of 24 ticks (weekday x hour); the value is a list of "day-hour" strings."""

    allow_multiple_selected = True

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[str]:
        return list(data.getlist(name)) if hasattr(data, "getlist") else list(data.get(name) or [])

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False  # no tick posted means no hour chosen (every hour)

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0_0" if id_ else id_

    def render(self, name: str, value: Any, attrs: Any = None, renderer: Any = None) -> SafeString:
        chosen = set(value or [])
        first_id = self.id_for_label((attrs or {}).get("id", ""))
        head = format_html_join(
            "", '<th scope="col" class="num">{}</th>', ((f"{hour:02d}",) for hour in range(24))
        )
        rows = []
        for day, day_name in enumerate(WEEKDAYS):
            cells = format_html_join(
                "",
                '<td><input type="checkbox" name="{}" value="{}"{}{} aria-label="{} {}:00"></td>',
                (
                    (
                        name,
                        f"{day}-{hour}",
                        format_html(' id="{}"', first_id) if (day, hour) == (0, 0) else "",
                        " checked" if f"{day}-{hour}" in chosen else "",
                        day_name,
                        f"{hour:02d}",
                    )
                    for hour in range(24)
                ),
            )
            rows.append(format_html('<tr><th scope="row">{}</th>{}</tr>', day_name[:3], cells))
        return format_html(
            '<div class="scroll"><table class="hours"><thead><tr>'
            '<th scope="col"><span class="sr-only">Weekday</span></th>{}</tr></thead>'
            "<tbody>{}</tbody></table></div>",
            head,
            format_html_join("", "{}", ((row,) for row in rows)),
        )


class TargetingForm(forms.Form):
    oses = forms.MultipleChoiceField(
        choices=family_choices(OSES),
        required=False,
        label="Operating systems",
        help_text="None ticked: every operating system.",
        widget=forms.CheckboxSelectMultiple,
    )
    browsers = forms.MultipleChoiceField(
        choices=family_choices(BROWSERS),
        required=False,
        help_text="None ticked: every browser.",
        widget=forms.CheckboxSelectMultiple,
    )
    languages = forms.MultipleChoiceField(
        choices=language_choices,
        required=False,
        help_text="The browser's first language. None chosen: every language. "
        "Ctrl/Cmd-click to choose several.",
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    regions = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="ISO 3166-2 codes (US-CA, DE-BY), one a line; they narrow only the countries "
        "they name. Needs a city-level GeoIP database.",
    )
    time_zone = forms.ChoiceField(
        choices=time_zone_choices,
        initial="UTC",
        help_text="The hours and the start and end below are read in this zone.",
    )
    starts_at = _wall_time("Starts", "Empty: already running.")
    ends_at = _wall_time("Ends", "Empty: open-ended.")
    hours = forms.MultipleChoiceField(
        choices=[(f"{day}-{hour}", f"{day}-{hour}") for day in range(7) for hour in range(24)],
        required=False,
        label="Hours it runs",
        help_text="None ticked: every hour of every day. Once any is ticked, only the ticked "
        "hours run (a weekday with none ticked does not run).",
        widget=HourGridWidget,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A code the API stored that the pickers do not list stays chosen (and is kept).
        for name in ("languages", "time_zone"):
            field = self.fields[name]
            listed = {code for code, _ in field.choices}
            current = self.initial.get(name) or []
            extra = [current] if isinstance(current, str) else list(current)
            field.choices = [
                *field.choices,
                *((code, code) for code in extra if code not in listed),
            ]

    @classmethod
    def initial_of(cls, targeting: OfferTargeting | None) -> dict[str, Any]:
        if targeting is None:
            return {"time_zone": "UTC"}
        zone = _zone(targeting.time_zone)
        return {
            "oses": targeting.oses,
            "browsers": targeting.browsers,
            "languages": targeting.languages,
            "regions": "\n".join(targeting.regions),
            "time_zone": targeting.time_zone,
            "starts_at": _wall(targeting.starts_at, zone),
            "ends_at": _wall(targeting.ends_at, zone),
            "hours": [
                f"{day}-{hour}" for day, hours in (targeting.hours or {}).items() for hour in hours
            ],
        }

    def clean_regions(self) -> list[str]:
        return _lines(self.cleaned_data["regions"])

    def clean_hours(self) -> dict[str, list[int]]:
        hours: dict[str, list[int]] = {}
        for item in self.cleaned_data["hours"]:
            day, hour = item.split("-")
            hours.setdefault(day, []).append(int(hour))
        return hours

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        zone = data.get("time_zone")
        if zone:  # the wall times typed are in the offer's zone, not the server's
            for name in ("starts_at", "ends_at"):
                if data.get(name):
                    data[name] = data[name].replace(tzinfo=None).replace(tzinfo=_zone(zone))
        return data

    def service_fields(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, KeyError):
        return ZoneInfo("UTC")


def _wall(moment: datetime | None, zone: ZoneInfo) -> str | None:
    return moment.astimezone(zone).strftime(DATETIME_LOCAL) if moment else None


# In words (the offer list) ------------------------------------------------------------------


def _ranges(hours: list[int]) -> str:
    """[9, 10, 11, 17] -> "09:00-12:00, 17:00-18:00"; every hour -> "all day"."""
    if len(set(hours)) == 24:
        return "all day"
    spans: list[list[int]] = []
    for hour in sorted(set(hours)):
        if spans and hour == spans[-1][1]:
            spans[-1][1] = hour + 1
        else:
            spans.append([hour, hour + 1])
    return ", ".join(f"{start:02d}:00{DASH}{end:02d}:00" for start, end in spans)


def hours_words(hours: dict[str, list[int]]) -> str:
    """Day-parting as people say it: "Mon-Fri 09:00-17:00; Sat 10:00-14:00"; "" for always."""
    if not hours:
        return ""
    said = [_ranges(hours.get(str(day)) or []) for day in range(7)]
    groups: list[list[Any]] = []  # [first day, last day, the hours said]
    for day, text in enumerate(said):
        if groups and groups[-1][2] == text and groups[-1][1] == day - 1:
            groups[-1][1] = day
        else:
            groups.append([day, day, text])
    parts = [
        f"{WEEKDAYS[first][:3]}{DASH + WEEKDAYS[last][:3] if last > first else ''} {text}"
        for first, last, text in groups
        if text
    ]
    return "; ".join(parts) or "no hour"


def targeting_words(targeting: OfferTargeting | None) -> list[str]:
    """The finer targeting and schedule as short phrases; [] when it accepts everyone always."""
    if targeting is None:
        return []
    os_names = dict(family_choices(OSES))
    browser_names = dict(family_choices(BROWSERS))
    language_names = Locale("en").languages
    words = []
    if targeting.oses:
        words.append(", ".join(os_names.get(name, name) for name in targeting.oses))
    if targeting.browsers:
        words.append(", ".join(browser_names.get(name, name) for name in targeting.browsers))
    if targeting.languages:
        words.append(
            "speaking " + ", ".join(language_names.get(code, code) for code in targeting.languages)
        )
    if targeting.regions:
        words.append("regions " + ", ".join(targeting.regions))
    zone = targeting.time_zone
    when = hours_words(targeting.hours or {})
    if when:
        words.append(f"{when} ({zone})")
    span = [
        f"{word} {moment.astimezone(_zone(zone)):%-d %b %Y %H:%M}"
        for word, moment in (("from", targeting.starts_at), ("until", targeting.ends_at))
        if moment
    ]
    if span:
        words.append(f"{' '.join(span)} ({zone})")
    return words
