import contextlib
import threading
import time

import pytest
from django.core.management import call_command
from django.db import DatabaseError, close_old_connections, connection, transaction

from precinct.identity import services
from precinct.identity.models import AuditEntry, AuditHead
from precinct.org.models import Officer
from tests.integration.markers import RACES


@contextlib.contextmanager
def tampering():
    """Act as someone with write access to the database (PostgreSQL's append-only trigger off)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cur:
        cur.execute("SET session_replication_role = replica")
        try:
            yield
        finally:
            cur.execute("SET session_replication_role = DEFAULT")


def _verify() -> tuple[int, object]:
    return services.verify_audit_chain(
        batch=7
    )  # small batches exercise the hand-over between pages


def _linked(n: int) -> AuditEntry:
    services.link_pending()
    return AuditEntry.objects.filter(seq__isnull=False).order_by("seq")[n]


def test_the_loaded_chain_verifies(city) -> None:
    checked, broken = _verify()
    assert broken is None and checked == AuditEntry.objects.count() > 10


def test_a_write_records_who_what_and_before_after(city) -> None:
    officer = Officer.objects.first()
    actor = services.Actor(username="political", user_id="u1", role="political_dept", ip="10.0.0.9")
    with services.acting_as(actor):
        officer.name = "改名字"
        officer.save()
    entry = AuditEntry.objects.order_by("-at", "-id").first()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "update",
        "org.officer",
        str(officer.pk),
    )
    assert entry.actor == "political" and entry.ip == "10.0.0.9" and entry.role == "political_dept"
    assert entry.detail["changes"]["name"][1] == "改名字"
    assert entry.bureau_id == str(officer.bureau_id)


def test_a_password_change_is_recorded_without_revealing_it(city) -> None:
    user = city.user("leader")
    user.set_password("Another-long-passphrase-9")
    user.save()
    entry = AuditEntry.objects.filter(object_id=str(user.pk), action="update").latest("at")
    before, after = entry.detail["changes"]["password"]
    assert before != after and before.startswith("<redacted:") and "argon2" not in after


def test_an_edited_row_is_named(city) -> None:
    target = _linked(5)
    with tampering():
        AuditEntry.objects.filter(pk=target.pk).update(actor="someone-else")
    _checked, broken = _verify()
    assert broken is not None and broken.seq == target.seq and "edited" in broken.problem


def test_a_deleted_row_is_named(city) -> None:
    target = _linked(8)
    with tampering():
        AuditEntry.objects.filter(pk=target.pk).delete()
    _checked, broken = _verify()
    assert broken is not None and broken.seq == target.seq


def test_a_truncated_tail_is_named(city) -> None:
    services.link_pending()
    last = AuditEntry.objects.order_by("-seq").first()
    with tampering():
        AuditEntry.objects.filter(pk=last.pk).delete()
    _checked, broken = _verify()
    assert broken is not None and "head" in broken.problem


def test_a_truncated_tail_with_the_head_deleted_is_named(city) -> None:
    services.link_pending()
    with tampering():
        for entry in AuditEntry.objects.order_by("-seq")[:3]:
            entry.delete()
        AuditHead.objects.all().delete()
    _checked, broken = _verify()
    assert broken is not None


def test_reordered_rows_are_named(city) -> None:
    a, b = _linked(3), _linked(4)
    fields = [
        "at",
        "actor",
        "actor_id",
        "role",
        "bureau_id",
        "action",
        "object_type",
        "object_id",
        "ip",
        "detail",
        "prev_hash",
        "hash",
    ]
    va, vb = ({f: getattr(x, f) for f in fields} for x in (a, b))
    with tampering():
        AuditEntry.objects.filter(pk=a.pk).update(hash="x" * 64)
        AuditEntry.objects.filter(pk=b.pk).update(**va)
        AuditEntry.objects.filter(pk=a.pk).update(**vb)
    _checked, broken = _verify()
    assert broken is not None and broken.seq == a.seq


def test_audit_verify_command_exits_non_zero_when_broken(city, capsys) -> None:
    call_command("audit", "verify")
    assert "OK" in capsys.readouterr().out
    with tampering():
        AuditEntry.objects.filter(seq=3).update(detail={"forged": True})
    with pytest.raises(SystemExit) as exc:
        call_command("audit", "verify")
    assert exc.value.code == 1
    assert "#3" in capsys.readouterr().out


def test_a_rolled_back_write_leaves_no_audit_entry(city) -> None:
    before = AuditEntry.objects.count()
    officer = Officer.objects.first()
    with pytest.raises(RuntimeError), transaction.atomic():
        officer.name = "回滚"
        officer.save()
        raise RuntimeError
    assert AuditEntry.objects.count() == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_postgresql_refuses_to_change_or_delete_a_linked_entry(city) -> None:
    entry = _linked(2)
    for attempt in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(actor="x"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()


@RACES
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_produce_one_chain() -> None:
    AuditHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": "0" * 64})
    start = AuditEntry.objects.count()
    writers, per_writer = 4, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    services.record("test_write", object_id=f"{n}-{i}")
        except BaseException as exc:
            errors.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=work, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert AuditEntry.objects.count() == start + writers * per_writer
    assert not AuditEntry.objects.filter(seq__isnull=True).exists()  # linked as each committed
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    checked, broken = services.verify_audit_chain()
    assert broken is None and checked == len(seqs)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has one writer at a time")
@pytest.mark.django_db(transaction=True)
def test_audited_writes_in_opposite_order_do_not_deadlock(tiny) -> None:
    """T1 changes A then B; T2 changes B while T1 holds A. The audit log must add no lock that
    makes this a deadlock (it used to: T1 held the chain head, T2 waited for it holding B).

    The steps are ordered by events, not by sleeping: T2 starts once T1 has written A, and holds
    B until PostgreSQL shows T1 waiting for B's lock."""
    a, b = tiny.officers[:2]
    t1_has_a, t2_has_b = threading.Event(), threading.Event()
    t1_pid: list[int] = []
    errors: list[BaseException] = []
    deadline = time.monotonic() + 60  # a hang guard for a loaded machine, not a pause

    def left() -> float:
        return max(deadline - time.monotonic(), 0)

    def t1() -> None:
        try:
            with transaction.atomic():
                with connection.cursor() as cur:
                    cur.execute("SELECT pg_backend_pid()")
                    t1_pid.append(cur.fetchone()[0])
                officer_a = Officer.objects.get(pk=a.pk)
                officer_a.name += "一"
                officer_a.save()  # audited: this used to take the chain head's lock
                t1_has_a.set()
                if not t2_has_b.wait(left()):  # T2 is stuck behind a lock T1 holds
                    raise AssertionError("T2 could not write B while T1's transaction was open")
                officer_b = Officer.objects.select_for_update().get(pk=b.pk)
                officer_b.name += "一"
                officer_b.save()
        except BaseException as exc:
            errors.append(exc)
        finally:
            t1_has_a.set()  # T1 failed before A: let T2 go on and report
            connection.close()

    def t1_waits_for_a_lock() -> bool:
        with connection.cursor() as cur:
            cur.execute("SELECT wait_event_type FROM pg_stat_activity WHERE pid = %s", t1_pid)
            row = cur.fetchone()
        return bool(row) and row[0] == "Lock"

    def t2() -> None:
        try:
            if not t1_has_a.wait(left()):
                raise AssertionError("T1 did not write A")
            with transaction.atomic():
                officer_b = Officer.objects.select_for_update().get(pk=b.pk)
                officer_b.name += "二"
                officer_b.save()
                t2_has_b.set()
                # hold B until T1 asks for it, so that T1 holds A and waits for B while T2 holds B
                # and commits its audited write: PostgreSQL reports T1's wait
                while not (errors or t1_waits_for_a_lock()):
                    if not left():
                        raise AssertionError("T1 never waited for B's lock")
                    time.sleep(0.01)  # the poll's interval; the condition orders the steps
        except BaseException as exc:
            errors.append(exc)
        finally:
            t2_has_b.set()
            connection.close()

    threads = [threading.Thread(target=t1), threading.Thread(target=t2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(left() + 5)
    assert not any(t.is_alive() for t in threads), "the writers hang"
    assert errors == []
    assert Officer.objects.get(pk=b.pk).name == b.name + "二一"  # T2 first, then T1
    _checked, broken = services.verify_audit_chain()
    assert broken is None
