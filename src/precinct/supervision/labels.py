"""Names of timeline events, finding states, subjects and legal bases as users read them
(translated); the codes stay in data and the API."""

import re

from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from .models import STATE_LABELS
from .rules.basis import cite

EVENT_LABELS = {
    "report_received": _("Report received"),
    "case_accepted": _("Case accepted"),
    "case_filed": _("Case filed"),
    "case_not_filed": _("Decided not to file"),
    "complainant_notified": _("Complainant notified"),
    "case_transferred": _("Case transferred"),
    "summoned": _("Summoned, arrived"),
    "compelled": _("Compelled to appear, arrived"),
    "continued_questioning": _("Continued questioning"),
    "questioning_ended": _("Questioning ended"),
    "detained": _("Criminal detention"),
    "delivered_to_detention_centre": _("Delivered to the detention centre"),
    "interrogated": _("Interrogated"),
    "detention_extended": _("Detention extended"),
    "arrest_requested": _("Arrest approval requested"),
    "arrest_approved": _("Arrest approved"),
    "arrest_refused": _("Arrest refused"),
    "arrest_receipt_sent": _("Arrest receipt sent"),
    "arrested": _("Arrested"),
    "released": _("Released"),
    "custody_extended": _("Custody extended"),
    "custody_extension_requested": _("Custody extension requested"),
    "bail_started": _("Bail pending trial"),
    "bail_ended": _("Bail ended"),
    "surveillance_started": _("Residential surveillance"),
    "surveillance_ended": _("Surveillance ended"),
    "measure_change_requested": _("Change of measure requested"),
    "measure_change_decided": _("Change of measure decided"),
    "family_notified": _("Family notified"),
    "notice_exempted": _("Notice exempted"),
    "transferred_for_prosecution": _("Transferred for prosecution"),
    "returned_for_supplementary_investigation": _("Returned for supplementary investigation"),
    "resubmitted": _("Resubmitted"),
    "case_withdrawn": _("Case withdrawn"),
    "parties_notified": _("Parties notified"),
    "property_seized": _("Property seized"),
    "property_handed_over": _("Property handed to the custodian"),
    "property_found_unrelated": _("Property found unrelated"),
    "property_returned": _("Property returned"),
    "account_frozen": _("Account frozen"),
    "freeze_renewed": _("Freeze renewed"),
    "freeze_released": _("Freeze released"),
    "items_registered": _("Evidence registered and preserved"),
    "items_decided": _("Decision on registered items"),
    "expert_opinion_commissioned": _("Expert opinion commissioned"),
    "expert_opinion_received": _("Expert opinion received"),
    "expert_opinion_notified": _("Expert opinion communicated"),
    "case_extended": _("Case period extended"),
    "items_seized": _("Items seized"),
    "seizure_extended": _("Seizure extended"),
    "items_released": _("Items released"),
    "penalty_notice_given": _("Told of the intended penalty"),
    "decision_made": _("Decision made"),
    "decision_served": _("Decision served"),
    "admin_detention_decided": _("Administrative detention decided"),
    "delivered_to_detention_house": _("Delivered to the detention house"),
    "on_the_spot_penalty": _("On-the-spot penalty"),
    "penalty_filed": _("Penalty filed"),
    "fast_track": _("Fast-track handling"),
    "coercive_measure_on_the_spot": _("Coercive measure on the spot"),
    "measure_approved": _("Measure approved afterwards"),
    "mediated": _("Mediated"),
}


def event_label(code: str) -> str:
    return str(EVENT_LABELS.get(code, code))


def state_label(code: str) -> str:
    """'overdue' -> 逾期 (the finding state's label in the user's language)."""
    return str(STATE_LABELS.get(code, code))


def basis_label(basis: str) -> str:
    """'CPL 85; 规定 127' -> 《刑事诉讼法》第八十五条；《公安机关办理刑事案件程序规定》第一百二十七条 in
    Chinese, the statutes' English names in English."""
    chinese = (get_language() or "").lower().startswith("zh")
    return cite(basis, name=gettext, chinese=chinese)


CASE_SUBJECT = "case"  # the engine's subject of a finding about the case as a whole
_NUMBERED = re.compile(r"^([pi])(\d{1,6})$")


def subject_label(subject: str, name: str = "") -> str:
    """Who or what a finding or event is about: the person's name (masked by the caller as the
    role requires), 本案 for the case as a whole, else 当事人1 / 物品1 for the interchange
    format's keys p1 / i1, else the key as the source system sent it."""
    if name:
        return name
    if not subject or subject == CASE_SUBJECT:
        return gettext("The case")
    m = _NUMBERED.match(subject)
    if m is None:
        return subject
    if m.group(1) == "p":
        return gettext("Person %(n)s") % {"n": m.group(2)}
    return gettext("Item %(n)s") % {"n": m.group(2)}
