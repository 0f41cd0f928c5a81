import datetime as dt
import io

import pytest
from openpyxl import Workbook, load_workbook

from precinct.core.errors import NotFound, PermissionDenied, ValidationFailed
from precinct.identity.models import AuditEntry
from precinct.org import rules, services
from precinct.org.models import Assignment, Officer, Unit


def test_the_demo_city_has_the_shape_of_the_source(city) -> None:
    scope = city.scope("leader")
    summary = services.workforce_summary(scope, today=city.today)
    assert 1600 <= summary.officers <= 1800
    assert 0.27 <= summary.over_50_share <= 0.33
    assert {p for p, _n in summary.by_post_type} == {p.value for p in rules.PostType}
    assert Unit.objects.filter(kind="station").count() == 25
    assert set(Unit.objects.filter(kind="sub_bureau").values_list("name", flat=True)) == {
        "向阳分局",
        "工农分局",
        "南山分局",
        "兴安分局",
        "东山分局",
        "兴山分局",
    }
    patrol = Officer.objects.filter(current_unit__code="XFDD")
    ages = [rules.age_on(o.birth_date, city.today) for o in patrol]
    assert len(ages) == 120 and sum(ages) / len(ages) > 57


def test_every_officer_has_a_current_unit_from_the_history(city) -> None:
    assert not Officer.objects.filter(current_unit__isnull=True).exists()
    moved = Assignment.objects.filter(end__isnull=False).count()
    assert moved > 300  # three years of postings: about a third moved


def test_a_unit_chief_sees_only_the_unit_subtree(city) -> None:
    chief = city.user("chief")
    scope = city.scope("chief")
    visible = services.scope_officers(scope)
    assert visible.count() > 10
    assert set(visible.values_list("current_unit_id", flat=True)) == {chief.unit_id}
    assert list(services.scope_units(scope).values_list("pk", flat=True)) == [chief.unit_id]


def test_an_officer_sees_only_themselves(city) -> None:
    scope = city.scope("officer")
    assert list(services.scope_officers(scope).values_list("pk", flat=True)) == [scope.officer_id]


@pytest.mark.parametrize("username", ["sysadmin", "auditor"])
def test_sysadmin_and_auditor_see_no_people(city, username) -> None:
    scope = city.scope(username)
    assert services.scope_officers(scope).count() == 0
    assert services.scope_units(scope).count() == 0


def test_another_units_officer_is_not_found_for_a_chief(city) -> None:
    chief = city.user("chief")
    other = Officer.objects.exclude(current_unit_id=chief.unit_id).first()
    with pytest.raises(NotFound):
        services.get_officer(city.scope("chief"), other.pk)


def test_search_by_name_number_unit_post_and_age(city) -> None:
    scope = city.scope("leader")
    one = Officer.objects.order_by("police_number")[10]
    by_number = services.search_officers(
        scope, services.OfficerFilter(q=one.police_number), today=city.today
    )
    assert list(by_number) == [one]
    by_name = services.search_officers(scope, services.OfficerFilter(q=one.name), today=city.today)
    assert one in by_name
    sub = Unit.objects.get(code="XY")
    in_sub = services.search_officers(
        scope, services.OfficerFilter(unit_id=sub.pk), today=city.today
    )
    assert in_sub.count() > 100
    assert all(o.current_unit.path.startswith(sub.path) for o in in_sub)
    old = services.search_officers(
        scope, services.OfficerFilter(age_band="55+", post_type="patrol"), today=city.today
    )
    assert old.count() == 120
    assert all(rules.age_on(o.birth_date, city.today) >= 55 for o in old)


def _data(**over) -> rules.OfficerData:
    base = dict(
        police_number="199001",
        name="测试民警",
        gender=rules.Gender.MALE,
        birth_date=dt.date(1990, 1, 1),
        hire_date=dt.date(2012, 7, 1),
        rank="二级警司",
        post_type=rules.PostType.COMMUNITY,
        status=rules.OfficerStatus.ACTIVE,
        party=rules.Party.CPC_MEMBER,
    )
    base.update(over)
    return rules.OfficerData(**base)


