"""Packaging: importing keraunos is cheap on top of torch, and the Dynamo backend is declared."""

import os
import subprocess
import sys

import tomllib

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_import_adds_well_under_a_second_to_import_torch():
    code = (
        "import time; t0 = time.perf_counter(); import torch; t1 = time.perf_counter(); import keraunos; "
        "t2 = time.perf_counter(); print(t2 - t1)"
    )
    env = dict(os.environ, PYTHONPATH=os.environ.get("KERAUNOS_PYTHONPATH", os.path.join(ROOT, "python")))
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert float(out.strip()) < 1.0, out
    # Dynamo is not imported by `import keraunos` (it costs most of a second) ...
    code2 = "import sys, keraunos; print('torch._dynamo' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code2], env=env, capture_output=True, text=True, check=True).stdout.strip() == "False"
    # ... yet torch.compile finds backend="keraunos" once it is.
    code3 = (
        "import torch, keraunos; f = torch.compile(lambda x: x * 2, backend='keraunos'); "
        "x = torch.randn(3); print(bool(torch.equal(f(x), x * 2)))"
    )
    assert subprocess.run([sys.executable, "-c", code3], env=env, capture_output=True, text=True, check=True).stdout.strip() == "True"


def test_pyproject_builds_with_cmake_and_declares_the_backend():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        p = tomllib.load(f)
    assert p["build-system"]["build-backend"] == "scikit_build_core.build"
    assert p["project"]["entry-points"]["torch_dynamo_backends"]["keraunos"] == "keraunos._backend:keraunos_backend"
    assert "torch==2.11.0" in p["project"]["dependencies"]
