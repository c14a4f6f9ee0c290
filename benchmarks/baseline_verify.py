"""Baseline: read one image with plain c2pa-python, print its JSON and validation state.

python benchmarks/baseline_verify.py FILE
"""

from __future__ import annotations

import sys

import c2pa


def main(argv: list[str]) -> int:
    with c2pa.Reader(argv[1]) as reader:
        print(reader.json())
        print(reader.get_validation_state())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
