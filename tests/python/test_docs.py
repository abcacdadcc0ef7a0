"""The generated op coverage table (docs/ops.md) matches the registry and the conformance table."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_ops_doc_is_current():
    env = dict(os.environ, PYTHONPATH=os.environ.get("KERAUNOS_PYTHONPATH", os.path.join(ROOT, "python")))
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_ops_doc.py"), "--check"], env=env,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def test_every_op_has_a_conformance_entry():
    from keraunos import _C
    from opinfo import OPS_BY_ID

    missing = [s for s, _, _ in _C.symbols() if s.startswith(("prims.", "torch.")) and s not in OPS_BY_ID]
    assert not missing, f"ops without conformance entries: {missing}"
