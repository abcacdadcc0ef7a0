"""A compiler whose shared objects carry their own C++ runtime must never produce a crashing
extension or crashing kernels: the configure check stops, scripts/build.sh picks another compiler,
and the CPU fuser refuses such a host compiler with a clear error. The incompatible compiler here is
g++ with -static-libstdc++, what the GPU image's default $CXX does."""

import os
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHECK = os.path.join(ROOT, "cmake", "check_cxx_runtime.py")
GXX = shutil.which("g++")

pytestmark = pytest.mark.skipif(GXX is None, reason="needs g++ (with its static libstdc++) to build the incompatible compiler")


@pytest.fixture
def static_cxx(tmp_path):
    """A compiler that links libstdc++ statically into every shared object it builds."""
    path = tmp_path / "static-g++"
    path.write_text(f'#!/bin/sh\nexec {GXX} -static-libstdc++ "$@"\n')
    path.chmod(0o755)
    return str(path)


def run_check(*cxx, pick=False):
    args = [sys.executable, CHECK] + (["--pick"] if pick else []) + [a for c in cxx for a in ("--cxx", c)]
    return subprocess.run(args, capture_output=True, text=True)


def test_the_check_accepts_the_system_compiler():
    res = run_check(GXX)
    assert res.returncode == 0, res.stderr


def test_the_check_rejects_a_compiler_with_a_private_cxx_runtime(static_cxx):
    res = run_check(static_cxx)
    assert res.returncode == 1
    assert "carry their own copy of the C++ runtime" in res.stderr and static_cxx in res.stderr, res.stderr


def test_the_check_rejects_a_missing_compiler():
    res = run_check("/nonexistent/g++")
    assert res.returncode == 1 and "was not found" in res.stderr, res.stderr


def test_pick_skips_incompatible_compilers_as_build_sh_does(static_cxx):
    res = run_check(static_cxx, "/nonexistent/g++", GXX, pick=True)
    assert res.returncode == 0 and res.stdout.strip() == GXX, (res.stdout, res.stderr)
    assert "carry their own copy" in res.stderr  # build.sh prints why it did not take $CXX


@pytest.mark.skipif(shutil.which("cmake") is None, reason="needs cmake")
def test_configure_stops_with_a_compiler_that_carries_its_own_runtime(static_cxx, tmp_path):
    env = dict(os.environ, CXX=static_cxx)
    res = subprocess.run(
        ["cmake", "-S", ROOT, "-B", str(tmp_path / "build"), "-DKERAUNOS_BUILD_TESTS=OFF", f"-DPython3_EXECUTABLE={sys.executable}"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert res.returncode != 0, res.stdout[-2000:]
    said = " ".join(res.stderr.split())  # CMake wraps its messages
    assert "carry their own copy of the C++ runtime" in said, res.stderr[-3000:]
    assert "CXX=/usr/bin/g++" in said, res.stderr[-3000:]


FUSED_CALL = textwrap.dedent("""
    import torch, keraunos
    f = keraunos.jit(lambda x: torch.tanh(x) * 2, executors=["fuser"])
    try:
        f(torch.randn(4, 8))
    except keraunos.KeraunosError as e:
        print("ERROR:", e)
    else:
        print("RAN")
""")


def run_fused(cxx, cache_dir):
    env = dict(os.environ, KERAUNOS_CXX=cxx, KERAUNOS_CACHE_DIR=str(cache_dir), PYTHONPATH=os.path.join(ROOT, "python"))
    return subprocess.run([sys.executable, "-c", FUSED_CALL], capture_output=True, text=True, env=env, timeout=300)


def test_the_fuser_refuses_a_host_compiler_with_a_private_runtime(static_cxx, tmp_path):
    res = run_fused(static_cxx, tmp_path / "cache")
    assert res.returncode == 0, res.stderr[-3000:]  # an error, not a crash
    out = res.stdout
    assert "ERROR:" in out, out
    assert static_cxx in out and "its own copy of the C++ runtime" in out and "KERAUNOS_CXX" in out, out


def test_the_fuser_names_a_missing_host_compiler(tmp_path):
    res = run_fused("/nonexistent/g++", tmp_path / "cache")
    assert res.returncode == 0, res.stderr[-3000:]
    assert "ERROR:" in res.stdout and "/nonexistent/g++" in res.stdout and "KERAUNOS_CXX" in res.stdout, res.stdout


def test_the_fuser_runs_with_the_system_compiler(tmp_path):
    res = run_fused(GXX, tmp_path / "cache")
    assert res.returncode == 0 and res.stdout.strip() == "RAN", (res.stdout, res.stderr[-3000:])
