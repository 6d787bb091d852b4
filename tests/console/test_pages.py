"""The console's pages in a real browser: they load cleanly, sign-in keeps a key only when the server accepts it,
and what the server sends (headers, assets) carries the CSP and no key."""
import os
import urllib.request

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from console import PAGES, open_page, severe_console_entries, sign_in, wait

ASSETS = os.path.join(os.path.dirname(__file__), "..", "..", "Sources", "ChorusGateway", "Console", "Assets")


def storage(driver):
    return driver.execute_script(
        "return {session: sessionStorage.length, local: localStorage.length, cookies: document.cookie}")


def test_every_page_loads_with_no_browser_console_errors_and_every_control_labelled(driver, stack):
    sign_in(driver, stack, stack.master)
    for page in PAGES:
        open_page(driver, page)
        heading = driver.find_element(By.CSS_SELECTOR, "#view h2")
        assert heading.is_displayed() and heading.text
        assert driver.find_element(By.ID, "status").text.find("failed to load") < 0, page
        unlabelled = driver.execute_script(
            "return [...document.querySelectorAll('#view input, #view select, #view textarea, #view button')]"
            ".filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label') && !e.textContent.trim())"
            ".map(e => e.id || e.outerHTML)")
        assert unlabelled == [], page
    assert severe_console_entries(driver) == []


def test_a_wrong_key_shows_an_alert_and_stores_nothing(driver, stack):
    driver.get(stack.base + "/ui")
    wait(driver).until(EC.visibility_of_element_located((By.ID, "signin-key"))).send_keys("sk-chorus-not-a-real-key")
    driver.find_element(By.CSS_SELECTOR, "#signin-form button[type=submit]").click()
    alert = wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#signin-error[role=alert]")))
    assert "not accepted" in alert.text
    assert storage(driver) == {"session": 0, "local": 0, "cookies": ""}
    assert not driver.find_element(By.ID, "nav").is_displayed()


def test_the_right_key_signs_in_into_session_storage_only_and_hides_admin_pages(driver, stack):
    sign_in(driver, stack, stack.key)
    assert driver.execute_script("return sessionStorage.getItem('chorus.key')") == stack.key
    assert storage(driver)["local"] == 0 and storage(driver)["cookies"] == ""
    assert not driver.find_element(By.CSS_SELECTOR, "#nav a[href='#/keys']").is_displayed()
    # The header names the key by name and hint only.
    who = driver.find_element(By.ID, "who").text
    assert "console" in who and "sk-chorus-…" in who and stack.key not in who
    # A reload keeps the tab signed in; an admin page asked for by a plain key shows Speak instead.
    driver.get(stack.base + "/ui#/keys")
    wait(driver).until(lambda d: d.execute_script("return document.getElementById('view').dataset.page") == "speak")


def test_signing_out_empties_session_storage_and_shows_the_sign_in_page(driver, stack):
    sign_in(driver, stack, stack.key)
    driver.find_element(By.ID, "sign-out").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "signin-key")))
    assert storage(driver) == {"session": 0, "local": 0, "cookies": ""}
    assert not driver.find_element(By.ID, "nav").is_displayed()


def test_the_master_key_unlocks_the_admin_pages(driver, stack):
    sign_in(driver, stack, stack.master)
    for page in ("keys", "usage", "logs"):
        assert driver.find_element(By.CSS_SELECTOR, f"#nav a[href='#/{page}']").is_displayed()


def test_ui_answers_carry_the_csp_and_no_key(driver, stack):
    with urllib.request.urlopen(stack.base + "/ui") as response:
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp and "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Content-Type"].startswith("text/html")
        page = response.read().decode()
    served = [page]
    for name in sorted(os.listdir(ASSETS)):
        with urllib.request.urlopen(f"{stack.base}/ui/{name}") as response:
            assert response.status == 200, name
            served.append(response.read().decode(errors="replace"))
    sign_in(driver, stack, stack.master)
    served.append(driver.page_source)
    for text in served:
        assert stack.master not in text and stack.key not in text


def test_the_skip_link_focuses_the_page_without_leaving_it(driver, stack):
    sign_in(driver, stack, stack.key)
    open_page(driver, "chat")
    driver.execute_script("document.querySelector('.skip').click()")
    assert driver.execute_script("return document.activeElement.id") == "view"
    assert driver.execute_script("return location.hash") == "#/chat"


def test_every_page_fits_a_narrow_screen_without_sideways_scrolling(driver, stack):
    driver.set_window_size(390, 844)
    sign_in(driver, stack, stack.master)
    for page in PAGES:
        open_page(driver, page)
        overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, (page, overflow)
