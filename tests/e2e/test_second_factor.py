"""The second factor in a real browser, on a server that requires it (the default): a first
sign-in, with the enrolment code the system administrator issued, enrols an authenticator from the
page's key, shows the recovery codes once, and the next sign-in asks for the app's code."""

import datetime as dt
import re
import subprocess
import sys

import pyotp
import pytest

from precinct.core import clock
from precinct.demo.services import DEMO_PASSWORD

from .conftest import start_server

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]


def _password(page, base: str, username: str) -> None:
    page.goto(f"{base}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")


def _enrolment_code(env: dict[str, str], username: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "precinct.cli", "accounts", "enrolment-code", username],
        env=env, check=True, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    return re.search(r"[a-z2-9]{5}-[a-z2-9]{5}", out.stdout).group(0)


def test_enrol_an_authenticator_then_sign_in_with_its_code(page, app_server, tmp_path) -> None:
    env = {**app_server.env, "PRECINCT_OTP_REQUIRED": "1"}
    url, process = start_server(env, tmp_path / "otp.log")
    try:
        _password(page, url, "leader")
        page.wait_for_url(re.compile(r"/login/otp/setup/"))
        assert page.locator("figure.qr svg").count() == 0  # the password alone shows no secret
        # the enrolment code the system administrator issued (here: on the command line)
        page.fill("#id_enrolment_code", _enrolment_code(env, "leader"))
        with page.expect_navigation():
            page.click("button[type=submit].primary")
        assert page.locator("figure.qr svg").count() == 1  # the QR code, drawn by the server
        secret = page.inner_text("#otp-secret").replace(" ", "")
        totp = pyotp.TOTP(secret)
        enrolled_at = clock.now()  # the server's clock (moved with PRECINCT_TODAY, as ours is)
        first = totp.at(enrolled_at)
        page.fill("#id_code", first)
        with page.expect_navigation():
            page.click("button[type=submit].primary")
        codes = page.locator("#recovery-codes code").all_inner_texts()
        assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", c) for c in codes)
        page.click("a.button.primary")
        page.wait_for_url(re.compile(r"/$"))
        assert page.locator("nav").count() == 1

        page.click("header form button[type=submit].link")  # sign out
        page.wait_for_url(re.compile(r"/login/"))
        _password(page, url, "leader")
        page.wait_for_url(re.compile(r"/login/otp/\?"))
        # the code just used is refused; the next step's code is taken
        page.fill("#id_code", first)
        with page.expect_navigation():
            page.click("button[type=submit].primary")
        assert page.locator(".error").count() == 1
        # the next step's code, or the current one if a loaded machine took longer than a step
        page.fill("#id_code", totp.at(max(clock.now(), enrolled_at + dt.timedelta(seconds=30))))
        page.click("button[type=submit].primary")
        page.wait_for_url(re.compile(r"/$"))
        page.click("a.who")
        page.wait_for_url(re.compile(r"/me/security/"))
        assert page.inner_text("#codes-left") == "10"
    finally:
        process.terminate()
        process.wait(timeout=20)
