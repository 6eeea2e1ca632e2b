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


@pytest.fixture(scope="session")
def library():
    """The library's exploration at `flowsim explore`'s defaults, as the README and the
    docs show it: run once for every test that reads it."""
    from helpers import load_script

    return load_script("update_docs").library_exploration()


# One of each heavy resource for the whole run: the page's server (with its gallery), a
# process pool and a local Dask cluster, each stopped when the run ends.

@pytest.fixture(scope="session")
def gallery(tmp_path_factory):
    return tmp_path_factory.mktemp("gallery")


@pytest.fixture(scope="session")
def server(gallery):
    """`flowsim serve` on a free 127.0.0.1 port with a gallery; stopped by its id."""
    pytest.importorskip("starlette")
    pytest.importorskip("uvicorn")
    from servers import start_server, stop

    process, base = start_server("--gallery", str(gallery))
    yield base
    stop(process)


@pytest.fixture(scope="session")
def pool():
    from flowsim.experiments.executors import PoolExecutor

    executor = PoolExecutor(2)
    yield executor
    executor.close()


@pytest.fixture(scope="session")
def dask_executor():
    pytest.importorskip("distributed")
    from flowsim.experiments.executors import DaskExecutor

    executor = DaskExecutor(workers=2)
    yield executor
    executor.close()
