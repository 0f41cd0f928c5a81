"""Issue 17 part 4 in the browser: the month's long work runs as jobs of the worker that `precinct
serve` starts. The session pack (PDF) shows its progress, is offered for download when ready, and
a double click starts it once; paying is covered by test_browser's pay journey."""

import re
import subprocess
import sys

from playwright.sync_api import expect

from tests.e2e.test_browser import _sign_in

CLI = [sys.executable, "-m", "precinct.cli"]


def _jobs(app_server, kind: str) -> int:
    done = subprocess.run(
        [*CLI, "jobs", "list", "--limit", "1000"],
        env=app_server.env,
        capture_output=True,
        text=True,
        check=True,
    )
    return sum(1 for line in done.stdout.splitlines() if f" {kind} " in line)


def test_the_pdf_pack_is_built_as_a_job_shown_with_progress_and_started_once(
    page, app_server
) -> None:
    _sign_in(page, "political")
    page.wait_for_url(re.compile(r"/$"))
    page.goto("/merit/")
    page.click("main p.muted a >> nth=0")  # ‹ the month before: closed in the demo city
    page.wait_for_url(re.compile(r"/merit/months/\d{4}-\d{2}/$"))
    pack = page.locator("#pack")
    button = pack.locator("form").first.locator("button")  # the meeting's PDF
    expect(button).to_be_enabled()
    assert _jobs(app_server, "merit.pack") == 0

    button.dblclick()  # a user who clicks twice

    page.wait_for_url(re.compile(r"#pack$"))
    # the page came back at once: a panel follows the job (its bar while it runs, then the file)
    expect(pack.locator("[data-job-state]")).to_have_count(1)
    link = pack.locator("a[href$='/file']")
    link.wait_for(timeout=240_000)
    with page.expect_download() as download:
        link.click()
    path = download.value.path()
    with open(path, "rb") as f:
        assert f.read(5) == b"%PDF-"  # a real PDF
    assert download.value.suggested_filename.endswith(".pdf")
    assert _jobs(app_server, "merit.pack") == 1  # two clicks, one job
