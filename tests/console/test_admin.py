"""The admin pages and chat in a real browser: a key made in the Keys page works on /v1, chat streams with the
playground's figures, and the usage chart is drawn."""
import json
import time
import urllib.error
import urllib.request

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from console import open_page, poll, severe_console_entries, sign_in, wait


def status_of(url, key):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def admin_key(stack, key_id):
    request = urllib.request.Request(f"{stack.base}/admin/keys/{key_id}", headers={"Authorization": f"Bearer {stack.master}"})
    with urllib.request.urlopen(request) as response:
        return json.load(response)


def new_key_row(driver, cell):
    """The row of the key made in the test once it shows `cell` (the list is redrawn after each change)."""
    try:
        if driver.find_element(By.ID, "kc-form").find_element(By.TAG_NAME, "button").get_attribute("disabled"):
            return None
        rows = [r for r in driver.find_elements(By.CSS_SELECTOR, "#kl-body tr")
                if "made in the browser" in r.text and cell in [td.text for td in r.find_elements(By.TAG_NAME, "td")]]
        return rows[0] if rows else None
    except StaleElementReferenceException:
        return None


def test_a_key_created_in_the_keys_page_works_on_v1(driver, stack):
    sign_in(driver, stack, stack.master)
    open_page(driver, "keys")
    driver.find_element(By.ID, "kc-name").send_keys("made in the browser")
    driver.find_element(By.ID, "kc-rpm").send_keys("120")
    driver.find_element(By.CSS_SELECTOR, "#kc-form button[type=submit]").click()
    secret = poll(lambda: driver.find_element(By.ID, "kc-secret").get_attribute("value"))
    assert secret.startswith("sk-")
    assert status_of(stack.base + "/v1/models", secret) == 200
    # The list is redrawn after the key is made: wait until it has settled with the new key in it.
    row = poll(lambda: new_key_row(driver, "120"))
    key_id = row.find_element(By.TAG_NAME, "td").text
    # Its limits change through the dialog (a method="dialog" form, which the CSP's form-action 'none' allows).
    row.find_element(By.XPATH, ".//button[text()='Limits']").click()
    rpm = wait(driver).until(lambda d: d.find_element(By.ID, "ke-rpm") if d.find_element(By.ID, "ke-dialog").is_displayed() else None)
    rpm.clear()
    rpm.send_keys("60")
    driver.find_element(By.CSS_SELECTOR, "#ke-dialog button[value=save]").click()
    poll(lambda: admin_key(stack, key_id)["rpm"] == 60)
    row = poll(lambda: new_key_row(driver, "60"))
    # Revoking it from the page stops it at once.
    driver.execute_script("window.confirm = () => true")
    row.find_element(By.CSS_SELECTOR, "button.danger").click()
    poll(lambda: status_of(stack.base + "/v1/models", secret) == 401)
    assert severe_console_entries(driver) == []


