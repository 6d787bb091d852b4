#!/usr/bin/env python3
"""Saves a PNG of every console page (wide, and narrow for a few) into a directory, default docs/console/:
python3 tests/console/screenshots.py [DIR]. Starts the same stack as the tests and puts a little data in first
(a chat turn, a played speech request, an edit with a painted mask), so the pages show something real."""
import json
import os
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

import pngread  # noqa: E402
from console import PAGES, open_page, poll, sign_in  # noqa: E402
from harness import ROOT, browser, running_stack  # noqa: E402
from test_media import paint  # noqa: E402

NARROW = ("speak", "images", "keys")


def admin_keys(stack):
    """Two keys with limits, made through the admin API, so the Keys page lists more than the test's own."""
    for body in ({"name": "mobile app", "rpm": 60, "max_concurrency": 4, "balance": 500},
                 {"name": "batch jobs", "budget": 20, "budget_period": "daily"}):
        request = urllib.request.Request(stack.base + "/admin/keys", data=json.dumps(body).encode(), method="POST",
                                         headers={"Authorization": f"Bearer {stack.master}", "Content-Type": "application/json"})
        urllib.request.urlopen(request).close()


def fill(driver):
    """A chat answer, a played speech request and an edited image, as a user would leave them."""
    open_page(driver, "chat")
    driver.find_element(By.ID, "chat-input").send_keys("Which voices can Chorus speak with?")
    driver.find_element(By.CSS_SELECTOR, "#chat-form button[type=submit]").click()
    poll(lambda: driver.find_elements(By.CSS_SELECTOR, "#chat-stats dt"))
    open_page(driver, "speak")
    driver.find_element(By.CSS_SELECTOR, "#speak-form button[type=submit]").click()
    poll(lambda: driver.execute_script("return document.getElementById('speak-audio').ended"), timeout=40)


def shoot(driver, directory, name):
    # The whole page, not just the window: size the window to the document first.
    height = driver.execute_script("return document.documentElement.scrollHeight")
    width = driver.get_window_size()["width"]
    driver.set_window_size(width, max(700, min(height + 120, 4000)))
    driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    path = os.path.join(directory, f"{name}.png")
    driver.save_screenshot(path)
    print(path)


def main():
    directory = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "docs", "console"))
    os.makedirs(directory, exist_ok=True)
    with running_stack() as stack:
        driver = browser(1280, 900)
        try:
            driver.get(stack.base + "/ui")
            shoot(driver, directory, "signin")
            sign_in(driver, stack, stack.master)
            admin_keys(stack)
            fill(driver)
            image = os.path.join(tempfile.mkdtemp(), "photo.png")
            with open(image, "wb") as f:
                f.write(pngread.write(256, 256, (40, 110, 190, 255)))
            for page in PAGES:
                driver.set_window_size(1280, 900)
                open_page(driver, page)
                if page == "images":
                    driver.find_element(By.ID, "edit-file").send_keys(image)
                    canvas = driver.find_element(By.ID, "edit-mask")
                    poll(lambda: driver.execute_script("return arguments[0].width", canvas) == 256)
                    paint(driver, canvas, [(60, 80), (130, 120), (190, 90)])
                    driver.find_element(By.CSS_SELECTOR, "#edit-form button[type=submit]").click()
                    poll(lambda: driver.find_elements(By.CSS_SELECTOR, "#img-stats dt"), timeout=30)
                if page == "usage":
                    Select(driver.find_element(By.ID, "us-group")).select_by_visible_text("model")
                    poll(lambda: "by model" in driver.find_element(By.CSS_SELECTOR, "#us-chart figcaption").text)
                shoot(driver, directory, page)
            for page in NARROW:
                driver.set_window_size(390, 844)
                open_page(driver, page)
                shoot(driver, directory, f"{page}-narrow")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
