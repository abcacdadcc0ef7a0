#!/usr/bin/env python3
"""Checks that a C++ compiler builds shared objects that can live next to torch: builds
src/jit/cxx_runtime_probe.cpp with it, loads the result in a process that imported torch, runs it,
and compares the C++ runtime it uses with the one torch loaded. A compiler whose shared objects
carry a private libstdc++ (linked statically) builds an extension that crashes on its first call.

    python3 cmake/check_cxx_runtime.py --cxx /usr/bin/g++          # exit 0: usable; 1: not (why on stderr)
    python3 cmake/check_cxx_runtime.py --cxx g++ --cxx /usr/bin/g++ --pick   # prints the first usable one

Used by CMake's configure step (which stops when the compiler fails) and by scripts/build.sh
(which picks a usable compiler when $CXX is not one)."""

from __future__ import annotations

import argparse
import ctypes
import os
import shlex
import shutil
import subprocess
import sys
import tempfile

PROBE = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src", "jit", "cxx_runtime_probe.cpp")


def loaded_cxx_runtime() -> str | None:
    """The C++ runtime this process loaded (with torch imported), as a real path."""
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            name = os.path.basename(path)
            if name.startswith("libstdc++.so") or name.startswith("libc++.so"):
                return os.path.realpath(path)
    return None


def check(cxx: str) -> str | None:
    """None when `cxx` is usable next to torch, else the reason."""
    argv = shlex.split(cxx)
    if not argv or shutil.which(argv[0]) is None:
        return f"{cxx!r} was not found"
    with tempfile.TemporaryDirectory(prefix="keraunos-cxx-probe-") as d:
        so = os.path.join(d, "probe.so")
        cmd = argv + ["-std=c++17", "-O1", "-fPIC", "-shared", PROBE, "-o", so, "-ldl"]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            return f"{cxx!r} could not build a shared object:\n  {' '.join(cmd)}\n{res.stderr.strip()}"
        # Loaded and run in a child process: a private C++ runtime can crash it outright.
        run = subprocess.run([sys.executable, os.path.abspath(__file__), "--run-probe", so], capture_output=True, text=True)
        if run.returncode < 0:
            return (f"shared objects built by {cxx!r} crash when they run next to torch (signal {-run.returncode}): "
                    "they carry their own copy of the C++ runtime (libstdc++ linked statically) beside the one torch loaded")
        if run.returncode != 0:
            return f"a shared object built by {cxx!r} does not load or run next to torch: {(run.stderr or run.stdout).strip()}"
        torch_rt, formatted, where = run.stdout.rstrip("\n").split("|", 2)
        probe_rt = os.path.realpath(where) if where not in ("", "?") else "?"
        if probe_rt == os.path.realpath(so):
            return (f"shared objects built by {cxx!r} carry their own copy of the C++ runtime (libstdc++ linked statically), "
                    f"beside the one torch loaded ({torch_rt}); an extension built with it crashes on its first call")
        if formatted != "probe 5050":
            return (f"a shared object built by {cxx!r} runs a C++ runtime that misbehaves next to torch's ({torch_rt}): "
                    f"formatting 'probe 5050' gave {formatted!r}")
        if torch_rt != "?" and probe_rt != torch_rt:
            return (f"shared objects built by {cxx!r} use the C++ runtime {probe_rt}, but torch loaded {torch_rt}; "
                    "an extension built with it may crash")
    return None


def run_probe(so: str) -> int:
    """In a child process: load torch, then the probe, run it; prints `<torch's runtime>|<probe output>`."""
    import torch  # noqa: F401  (torch's C++ runtime first, as `import keraunos` does)

    torch_rt = loaded_cxx_runtime()
    lib = ctypes.CDLL(so)
    buf = ctypes.create_string_buffer(4096)
    if lib.keraunos_cxx_runtime_probe(buf, len(buf)) != 5050:
        print("the probe computed a wrong result", file=sys.stderr)
        return 1
    print(f"{torch_rt or '?'}|{buf.value.decode()}")
    return 0


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--run-probe":
        return run_probe(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cxx", action="append", required=True, help="a compiler (command and flags); repeat to give candidates")
    ap.add_argument("--pick", action="store_true", help="print the first usable candidate; exit 1 if none is")
    args = ap.parse_args()
    try:
        import torch  # noqa: F401
    except ImportError:
        print("check_cxx_runtime: torch is not importable; nothing to check against", file=sys.stderr)
        if args.pick:
            print(args.cxx[0])
        return 0
    for cxx in args.cxx if args.pick else args.cxx[:1]:
        why = check(cxx)
        if why is None:
            if args.pick:
                print(cxx)
            return 0
        print(f"check_cxx_runtime: {why}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