def test_chat_streams_the_answer_with_timing_and_usage(driver, stack):
    sign_in(driver, stack, stack.key)
    open_page(driver, "chat")
    driver.find_element(By.ID, "chat-input").send_keys("Say something")
    driver.find_element(By.CSS_SELECTOR, "#chat-form button[type=submit]").click()
    answer = poll(lambda: (lambda t: t if "tok9" in t else None)(
        driver.find_element(By.CSS_SELECTOR, "#chat-log .assistant p").text), timeout=30)
    assert answer.startswith("tok0")
    terms = poll(lambda: [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#chat-stats dt")])
    values = [e.text for e in driver.find_elements(By.CSS_SELECTOR, "#chat-stats dd")]
    figures = dict(zip(terms, values))
    assert figures["Completion tokens"] == "10" and figures["Server total"].endswith(" ms")


def test_the_usage_page_draws_a_bar_per_model_and_logs_list_rows(driver, stack):
    status_of(stack.base + "/v1/models", stack.key)
    sign_in(driver, stack, stack.master)
    open_page(driver, "usage")
    Select(driver.find_element(By.ID, "us-group")).select_by_visible_text("model")
    wait(driver).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#us-chart svg rect.bar")
                       and "by model" in d.find_element(By.CSS_SELECTOR, "#us-chart figcaption").text)
    open_page(driver, "logs")
    rows = poll(lambda: driver.find_elements(By.CSS_SELECTOR, "#lg-body tr"))
    assert rows and "/" in rows[0].text


def viewed_image_width(driver, expected_buttons=None):
    """Clicks the first View button of the Logs table and returns the shown image's width once it has loaded."""
    def buttons():
        found = driver.find_elements(By.CSS_SELECTOR, "#lg-body button[aria-label^='View media']")
        # With a filter just submitted, the table first still shows the unfiltered rows (make test saw 2 for 1):
        # wait for the filtered table rather than count the one before it.
        return found if found and (expected_buttons is None or len(found) == expected_buttons) else None
    view = poll(buttons)
    view[0].click()
    return poll(lambda: driver.execute_script(
        "const i = document.querySelector('#lg-media img'); return i && i.complete ? i.naturalWidth : 0"))


def test_a_stored_image_can_be_viewed_from_its_log_row(driver, stack):
    sign_in(driver, stack, stack.master)
    open_page(driver, "images")
    Select(driver.find_element(By.ID, "gen-size")).select_by_visible_text("256x256")
    driver.find_element(By.ID, "gen-store").click()
    submit = driver.find_element(By.CSS_SELECTOR, "#gen-form button[type=submit]")
    submit.click()
    poll(lambda: driver.find_elements(By.CSS_SELECTOR, "#img-results figure img") and submit.is_enabled())
    open_page(driver, "logs")
    assert viewed_image_width(driver) == 256
    assert severe_console_entries(driver) == []


def test_an_image_stored_by_another_client_is_viewable_from_its_log_row(driver, stack):
    # Made outside this tab (the API, not the console): only the server's link from row to image can show it.
    body = json.dumps({"model": "gpt-image-1", "prompt": "a lighthouse", "size": "256x256",
                       "response_format": "url"}).encode()
    request = urllib.request.Request(f"{stack.base}/v1/images/generations", data=body, method="POST", headers={
        "Authorization": f"Bearer {stack.master}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request) as response:
        request_id = response.headers["x-request-id"]
    sign_in(driver, stack, stack.master)
    open_page(driver, "logs")
    driver.find_element(By.ID, "lg-request").send_keys(request_id)
    driver.find_element(By.CSS_SELECTOR, "#lg-form button[type=submit]").click()
    assert viewed_image_width(driver, expected_buttons=1) == 256
    assert severe_console_entries(driver) == []


def test_a_recorded_voice_is_added_previewed_and_deleted_in_the_voices_page(driver, stack):
    sign_in(driver, stack, stack.key)
    open_page(driver, "voices")
    record = driver.find_element(By.ID, "vadd-record")
    record.click()
    poll(lambda: record.get_attribute("aria-pressed") == "true")
    # Chromium's fake microphone: a few seconds of its beep make a sample the library accepts.
    time.sleep(3.5)
    record.click()
    poll(lambda: "Recording:" in driver.find_element(By.ID, "vadd-source").text)
    driver.find_element(By.ID, "vadd-name").send_keys("fake mic")
    driver.find_element(By.CSS_SELECTOR, "#vadd-form button[type=submit]").click()
    rows = "return [...document.querySelectorAll('#voices-body tr')].map(r => r.textContent).filter(t => t.includes('fake mic'))"
    added = poll(lambda: driver.execute_script(rows))
    assert "custom" in added[0]
    driver.find_element(By.CSS_SELECTOR, "#voices-body button[aria-label='Preview alloy']").click()
    poll(lambda: driver.execute_script("return document.getElementById('voices-audio').ended"), timeout=30)
    driver.execute_script("window.confirm = () => true")
    driver.find_element(By.CSS_SELECTOR, "#voices-body button[aria-label='Delete fake mic']").click()
    poll(lambda: driver.execute_script(rows) == [])
    assert severe_console_entries(driver) == []
