"""Summarizes conformance mismatches per op: python -m opinfo.report [op-id-substring ...]"""

import sys

from . import ALL_OPS


def main(argv):
    sys.path.insert(0, "")
    from test_ops_aten import check_op_aten
    from test_ops_decomp import check_op_numerics
    from test_ops_meta import check_op

    wanted = argv[1:]
    bad = 0
    for op in ALL_OPS:
        if wanted and not any(w in op.id for w in wanted):
            continue
        failures = []
        try:
            check_op(op, failures)
            if not failures:
                check_op_numerics(op, failures)
            if not failures and hasattr(__import__("keraunos")._C, "compile_trace"):
                check_op_aten(op, failures)
        except Exception as e:  # a broken sample generator or reference
            failures.append(f"sample generation or reference failed: {type(e).__name__}: {e}")
        if failures:
            bad += 1
            print(f"{op.id}: {len(failures)} mismatches; first: {failures[0][:300]}")
    print(f"{bad} ops with mismatches")


if __name__ == "__main__":
    main(sys.argv)