def test_create_and_post_an_officer_is_audited(city) -> None:
    scope = city.scope("political")
    station = Unit.objects.get(code="GN02")
    before = set(AuditEntry.objects.values_list("id", flat=True))
    officer = services.create_officer(
        scope, data=_data(), unit_id=station.pk, position="民警", start=None, today=city.today
    )
    officer.refresh_from_db()
    assert officer.current_unit_id == station.pk
    assert officer.bureau_id == city.bureau_id and officer.pk.version == 7
    actions = list(AuditEntry.objects.exclude(id__in=before).values_list("action", "object_type"))
    assert ("create", "org.officer") in actions and ("create", "org.assignment") in actions

    other = Unit.objects.get(code="NS01")
    services.add_assignment(
        scope,
        officer.pk,
        unit_id=other.pk,
        position="副所长",
        start=city.today + dt.timedelta(days=1),
        today=city.today + dt.timedelta(days=1),
    )
    officer.refresh_from_db()
    assert officer.current_unit_id == other.pk and officer.current_position == "副所长"
    history = services.officer_history(scope, officer.pk)
    assert [a.end for a in history] == [None, city.today + dt.timedelta(days=1)]


def test_duplicate_police_number_is_refused(city) -> None:
    scope = city.scope("political")
    taken = Officer.objects.first().police_number
    with pytest.raises(ValidationFailed) as exc:
        services.create_officer(
            scope,
            data=_data(police_number=taken),
            unit_id=Unit.objects.first().pk,
            position="民警",
            start=None,
            today=city.today,
        )
    assert exc.value.errors[0].field == "police_number"


def test_an_officer_cannot_edit_records(city) -> None:
    scope = city.scope("officer")
    with pytest.raises(PermissionDenied):
        services.update_officer(scope, scope.officer_id, data=_data(), today=city.today)


def test_a_chief_cannot_post_someone_outside_the_station(city) -> None:
    scope = city.scope("chief")
    own = services.scope_officers(scope).first()
    elsewhere = Unit.objects.get(code="XS01")
    with pytest.raises(ValidationFailed):
        services.add_assignment(
            scope, own.pk, unit_id=elsewhere.pk, position="民警", start=city.today, today=city.today
        )


def test_roster_export_then_import_changes_nothing(city) -> None:
    scope = city.scope("political")
    content = services.export_roster(scope, today=city.today)
    wb = load_workbook(io.BytesIO(content))
    assert wb.active.max_row == Officer.objects.count() + 1
    before = set(AuditEntry.objects.values_list("id", flat=True))
    result = services.import_roster(scope, content, today=city.today)
    assert result.created == 0 and result.moved == 0
    assert result.updated == 0
    assert AuditEntry.objects.exclude(id__in=before).filter(action="update").count() == 0


