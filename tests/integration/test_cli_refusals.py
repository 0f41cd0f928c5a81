"""Domain errors at the command line are said one way (common/cli.py): every reason with its row
and field, in English like the rest of the commands' output, and exit status 2."""

import pytest
from django.utils import translation

from precinct.common.cli import EXIT_REFUSED, refusals
from precinct.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed


def test_every_reason_is_said_with_its_row_and_field(capsys: pytest.CaptureFixture[str]) -> None:
    errors = [FieldError("kind", "is required", row=2), FieldError("date", "is required", row=5)]
    with (
        translation.override("zh-hans"),  # a Chinese shell
        pytest.raises(SystemExit) as stop,
        refusals(after="nothing was saved"),
    ):
        raise ValidationFailed(errors)
    err = capsys.readouterr().err
    assert stop.value.code == EXIT_REFUSED
    # each field by its name in words, never its code
    assert "Row 2 · Kind: is required" in err and "Row 5 · Date: is required" in err
    assert err.rstrip().endswith("nothing was saved")


def test_a_missing_record_is_named_as_the_command_asks(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit), refusals(not_found="nobody: no such account"):
        raise NotFound("user")
    assert "nobody: no such account" in capsys.readouterr().err
    with pytest.raises(SystemExit), refusals():
        raise PermissionDenied()
    assert "Your role may not make this change." in capsys.readouterr().err


def test_nothing_is_said_when_the_use_case_succeeds(capsys: pytest.CaptureFixture[str]) -> None:
    with refusals():
        done = 1
    assert done == 1 and capsys.readouterr().err == ""
