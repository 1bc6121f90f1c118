"""Headless Chromium through Selenium and Debian's chromedriver.

Browser tests are marked `browser` (select them with `-m browser`). They skip,
with the reason, only where Chromium or its driver is absent; `.ci/run`
installs both and sets REQUIRE_BROWSER, which turns such a skip into a failure.
Screenshots go to artifacts/screenshots/ (git-ignored), kept by CI.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
SIZES = {"desktop": (1366, 768), "tablet": (1024, 768), "phone": (390, 844)}
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--lang=zh-CN",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(item.fspath).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture
def driver(tmp_path) -> Iterator:
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip("Chromium or chromedriver not installed (Debian: apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path / 'chromium-profile'}")
    options.add_argument("--window-size={},{}".format(*SIZES["desktop"]))
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.implicitly_wait(5)
    try:
        yield browser
    finally:
        browser.quit()


def _resize(driver, width: int, height: int) -> None:
    """Resize and wait until the page has been laid out at the new size (on a
    busy machine a click right after a resize can land on the old layout)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.set_window_size(width, height)
    seen: list[int] = []

    def settled(d) -> bool:
        # The same viewport width twice in a row, each read after a frame was drawn.
        d.execute_async_script("const done = arguments[0]; requestAnimationFrame(() => requestAnimationFrame(done));")
        seen.append(d.execute_script("return document.documentElement.clientWidth"))
        return len(seen) > 1 and seen[-1] == seen[-2]

    WebDriverWait(driver, 15, poll_frequency=0.1).until(settled)


def click(driver, target) -> None:
    """Scroll to the element (or the CSS selector's) and click it once it can
    be clicked; a page still settling (an htmx swap, a resize) can briefly
    cover it: try again until it takes the click."""
    from selenium.common.exceptions import ElementClickInterceptedException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    element = driver.find_element(By.CSS_SELECTOR, target) if isinstance(target, str) else target
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    WebDriverWait(driver, 15).until(ec.element_to_be_clickable(element))
    WebDriverWait(driver, 15, ignored_exceptions=[ElementClickInterceptedException]).until(
        lambda _driver: element.click() or True
    )


@pytest.fixture
def screenshot(driver) -> Callable[[str, str], Path]:
    """`screenshot(name, size)`: save a PNG at that window size, then give
    the window its previous size back so the test goes on as it was."""

    def _take(name: str, size: str = "desktop") -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        previous = driver.get_window_size()
        _resize(driver, *SIZES[size])
        path = SCREENSHOTS / f"{name}-{size}.png"
        driver.save_screenshot(str(path))
        _resize(driver, previous["width"], previous["height"])
        return path

    return _take


@pytest.fixture
def sign_in(driver, live_server) -> Callable:
    """`sign_in(staff)`: through the real login form."""
    from selenium.webdriver.common.by import By

    def _sign_in(staff) -> None:
        driver.get(f"{live_server.url}/login/")
        driver.find_element(By.NAME, "username").send_keys(staff.user.username)
        driver.find_element(By.NAME, "password").send_keys(PASSWORD)
        driver.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
        driver.find_element(By.CSS_SELECTOR, "nav")  # waits for the landing page

    return _sign_in
