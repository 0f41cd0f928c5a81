"""The security headers every answer carries (issue 18, V1 and V10): a Content-Security-Policy
that runs only the site's own script files (no inline script, no eval, no framing); no-store on
every page, file and API answer (they hold personal data), static assets excepted; HSTS and
Secure cookies whenever the request came over HTTPS, and plain-HTTP development still works."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from precinct.demo.services import DEMO_PASSWORD

STATIC = Path(__file__).resolve().parents[2] / "src" / "precinct" / "web" / "static" / "precinct"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "precinct"


def policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    out: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            out[words[0]] = words[1:]
    return out


def directives(response) -> set[str]:
    return {d.strip() for d in response.get("Cache-Control", "").split(",")}


def _officer_id(city) -> str:
    from precinct.org.models import Officer

    return str(Officer.objects.filter(bureau_id=city.bureau_id).values_list("pk", flat=True)[0])


@pytest.fixture
def answers(city, settings, tmp_path) -> dict[str, object]:
    """One answer of each kind: the sign-in page, a page, a page's part, an API answer, a file
    export, an officer's photo, a JSON feed, a refusal and a page that does not exist."""
    from precinct.org import services as org

    settings.MEDIA_ROOT = str(tmp_path)  # the photo's file
    anonymous, leader = Client(), city.client("leader")
    officer = _officer_id(city)
    org.set_photo(city.scope("political"), officer, content=_png())
    return {
        "login": anonymous.get("/login/"),
        "home": leader.get("/"),
        "officers": leader.get("/org/officers/"),
        "officers part": leader.get("/org/officers/", headers={"HX-Request": "true"}),
        "api": leader.get("/api/v1/me"),
        "api refusal": Client().get("/api/v1/me"),
        "roster export": leader.get(reverse("org:roster_export")),
        "photo": leader.get(reverse("org:officer_photo", args=[officer])),
        "not found": leader.get("/no/such/page/"),
    }


def _png() -> bytes:
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return buf.getvalue()


def test_every_answer_has_a_policy_that_runs_only_the_sites_own_script_files(answers) -> None:
    answers["static"] = Client().get("/static/precinct/charts.js")
    for name, r in answers.items():
        p = policy(r)
        assert p, f"{name}: no Content-Security-Policy"
        assert p["default-src"] == ["'self'"], name
        assert p["script-src"] == ["'self'"], (name, p["script-src"])  # no inline, no eval
        assert p["style-src"] == ["'self'"], (name, p["style-src"])  # no style attributes
        assert p["object-src"] == ["'none'"] and p["base-uri"] == ["'none'"], name
        assert p["frame-ancestors"] == ["'none'"] and p["form-action"] == ["'self'"], name


def test_pages_files_and_api_answers_are_not_stored_static_assets_are(answers) -> None:
    for name, r in answers.items():
        assert "no-store" in directives(r), (name, r.status_code, r.get("Cache-Control"))
    asset = Client().get("/static/precinct/charts.js")
    assert asset.status_code == 200 and "no-store" not in directives(asset)


@pytest.mark.otp
def test_the_page_that_shows_the_authenticator_secret_is_not_stored(city) -> None:
    c = Client()
    signed = c.post("/login/", {"username": "officer", "password": DEMO_PASSWORD})
    assert signed.status_code == 302
    r = c.get(reverse("web:otp_setup"))
    assert "no-store" in directives(r), (r.status_code, r.get("Cache-Control"))


def _cookies(response) -> dict[str, bool]:
    return {name: bool(m["secure"]) for name, m in response.cookies.items()}


def test_over_https_hsts_is_sent_and_every_cookie_is_secure(city) -> None:
    c = Client()
    page = c.get("/login/", secure=True)
    assert re.fullmatch(r"max-age=\d{8,}", page["Strict-Transport-Security"])
    signed = c.post("/login/", {"username": "leader", "password": DEMO_PASSWORD}, secure=True)
    assert signed.status_code == 302
    cookies = _cookies(signed)
    assert cookies and all(cookies.values()), cookies  # the session's and the new CSRF token's
    lang = c.post(reverse("set_language"), {"language": "zh-hant", "next": "/"}, secure=True)
    cookies = _cookies(lang)
    assert "precinct_language" in cookies and all(cookies.values()), cookies


def test_over_plain_http_development_works_without_hsts_or_secure_cookies(city) -> None:
    c = Client()
    page = c.get("/login/")
    assert "Strict-Transport-Security" not in page
    signed = c.post("/login/", {"username": "leader", "password": DEMO_PASSWORD})
    assert signed.status_code == 302
    cookies = _cookies(signed)
    assert cookies and not any(cookies.values()), cookies
    assert c.get("/").status_code == 200  # the session cookie came back over plain HTTP


INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.IGNORECASE)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>")
STYLE_ATTRIBUTE = re.compile(r"""\sstyle\s*=\s*["']""", re.IGNORECASE)


def test_no_template_has_an_inline_handler_script_or_style_attribute() -> None:
    """What the policy would refuse in the browser, found in the source: each template's inline
    event handlers (onchange=…), inline scripts and style attributes."""
    found = []
    for path in sorted(TEMPLATES.rglob("templates/**/*.html")):
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_HANDLER, INLINE_SCRIPT, STYLE_ATTRIBUTE):
            for m in pattern.finditer(text):
                line = text.count("\n", 0, m.start()) + 1
                found.append(f"{path.relative_to(TEMPLATES)}:{line}: {m.group(0).strip()}")
    assert not found, "\n".join(found)


# How a script would put data into the page as markup: the HTML sinks, ECharts' formatters
# answering with a string of markup, Leaflet tooltips and popups given a string (Leaflet sets
# their innerHTML) and divIcons given an html string.
HTML_SINKS = re.compile(
    r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|"
    r"return\s+\"<|\"<[a-z]+[ >]|"
    r"bind(?:Tooltip|Popup)\((?!\s*tip\()(?!\s*text\()|html:\s*\""
)


def test_no_script_of_ours_builds_markup_from_data() -> None:
    """Chart tooltips and every client-side template render text: they build elements and set
    their textContent (V1: a case event's subject ran as markup in the timeline's tooltip)."""
    found = []
    for path in sorted(STATIC.glob("*.js")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if HTML_SINKS.search(line):
                found.append(f"{path.name}:{n}: {line.strip()[:120]}")
    assert not found, "\n".join(found)
