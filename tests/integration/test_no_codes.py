"""Internal codes stay out of what a user reads (issue 17): campaign codes, post-type codes in the
scoring matrix, the officer's part in a case."""

import re

from precinct.campaigns.models import Campaign
from precinct.merit.models import Achievement


def _text(html: str) -> str:
    """What a reader sees: the page without its tags (and so without their attributes)."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_the_campaign_list_names_campaigns_without_their_codes(city) -> None:
    html = city.client("legal").get("/campaigns/").content.decode()
    codes = list(Campaign.objects.filter(bureau_id=city.bureau_id).values_list("code", flat=True))
    shown = [c for c in codes if re.search(rf"\b{re.escape(c)}\b", _text(html))]
    assert codes and shown == []


def test_the_scoring_matrix_labels_its_cells_by_post_type_in_words(city) -> None:
    html = city.client("political").get("/merit/policy/").content.decode()
    labels = re.findall(r'aria-label="([^"]*)"', html)
    assert labels and not [a for a in labels if re.search(r"[a-z]{3,}", a)], labels[:5]


def test_the_achievement_list_says_the_officers_part_in_words(city) -> None:
    a = Achievement.objects.filter(bureau_id=city.bureau_id).exclude(role="").first()
    assert a is not None
    a.state = "submitted"
    a.save(update_fields=["state"])
    html = city.client("political").get("/merit/achievements/?state=submitted").content.decode()
    text = _text(html)
    assert "(lead)" not in text and "(assist)" not in text
    assert "主办" in text or "协办" in text
