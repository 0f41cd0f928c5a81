"""The home page of each role: what needs doing today, as counts that open the filtered lists
(issue 17). Each role's cards are gathered from the apps' own services, within the caller's
scope; nothing here decides who may see what (the services and the policy do)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext as _

from precinct.campaigns import services as campaigns
from precinct.cases import services as cases
from precinct.command import services as command
from precinct.core.scoping import Role, Scope
from precinct.identity import services as identity
from precinct.identity.services import grants
from precinct.merit import services as merit
from precinct.org import services as org
from precinct.supervision import services as supervision

STREET_GOAL = 70.0  # % of police incidents handled on the street (the source's goal)


@dataclass(frozen=True)
class Card:
    """One count on a home page: what it counts, the number, where the list is, and its tone
    (``bad``: something is late; ``warn``: due soon or short of a goal; ``ok``; ``""``)."""

    key: str
    label: str
    value: str
    url: str
    note: str = ""
    tone: str = ""


def _url(route: str, **query: Any) -> str:
    return reverse(route) + ("?" + urlencode(query) if query else "")


def _n(value: int) -> str:
    return f"{value:,}"


@dataclass(frozen=True)
class Day:
    now: dt.datetime
    today: dt.date
    tz: Any

    @property
    def midnight(self) -> dt.datetime:
        return dt.datetime.combine(self.today, dt.time(), tzinfo=self.tz)

    def start_of(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), tzinfo=self.tz)


def _figures_url(first: dt.date, last: dt.date) -> str:
    """The street figures of the days [first, last]: the incidents counted, the street-handling
    rate and the zero-call days, as the figures page computes them."""
    return _url("command:figures", **{"from": first.isoformat(), "to": last.isoformat()})


# --- the cards, by subject -------------------------------------------------------------------
def _incidents_today(scope: Scope, day: Day) -> list[Card]:
    today = command.scope_incidents(scope).filter(received_at__gte=day.midnight)
    waiting = command.scope_incidents(scope).filter(status="received").count()
    return [
        Card(
            "incidents_today",
            _("incidents today"),
            _n(today.count()),
            _figures_url(day.today, day.today),
        ),
        Card(
            "incidents_waiting",
            _("waiting for a car"),
            _n(waiting),
            _url("command:board"),
            tone="bad" if waiting else "ok",
        ),
    ]


def _incidents_yesterday(scope: Scope, day: Day) -> list[Card]:
    """Yesterday's incidents and how many of them the patrol handled on the street, against the
    goal: the bureau chief's first figure in the morning (journey 1)."""
    yesterday = day.today - dt.timedelta(days=1)
    start, end = day.start_of(yesterday), day.midnight
    n = command.scope_incidents(scope).filter(received_at__gte=start, received_at__lt=end).count()
    street, police = command.street_counts(scope, start=start, end=end)
    percent = round(100 * street / police, 1) if police else None
    note = (
        _("street-handling rate %(rate)s%% (goal %(goal)s%%) · %(street)s of %(police)s")
        % {"rate": percent, "goal": int(STREET_GOAL), "street": _n(street), "police": _n(police)}
        if percent is not None
        else ""
    )
    tone = "" if percent is None else "ok" if percent >= STREET_GOAL else "warn"
    return [
        Card(
            "incidents_yesterday",
            _("incidents yesterday"),
            _n(n),
            _figures_url(yesterday, yesterday),
            note=note,
            tone=tone,
        )
    ]


def _cars(scope: Scope) -> list[Card]:
    """Cars on duty now against the plan: the 24-hour patrol keeps every car on the road."""
    cars = command.scope_patrol_units(scope)
    total = cars.count()
    if not total:
        return []
    on_duty = cars.exclude(status="off_duty").count()
    free = cars.filter(status="available").count()
    return [
        Card(
            "cars_on_duty",
            _("cars on duty"),
            f"{on_duty} / {total}",
            _url("command:board"),
            note=_("plan %(plan)s · %(n)s available") % {"plan": total, "n": free},
            tone="ok" if on_duty >= total else "warn",
        )
    ]


