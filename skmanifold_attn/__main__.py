"""Command line entry point: ``python -m skmanifold_attn``."""

import sys

from ._cli import main

if __name__ == "__main__":
    sys.exit(main())
