"""Driving the console page by page: sign in, open a page, wait for things to appear."""
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PAGES = ["speak", "transcribe", "images", "chat", "voices", "keys", "usage", "logs"]


def wait(driver, timeout=20):
    return WebDriverWait(driver, timeout, poll_frequency=0.1)


def sign_in(driver, stack, key):
    driver.get(stack.base + "/ui")
    field = wait(driver).until(EC.visibility_of_element_located((By.ID, "signin-key")))
    field.send_keys(key)
    driver.find_element(By.CSS_SELECTOR, "#signin-form button[type=submit]").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "nav")))


def open_page(driver, name):
    """Goes to #/name and waits until the page has mounted (its models and lists loaded)."""
    driver.execute_script("location.hash = arguments[0]", f"#/{name}")
    wait(driver).until(lambda d: d.execute_script(
        "const v = document.getElementById('view'); return v.dataset.page === arguments[0] && v.getAttribute('aria-busy') === 'false'",
        name))


def severe_console_entries(driver):
    return [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def poll(condition, timeout=30, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")