def _street(scope: Scope, day: Day) -> list[Card]:
    first = dt.datetime.combine(day.today - dt.timedelta(days=29), dt.time(), tzinfo=day.tz)
    street, police = command.street_counts(
        scope, start=first, end=day.midnight + dt.timedelta(days=1)
    )
    if not police:
        return []
    percent = round(100 * street / police, 1)
    return [
        Card(
            "street_rate",
            _("street-handling rate, last 30 days"),
            f"{percent}%",
            _figures_url(day.today - dt.timedelta(days=29), day.today),
            note=_("goal %(goal)s%% · %(street)s of %(police)s")
            % {"goal": int(STREET_GOAL), "street": _n(street), "police": _n(police)},
            tone="ok" if percent >= STREET_GOAL else "warn",
        )
    ]


def _supervision(scope: Scope, day: Day) -> list[Card]:
    board = supervision.open_counts(scope)
    return [
        Card(
            "findings_overdue",
            _("legal deadlines overdue"),
            _n(board["overdue"]),
            _url("supervision:finding_list", state="overdue"),
            tone="bad" if board["overdue"] else "ok",
        ),
        Card(
            "findings_due_soon",
            _("legal deadlines due soon"),
            _n(board["due_soon"]),
            _url("supervision:finding_list", state="due_soon"),
            tone="warn" if board["due_soon"] else "ok",
        ),
    ]


def _tickets(scope: Scope, states: tuple[str, ...], key: str, label: str) -> list[Card]:
    n = supervision.scope_tickets(scope).filter(state__in=states).count()
    return [Card(key, label, _n(n), _url("supervision:dashboard"), tone="warn" if n else "ok")]


def _campaigns(scope: Scope, day: Day) -> list[Card]:
    """The campaigns under way: their checklists' progress, and the items overdue."""
    summary = campaigns.campaign_summary(scope, today=day.today)
    if not summary["active"]:
        return []
    url = _url("campaigns:list", phase="active")
    done, total = summary["done"], summary["total"]
    return [
        Card(
            "campaign_progress",
            _("campaign progress"),
            f"{round(100 * done / total) if total else 0}%",
            url,
            note=_("%(done)s of %(total)s checklist items done · %(n)s campaigns under way")
            % {"done": _n(done), "total": _n(total), "n": summary["active"]},
        ),
        Card(
            "campaign_items_overdue",
            _("campaign items overdue"),
            _n(summary["overdue"]),
            url,
            note=_("%(n)s campaigns under way") % {"n": summary["active"]},
            tone="bad" if summary["overdue"] else "ok",
        ),
    ]


def _merit_month(scope: Scope, day: Day) -> list[Card]:
    last = merit.Month.of(day.today).previous()
    closed = merit.month_closed(scope, last)
    return [
        Card(
            "month_closed",
            _("last month (%(month)s)") % {"month": str(last)},
            _("Month closed") if closed else _("Month still open"),
            reverse("merit:month_of", args=[str(last)]),
            tone="ok" if closed else "warn",
        )
    ]


def _three_ones(scope: Scope, day: Day) -> list[Card]:
    """The 三一 checklist of last month, whose meeting falls in this month: per unit, is its
    warning case published, are its star officers named, are their bonuses paid."""
    month = merit.Month.of(day.today).previous()
    rows = merit.session_checklist(scope, month)
    if not rows:
        return []
    done = sum(1 for r in rows if r.items.done)
    return [
        Card(
            "three_ones",
            _("三一 checklist of %(month)s: units done") % {"month": str(month)},
            f"{done} / {len(rows)}",
            reverse("merit:sessions", args=[str(month)]),
            note=_("warning %(w)s · star creation %(s)s · incentive %(i)s")
            % {
                "w": sum(1 for r in rows if r.items.warning_done),
                "s": sum(1 for r in rows if r.items.stars_done),
                "i": sum(1 for r in rows if r.items.incentive_done),
            },
            tone="ok" if done == len(rows) else "warn",
        )
    ]


