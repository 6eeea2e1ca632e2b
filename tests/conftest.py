import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture
def browser():
    """Opens headless Chromium (`test_report._browser`, with its options); every browser
    opened is quit when the test ends, passed or failed."""
    from test_report import _browser

    opened = []

    def open_browser(**options):
        opened.append(_browser(**options))
        return opened[-1]

    yield open_browser
    for driver in opened:
        driver.quit()
