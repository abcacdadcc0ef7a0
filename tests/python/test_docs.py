"""The generated op coverage table (docs/ops.md) matches the registry and the conformance table."""

import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_ops_doc_is_current():
    env = dict(os.environ, PYTHONPATH=os.environ.get("KERAUNOS_PYTHONPATH", os.path.join(ROOT, "python")))
    r = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "gen_ops_doc.py"), "--check"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr + r.stdout


def test_every_op_has_a_conformance_entry():
    from opinfo import OPS_BY_ID

    from keraunos import _C

    missing = [s for s, _, _ in _C.symbols() if s.startswith(("prims.", "torch.")) and s not in OPS_BY_ID]
    assert not missing, f"ops without conformance entries: {missing}"


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    import re

    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def _markdown_files():
    out = [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "benchmarks", "RESULTS.md")]
    for d, _, files in os.walk(os.path.join(ROOT, "docs")):
        out += [os.path.join(d, f) for f in files if f.endswith(".md")]
    return out


def test_markdown_links_resolve():
    """Every relative link in the README and docs/ names a file that exists, and an anchor names a
    heading in it."""
    import re

    bad = []
    for md in _markdown_files():
        text = open(md).read()
        text = re.sub(r"```.*?```", "", text, flags=re.S)  # links inside code blocks are code
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+://", target) or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            dest = os.path.normpath(os.path.join(os.path.dirname(md), path)) if path else md
            if not os.path.exists(dest):
                bad.append(f"{os.path.relpath(md, ROOT)}: {target} (no such file)")
                continue
            if anchor and dest.endswith(".md"):
                headings = [_slug(h) for h in re.findall(r"^#+\s+(.*)$", open(dest).read(), flags=re.M)]
                if anchor not in headings:
                    bad.append(f"{os.path.relpath(md, ROOT)}: {target} (no heading '{anchor}')")
    assert not bad, "\n".join(bad)
