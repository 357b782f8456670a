"""The web view in a real browser: Debian's headless Chromium driven by selenium, against the
real server (uvicorn) on 127.0.0.1. A reader reaches Donetsk's evidence from the front page by
mouse and by keyboard; an editor signs in and accepts an item; axe-core's WCAG 2 A/AA rules
find nothing on the pages. Screenshots go to test-artifacts/web (or $BRIEFBOT_TEST_ARTIFACTS).

Chromium and axe-core are installed by `.ci/browser-deps` (the README's test command runs it).
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from bot.context import Context
from bot.core.models import ItemState
from bot.core.review import Desk
from bot.frontends.web.server import server
from tests.conftest import REPO
from tests.frontends.web.conftest import DRAFT_ID, EDITOR, PASSWORD, free_port, make_context

CHROMIUM, CHROMEDRIVER = shutil.which("chromium"), shutil.which("chromedriver")
AXE = Path(
    os.environ.get("BRIEFBOT_AXE_JS")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "briefbot-ci/node_modules/axe-core/axe.min.js"
)
ARTIFACTS = Path(os.environ.get("BRIEFBOT_TEST_ARTIFACTS") or REPO / "test-artifacts") / "web"
MISSING = "run `bash .ci/browser-deps` first (Debian's chromium and chromium-driver, and axe-core)"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Context]]:
    """The web view served by uvicorn on 127.0.0.1, in a thread of this process."""
    monkeypatch.chdir(tmp_path)
    ctx = make_context(tmp_path)
    web = server(ctx, "127.0.0.1", free_port())
    thread = threading.Thread(target=web.run, name="web-view", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not web.started:  # uvicorn says when it listens
        assert time.monotonic() < deadline and thread.is_alive(), "the web view did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{web.config.port}", ctx
    web.should_exit = True
    thread.join(10)
    ctx.close()


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[WebDriver]:
    assert CHROMIUM and CHROMEDRIVER, MISSING
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1024",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def screenshot(driver: WebDriver, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    driver.execute_script("window.scrollTo(0, 0)")
    path = ARTIFACTS / f"{name}.png"
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(int(height), 800), 4000))
    assert driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1024)
    return path


def axe_violations(driver: WebDriver) -> list[str]:
    """axe-core's WCAG 2.0/2.1 A and AA rules on the page shown: 'rule: target' per failure."""
    assert AXE.is_file(), MISSING
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
        ".then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))"
        ".catch(e => done(['axe failed: ' + e]));"
    )
    return list(result)


def waiting(driver: WebDriver) -> WebDriverWait:
    """A wait that rides over a page being replaced (elements gone stale, not there yet)."""
    return WebDriverWait(driver, 15, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def wait_for(driver: WebDriver, css: str) -> None:
    waiting(driver).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_a_reader_follows_the_front_page_to_donetsk_and_sees_its_evidence(
    site: tuple[str, Context], browser: WebDriver
) -> None:
    base, _ctx = site
    browser.get(base + "/")
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Digest for 8 Dec 2022")
    assert axe_violations(browser) == []
    screenshot(browser, "1-front")
    browser.find_element(By.CSS_SELECTOR, 'a[href="/region/UA-14"]').click()  # one click
    wait_for(browser, "blockquote.evidence mark")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Donetsk (UA-14): what the sources say"
    marks = [m for m in browser.find_elements(By.CSS_SELECTOR, "blockquote.evidence mark") if m.is_displayed()]
    assert any("Peskov said the area specifically needing liberation was Donetsk" in m.text for m in marks)
    background = marks[0].value_of_css_property("background-color")
    assert background not in ("rgba(0, 0, 0, 0)", "transparent")  # highlighted
    sources = [s.text for s in browser.find_elements(By.CSS_SELECTOR, "p.source") if s.is_displayed()]
    assert any(s.startswith("Newsweek, 8 Dec 2022") for s in sources)
    assert browser.find_element(By.ID, "timeline").is_displayed()
    assert axe_violations(browser) == []
    screenshot(browser, "2-region-donetsk")
    # the evidence leads to the article, where its span is highlighted in the text
    browser.find_element(By.CSS_SELECTOR, "p.source a").click()
    wait_for(browser, ".document mark")
    highlighted = [m.text for m in browser.find_elements(By.CSS_SELECTOR, ".document a.span mark")]
    assert any("liberation was Donetsk" in text for text in highlighted)
    assert axe_violations(browser) == []


def test_the_keyboard_reaches_donetsk(site: tuple[str, Context], browser: WebDriver) -> None:
    base, _ctx = site
    browser.get(base + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    first = browser.switch_to.active_element
    assert first.text == "Skip to the content" and first.is_displayed()  # shown when focused
    for _ in range(200):
        active = browser.switch_to.active_element
        if active.get_attribute("href") == base + "/region/UA-14":
            break
        active.send_keys(Keys.TAB)
    else:
        pytest.fail("Tab never reached the link to Donetsk")
    active.send_keys(Keys.ENTER)
    wait_for(browser, "blockquote.evidence mark")
    assert browser.current_url == base + "/region/UA-14"


def test_an_editor_signs_in_and_accepts_an_item(site: tuple[str, Context], browser: WebDriver) -> None:
    base, ctx = site
    browser.get(base + "/signin")
    assert axe_violations(browser) == []
    browser.find_element(By.ID, "signin-name").send_keys(EDITOR)
    browser.find_element(By.ID, "signin-password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "form.signin button").click()
    wait_for(browser, ".who strong")
    assert browser.find_element(By.CSS_SELECTOR, ".who strong").text == EDITOR
    browser.get(f"{base}/article/{DRAFT_ID}")
    wait_for(browser, ".document a.span.state-undecided")
    # an undecided claim highlighted in the text: its span links to the item beside the text
    span = browser.find_element(By.CSS_SELECTOR, '.document a.span.kind-claim.state-undecided[href^="#item-c"]')
    item = (span.get_attribute("href") or "").rsplit("#item-", 1)[1]
    block = browser.find_element(By.ID, f"item-{item}")
    assert "[undecided]" in block.text
    assert "automatic, not reviewed" in browser.find_element(By.CSS_SELECTOR, ".article-text").text
    assert axe_violations(browser) == []
    screenshot(browser, "3-article-before-review")
    block.find_element(By.CSS_SELECTOR, "button.verb-accept").click()
    waiting(browser).until(expected_conditions.staleness_of(block))
    waiting(browser).until(lambda d: "accepted by anna" in d.find_element(By.ID, f"item-{item}").text)
    assert browser.find_element(By.CSS_SELECTOR, "p.flash").text.startswith(f"accepted {item} — by {EDITOR} (web)")
    span = browser.find_element(By.CSS_SELECTOR, f'.document a.span[href="#item-{item}"]')
    assert "state-accepted" in (span.get_attribute("class") or "")  # the text shows the decision at once
    assert axe_violations(browser) == []
    screenshot(browser, "4-article-after-accept")
    decided = {i: it.review for i, _s, it in Desk(ctx.store, ctx.settings.summaries_dir).sheet(DRAFT_ID).items()}
    assert decided[item].state == ItemState.ACCEPTED and decided[item].by == f"{EDITOR} (web)"
