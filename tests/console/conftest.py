"""Fixtures of the console suite: one stack (mock upstream + chorus) for the session, a fresh browser per test
(so sessionStorage starts empty), and helpers that drive the sign-in page."""
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from harness import browser, running_stack  # noqa: E402


@pytest.fixture(scope="session")
def stack():
    with running_stack() as running:
        yield running


@pytest.fixture
def driver():
    chrome = browser()
    chrome.set_script_timeout(30)
    try:
        yield chrome
    finally:
        chrome.quit()
