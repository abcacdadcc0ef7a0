"""pytest setup: make the in-tree package importable and seed every test."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# A fused kernel that fails to compile is an error here, not a silent fallback to ATen.
os.environ.setdefault("KERAUNOS_STRICT", "1")
sys.path.insert(0, os.environ.get("KERAUNOS_PYTHONPATH", os.path.join(ROOT, "python")))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(autouse=True)
def _fresh_random_inputs(request):
    # Fresh random inputs per run, but reproducible from the printed seed when a test fails.
    import torch

    seed = (
        int.from_bytes(os.urandom(4), "little") if os.environ.get("KERAUNOS_TEST_SEED") is None else int(os.environ["KERAUNOS_TEST_SEED"])
    )
    torch.manual_seed(seed)
    request.node.user_properties.append(("seed", seed))
    yield


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # A failing test prints the seed its inputs came from, under its traceback.
    outcome = yield
    report = outcome.get_result()
    seed = dict(item.user_properties).get("seed")
    if report.failed and seed is not None:
        report.sections.append(("seed", f"rerun with KERAUNOS_TEST_SEED={seed}"))
