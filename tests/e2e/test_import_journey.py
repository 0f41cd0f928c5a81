"""Issue 17 part 4 in the browser: the political department's roster import runs as a job of the
worker that `precinct serve` starts. The page comes back at once with the job's panel; a workbook
with a wrong row is refused as a whole, its rows listed on the panel; the roster exported from the
same page imports again changing nothing."""

import io
import re
from pathlib import Path

from openpyxl import load_workbook
from playwright.sync_api import expect

from precinct.org import rules as org_rules
from tests.e2e.test_browser import _menu, _sign_in

JOB_MS = 600_000  # the server's one worker may be running another test's jobs first


def test_a_roster_import_runs_as_a_job_and_lists_refused_rows_on_its_panel(
    page, app_server, tmp_path: Path
) -> None:
    _sign_in(page, "political")
    page.wait_for_url(re.compile(r"/$"))
    _menu(page, "花名册导入")
    page.wait_for_url(re.compile(r"/org/roster/import/$"))
    with page.expect_download() as download:
        page.click("main a:text-is('导出花名册（Excel）')")
    exported = Path(download.value.path()).read_bytes()
    wb = load_workbook(io.BytesIO(exported))
    ws = wb.active
    rank = [label for _f, label in org_rules.ROSTER_COLUMNS].index("警衔") + 1
    ws.cell(row=3, column=rank, value="上将")  # no such rank in the police
    bad = tmp_path / "花名册-有误.xlsx"
    wb.save(bad)
    good = tmp_path / "花名册.xlsx"
    good.write_bytes(exported)

    page.set_input_files("#id_file", str(bad))
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"#import-job$"))  # back at once, the job's panel below
    panel = page.locator("#import-job")
    expect(panel.locator("[data-job-state]")).to_have_count(1)
    panel.locator("[data-job-state=failed]").wait_for(timeout=JOB_MS)
    assert "花名册-有误.xlsx" in panel.locator("h2").inner_text()
    cells = panel.locator("table.job-errors tbody tr").first.locator("td").all_inner_texts()
    assert cells[:2] == ["3", "警衔"] and cells[2], cells
    assert "什么也没有写入" in panel.inner_text()

    done = panel.locator("text=花名册导入完成：新增 0 人，更新 0 人，调动 0 人。")
    assert done.count() == 0
    page.set_input_files("#id_file", str(good))
    page.click("main form button.primary")
    page.wait_for_url(re.compile(r"#import-job$"))
    panel.locator("[data-job-state=done]").wait_for(timeout=JOB_MS)
    assert "花名册.xlsx" in panel.locator("h2").inner_text()
    assert done.count() == 1  # the roster as exported: nothing to change