def _merit_queues(scope: Scope, day: Day) -> list[Card]:
    submitted = merit.scope_achievements(scope).filter(state="submitted").count()
    proposed = merit.awards(scope, state="proposed").count()
    warnings = merit.warning_queue(scope).count()
    waiting = len(merit.recruits(scope, today=day.today, waiting_only=True))
    return [
        Card(
            "achievements_submitted",
            _("achievements awaiting a decision"),
            _n(submitted),
            _url("merit:achievement_list", state="submitted"),
            tone="warn" if submitted else "ok",
        ),
        Card(
            "awards_proposed",
            _("award proposals awaiting a decision"),
            _n(proposed),
            _url("merit:award_list", state="proposed"),
            tone="warn" if proposed else "ok",
        ),
        Card(
            "warnings_queued",
            _("warnings to decide"),
            _n(warnings),
            _url("merit:warning_queue"),
            tone="warn" if warnings else "ok",
        ),
        Card(
            "recruits_waiting",
            _("new officers without their meeting or mentor"),
            _n(waiting),
            _url("merit:recruits"),
            tone="warn" if waiting else "ok",
        ),
    ]


def _seniors(scope: Scope, day: Day) -> list[Card]:
    summary = org.workforce_summary(scope, today=day.today)
    if not summary.officers:
        return []
    share = round(100 * summary.over_50 / summary.officers)
    return [
        Card(
            "over_50",
            _("officers aged 50 or over"),
            _n(summary.over_50),
            _url("merit:promotion", band="50+"),  # 重走青春路: beside the rest of the force
            note=_("%(share)s%% of %(n)s · average age %(age)s")
            % {"share": share, "n": _n(summary.officers), "age": summary.average_age},
        )
    ]


def _station(scope: Scope, day: Day) -> list[Card]:
    """A station chief's own: the officers on the roll and the cases of the unit."""
    officers = org.scope_officers(scope).count()
    n_cases = cases.scope_cases(scope).count()
    return [
        Card("officers", _("officers"), _n(officers), _url("org:officer_list")),
        Card("cases", _("cases"), _n(n_cases), _url("supervision:case_list")),
    ]


def _zero_days(scope: Scope, day: Day) -> list[Card]:
    """Days of the last 30 on which a station's area had no incident at all, counted as the
    figures page counts them (the stations with incidents in the caller's scope)."""
    first = day.today - dt.timedelta(days=29)
    busy: dict[str, set[dt.date]] = {}
    window = command.scope_incidents(scope).filter(
        received_at__gte=day.start_of(first), received_at__lt=day.midnight + dt.timedelta(days=1)
    )
    for received, station in window.values_list("received_at", "station__name"):
        if station:
            busy.setdefault(station, set()).add(received.astimezone(day.tz).date())
    if not busy:
        return []
    zero = sum(30 - len(days) for days in busy.values())
    return [
        Card(
            "zero_call_days",
            _("zero-call days, last 30 days"),
            _n(zero),
            _figures_url(first, day.today),
            note=", ".join(sorted(busy)) if len(busy) > 1 else "",
            tone="ok" if zero else "",
        )
    ]


def _my_month(scope: Scope, day: Day) -> list[Card]:
    month = merit.Month.of(day.today)
    mine = merit.my_month(scope, month)
    if mine is None:
        return []
    return [
        Card(
            "my_points",
            _("my points this month (so far)"),
            f"{mine['points']:g}",
            reverse("merit:officer_month", args=[str(month), str(scope.officer_id)]),
            note=_("%(n)s stars") % {"n": mine["stars"]},
        )
    ]


