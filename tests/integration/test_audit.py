import threading

import pytest
from django.core.management import call_command
from django.db import close_old_connections, connection, transaction

from precinct.identity import services
from precinct.identity.models import AuditEntry, AuditHead
from precinct.org.models import Officer


def _verify() -> tuple[int, object]:
    return services.verify_audit_chain(
        batch=7
    )  # small batches exercise the hand-over between pages


def test_the_loaded_chain_verifies(city) -> None:
    checked, broken = _verify()
    assert broken is None and checked == AuditEntry.objects.count() > 10


def test_a_write_records_who_what_and_before_after(city) -> None:
    officer = Officer.objects.first()
    actor = services.Actor(username="political", user_id="u1", role="political_dept", ip="10.0.0.9")
    with services.acting_as(actor):
        officer.name = "改名字"
        officer.save()
    entry = AuditEntry.objects.order_by("-seq").first()
    assert (entry.action, entry.object_type, entry.object_id) == (
        "update",
        "org.officer",
        str(officer.pk),
    )
    assert entry.actor == "political" and entry.ip == "10.0.0.9" and entry.role == "political_dept"
    assert entry.detail["changes"]["name"][1] == "改名字"
    assert entry.bureau_id == str(officer.bureau_id)


def test_an_edited_row_is_named(city) -> None:
    target = AuditEntry.objects.order_by("seq")[5]
    AuditEntry.objects.filter(seq=target.seq).update(actor="someone-else")
    _checked, broken = _verify()
    assert broken is not None and broken.seq == target.seq and "edited" in broken.problem


def test_a_deleted_row_is_named(city) -> None:
    target = AuditEntry.objects.order_by("seq")[8]
    AuditEntry.objects.filter(seq=target.seq).delete()
    _checked, broken = _verify()
    assert broken is not None and broken.seq == target.seq


def test_a_truncated_tail_is_named(city) -> None:
    last = AuditEntry.objects.order_by("-seq").first()
    AuditEntry.objects.filter(seq=last.seq).delete()
    _checked, broken = _verify()
    assert broken is not None and "head" in broken.problem


def test_reordered_rows_are_named(city) -> None:
    a, b = AuditEntry.objects.order_by("seq")[3:5]
    # swap the content of two neighbouring rows, each keeping its own sequence number
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
    AuditEntry.objects.filter(seq=a.seq).update(hash="x" * 64)
    AuditEntry.objects.filter(seq=b.seq).update(**va)
    AuditEntry.objects.filter(seq=a.seq).update(**vb)
    _checked, broken = _verify()
    assert broken is not None and broken.seq == a.seq


def test_audit_verify_command_exits_non_zero_when_broken(city, capsys) -> None:
    call_command("audit", "verify")
    assert "OK" in capsys.readouterr().out
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
    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, len(seqs) + 1))
    checked, broken = services.verify_audit_chain()
    assert broken is None and checked == len(seqs)
