"""``python -m queries.fragments``: rewrite the copies of the shared fragments in the query files;
``--check``: only list the files whose copy differs (exit status 1 if any)."""

from __future__ import annotations

import argparse
import sys

from queries.fragments import FragmentError, carriers, rewrite, stale


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m queries.fragments", description=__doc__)
    parser.add_argument("--check", action="store_true", help="list the stale copies, change nothing")
    args = parser.parse_args(argv)
    try:
        files = stale() if args.check else rewrite()
    except FragmentError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    verb = "differs from its fragment" if args.check else "rewritten"
    for path in files:
        print(f"{path}: {verb}")
    if not files:
        print(f"{len(carriers())} query files, every copy is current")
    return 1 if args.check and files else 0


if __name__ == "__main__":
    sys.exit(main())