def _my_tasks(scope: Scope, day: Day) -> list[Card]:
    items = campaigns.my_items(scope, today=day.today)
    tickets = supervision.scope_tickets(scope).filter(state__in=("open", "rectifying")).count()
    return [
        Card(
            "my_campaign_items",
            _("campaign items due"),
            _n(len(items)),
            _url("campaigns:list", phase="active"),
            tone="warn" if items else "ok",
        ),
        Card(
            "my_tickets",
            _("problems on my cases to rectify"),
            _n(tickets),
            _url("supervision:finding_list"),
            tone="warn" if tickets else "ok",
        ),
    ]


def _accounts(scope: Scope, day: Day) -> list[Card]:
    counts = identity.account_counts(now=day.now, bureau_id=scope.bureau_id)
    users = reverse("admin:identity_user_changelist")
    return [
        Card("accounts", _("active accounts"), _n(counts["active"]), users + "?is_active__exact=1"),
        Card(
            "locked",
            _("locked accounts"),
            _n(counts["locked"]),
            users + "?locked=yes",
            tone="warn" if counts["locked"] else "ok",
        ),
        Card(
            "tokens",
            _("API tokens in use"),
            _n(counts["tokens"]),
            reverse("admin:identity_apitoken_changelist") + "?revoked_at__isnull=True",
        ),
    ]


def _approvals(scope: Scope, day: Day) -> list[Card]:
    """The security administrator's queue (三员分立): what the system administrator asked for
    and nothing changes on until he decides."""
    waiting = grants.pending_count(scope)
    url = _url("identity:grant_list")
    return [
        Card(
            "access_requests",
            _("role requests awaiting approval"),
            _n(waiting["access"]),
            url,
            tone="warn" if waiting["access"] else "ok",
        ),
        Card(
            "password_resets",
            _("password resets awaiting approval"),
            _n(waiting["password"]),
            url,
            tone="warn" if waiting["password"] else "ok",
        ),
    ]


def _audit(scope: Scope, day: Day) -> list[Card]:
    n = identity.audit_entries_since(day.midnight)
    return [Card("audit_today", _("audit entries today"), _n(n), _url("identity:audit_log"))]


# --- the roles ---------------------------------------------------------------------------------
Builder = Callable[[Scope, Day], list[Card]]
ROLE_CARDS: dict[Role, tuple[Builder, ...]] = {
    Role.LEADERSHIP: (  # journey 1: the bureau chief at 8 a.m.
        _incidents_yesterday,
        _street,
        lambda s, d: _cars(s),
        _supervision,
        _three_ones,
        _campaigns,
        _incidents_today,
        _merit_month,
    ),
    Role.POLITICAL_DEPT: (_merit_queues, _merit_month, _seniors),
    Role.LEGAL_SUPERVISION: (
        _supervision,
        lambda s, d: _tickets(
            s, ("rectified",), "tickets_to_verify", _("rectifications awaiting verification")
        ),
    ),
    Role.COMMAND_CENTRE: (_incidents_today, lambda s, d: _cars(s), _street),
    Role.UNIT_CHIEF: (  # journey 6: the own station only
        _station,
        _supervision,
        lambda s, d: _tickets(
            s, ("open", "rectifying"), "tickets_to_rectify", _("problems to rectify")
        ),
        _incidents_today,
        _zero_days,
        lambda s, d: _cars(s),
        _campaigns,
        _three_ones,
    ),
    Role.OFFICER: (_my_month, _my_tasks),
    Role.SYSADMIN: (_accounts,),
    Role.AUDITOR: (_audit,),
    Role.SECURITY_ADMIN: (_approvals,),
}


def cards(scope: Scope, *, now: dt.datetime, today: dt.date, tz: Any) -> list[Card]:
    """The caller's home page: the counts of their role's work, in order."""
    day = Day(now, today, tz)
    out: list[Card] = []
    for build in ROLE_CARDS.get(scope.role, ()):
        out.extend(build(scope, day))
    return out