def _workbook(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append([label for _f, label in rules.ROSTER_COLUMNS])
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


GOOD = [
    "199100",
    "赵新",
    "男",
    "1995-05-05",
    "2018-07-01",
    "一级警员",
    "社区民警",
    "在职",
    "中共党员",
    "XY01",
    "民警",
    None,
]


def test_import_creates_new_officers(city) -> None:
    scope = city.scope("political")
    result = services.import_roster(scope, _workbook([GOOD]), today=city.today)
    assert result.created == 1
    new = Officer.objects.get(police_number="199100")
    assert new.current_unit.code == "XY01"


def test_a_bad_row_imports_nothing_and_every_error_is_named(city) -> None:
    scope = city.scope("political")
    count = Officer.objects.count()
    rows = [
        GOOD,
        list(GOOD),
        [
            "199102",
            "钱多",
            "男",
            "not a date",
            "2018-07-01",
            "一级警员",
            "刑警",
            "在职",
            "群众",
            "NOPE",
            "民警",
            None,
        ],
    ]
    rows[1][0] = "199101"
    rows[1][6] = "飞行员"
    with pytest.raises(ValidationFailed) as exc:
        services.import_roster(scope, _workbook(rows), today=city.today)
    found = {(e.row, e.field) for e in exc.value.errors}
    assert (3, "警种") in found and (4, "出生日期") in found
    assert Officer.objects.count() == count


def test_unknown_unit_code_and_duplicates_are_reported(city) -> None:
    scope = city.scope("political")
    dup = list(GOOD)
    bad_unit = list(GOOD)
    bad_unit[0], bad_unit[9] = "199105", "NOPE"
    with pytest.raises(ValidationFailed) as exc:
        services.import_roster(scope, _workbook([GOOD, dup, bad_unit]), today=city.today)
    found = {(e.row, e.field) for e in exc.value.errors}
    assert found == {(3, "警号"), (4, "单位代码")}


def test_a_file_that_is_not_a_workbook_is_refused(city) -> None:
    with pytest.raises(ValidationFailed) as exc:
        services.import_roster(city.scope("political"), b"PK not really", today=city.today)
    assert exc.value.errors[0].field == "file"


def test_only_the_political_department_imports(city) -> None:
    with pytest.raises(PermissionDenied):
        services.import_roster(city.scope("chief"), _workbook([GOOD]), today=city.today)


def test_the_unit_tree_counts_officers(city) -> None:
    roots = services.unit_tree(city.scope("leader"))
    assert len(roots) == 1
    assert roots[0].total_officers == Officer.objects.exclude(status="retired").count()
    assert {c.unit.kind for c in roots[0].children} == {"department", "sub_bureau", "brigade"}


def test_a_posting_dated_ahead_comes_into_force_on_refresh(city) -> None:
    scope = city.scope("political")
    officer = services.scope_officers(scope).filter(current_unit__code="XZ").first()
    target = Unit.objects.get(code="WA")
    start = city.today + dt.timedelta(days=10)
    services.add_assignment(
        scope, officer.pk, unit_id=target.pk, position="民警", start=start, today=city.today
    )
    officer.refresh_from_db()
    assert officer.current_unit.code == "XZ"  # not yet
    assert services.refresh_current_units(today=city.today) == 0
    assert services.refresh_current_units(today=start) == 1
    officer.refresh_from_db()
    assert officer.current_unit_id == target.pk


def test_every_bad_posting_in_an_import_is_reported_before_anything_is_written(city) -> None:
    scope = city.scope("political")
    movers = list(Officer.objects.filter(current_unit__code="XZ").order_by("police_number")[:2])
    rows = []
    for o in movers:
        rows.append(
            [
                o.police_number,
                o.name,
                "男" if o.gender == "M" else "女",
                o.birth_date,
                o.hire_date,
                o.rank,
                rules.ROSTER_LABELS["post_type"][o.post_type],
                "在职",
                "中共党员",
                "WA",
                "民警",
                dt.date(1990, 1, 1),
            ]
        )  # before any current posting
    with pytest.raises(ValidationFailed) as exc:
        services.import_roster(scope, _workbook(rows), today=city.today)
    assert {(e.row, e.field) for e in exc.value.errors} >= {(2, "任职日期"), (3, "任职日期")}
    assert all(
        o.current_unit.code == "XZ" for o in Officer.objects.filter(pk__in=[m.pk for m in movers])
    )


def test_a_damaged_sheet_is_an_input_error_not_a_crash(city) -> None:
    import zipfile

    content = _workbook([GOOD] * 1)
    src = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2]  # truncated XML
            dst.writestr(item, data)
    with pytest.raises(ValidationFailed) as exc:
        services.import_roster(city.scope("political"), out.getvalue(), today=city.today)
    assert exc.value.errors[0].field == "file"


def test_postings_cannot_start_before_hiring_or_more_than_a_year_ahead(city) -> None:
    scope = city.scope("political")
    officer = Officer.objects.filter(current_unit__code="ZA").first()
    unit = Unit.objects.get(code="WA")
    for start in (officer.hire_date - dt.timedelta(days=1), city.today + dt.timedelta(days=400)):
        with pytest.raises(ValidationFailed) as exc:
            services.add_assignment(
                scope, officer.pk, unit_id=unit.pk, position="民警", start=start, today=city.today
            )
        assert exc.value.errors[0].field == "start"


def test_a_chief_sees_an_incoming_officer_and_loses_one_posted_away(city) -> None:
    chief = city.scope("chief")
    station = Unit.objects.get(pk=chief.unit_id)
    newcomer = services.create_officer(
        chief,
        data=_data(police_number="199700"),
        unit_id=station.pk,
        position="民警",
        start=city.today + dt.timedelta(days=10),
        today=city.today,
    )
    assert services.get_officer(chief, newcomer.pk) == newcomer  # incoming: visible already
    leaving = services.scope_officers(chief).exclude(pk__in=[newcomer.pk, chief.officer_id]).first()
    political = city.scope("political")
    services.add_assignment(
        political,
        leaving.pk,
        unit_id=Unit.objects.get(code="XS01").pk,
        position="民警",
        start=city.today,
        today=city.today,
    )
    with pytest.raises(NotFound):
        services.get_officer(city.scope("chief"), leaving.pk)
