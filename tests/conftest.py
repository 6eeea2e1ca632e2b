import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

# Left out of a plain `pytest` (a developer's quick run), run by `pytest --full` (CI).
FULL_ONLY = ("slow", "docs")


def pytest_addoption(parser):
    parser.addoption("--full", action="store_true",
                     help="run every test, the slow and docs ones too (as CI does)")


def pytest_collection_modifyitems(config, items):
    if config.getoption("--full") or config.getoption("-m"):
        return
    kept, left = [], []
    for item in items:
        (left if any(item.get_closest_marker(m) for m in FULL_ONLY) else kept).append(item)
    if left:
        config.hook.pytest_deselected(items=left)
        items[:] = kept


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
