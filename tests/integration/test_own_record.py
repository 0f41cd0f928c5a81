"""Nobody edits his own personnel record or enters his own achievement (issue 18, V11): a unit
chief raised his own rank through ``PUT /api/v1/officers/{own id}`` and entered achievements for
himself. His record is edited, and his achievements entered (or, from 我的, submitted) and
decided, by somebody else."""

from precinct.merit.models import Achievement
from precinct.org.models import Assignment, Officer


def _own(city, username: str = "chief") -> Officer:
    return Officer.objects.get(pk=city.user(username).officer_id)


def _body(o: Officer, **over: object) -> dict[str, object]:
    body = {
        "police_number": o.police_number,
        "name": o.name,
        "gender": o.gender,
        "birth_date": o.birth_date.isoformat(),
        "hire_date": o.hire_date.isoformat(),
        "rank": o.rank,
        "post_type": o.post_type,
        "status": o.status,
        "party": o.party,
    }
    return {**body, **over}


def _higher_rank(o: Officer) -> str:
    from precinct.org import rules

    return next(r for r in rules.RANKS if r != o.rank)


def test_it_refuses_a_unit_chief_raising_his_own_rank_through_the_api(city) -> None:
    me = _own(city)
    before = (me.rank, me.post_type, me.status)
    c = city.client("chief")
    for change in (
        {"rank": _higher_rank(me)},
        {"post_type": "other" if me.post_type != "other" else "cyber"},
        {"status": "retired"},
    ):
        r = c.put(f"/api/v1/officers/{me.pk}", _body(me, **change), content_type="application/json")
        assert r.status_code in (403, 422), (change, r.status_code, r.content[:300])
    me.refresh_from_db()
    assert (me.rank, me.post_type, me.status) == before


def test_it_refuses_a_unit_chief_raising_his_own_rank_on_the_page(city) -> None:
    me = _own(city)
    rank = me.rank
    body = _body(me, rank=_higher_rank(me))
    r = city.client("chief").post(f"/org/officers/{me.pk}/edit/", body)
    assert r.status_code in (200, 400, 403)  # the form again, with the refusal; no redirect
    me.refresh_from_db()
    assert me.rank == rank


def test_another_editor_still_changes_the_chiefs_rank(city) -> None:
    me = _own(city)
    new = _higher_rank(me)
    r = city.client("political").put(
        f"/api/v1/officers/{me.pk}", _body(me, rank=new), content_type="application/json"
    )
    assert r.status_code == 200, r.content[:300]
    me.refresh_from_db()
    assert me.rank == new


def test_it_refuses_a_unit_chief_posting_himself(city) -> None:
    me = _own(city)
    n = Assignment.objects.filter(officer=me).count()
    r = city.client("chief").post(
        f"/api/v1/officers/{me.pk}/assignments",
        {"unit_id": str(me.current_unit_id), "position": "所长", "start": city.today.isoformat()},
        content_type="application/json",
    )
    assert r.status_code in (403, 422), r.content[:300]
    assert Assignment.objects.filter(officer=me).count() == n


def test_it_refuses_a_unit_chief_entering_his_own_achievement(city) -> None:
    me = _own(city)
    n = Achievement.objects.filter(officer=me).count()
    day = city.today.isoformat()
    c = city.client("chief")
    r = c.post(
        "/api/v1/merit/achievements",
        {"police_number": me.police_number, "kind": "arrest", "occurred_on": day},
        content_type="application/json",
    )
    assert r.status_code in (403, 422), r.content[:300]
    c.post(
        "/merit/achievements/",
        {"police_number": me.police_number, "kind": "arrest", "occurred_on": day,
         "quantity": "1"},
    )  # fmt: skip
    assert Achievement.objects.filter(officer=me).count() == n


def test_a_unit_chief_still_enters_his_officers_achievements(city) -> None:
    me = _own(city)
    other = Officer.objects.filter(current_unit_id=me.current_unit_id).exclude(pk=me.pk).first()
    day = city.today.isoformat()
    r = city.client("chief").post(
        "/api/v1/merit/achievements",
        {"police_number": other.police_number, "kind": "arrest", "occurred_on": day},
        content_type="application/json",
    )
    assert r.status_code == 201, r.content[:300]
