"""Command line interface: ``skmanifold-attn demo`` or ``python -m skmanifold_attn``."""

import argparse
import sys
from pathlib import Path

from ._version import __version__


def _prog():
    # The console script and ``python -m`` run the same main(); the help
    # names whichever the user typed.
    if Path(sys.argv[0] or "").name.startswith("skmanifold-attn"):
        return "skmanifold-attn"
    return "python -m skmanifold_attn"


def _build_parser():
    from ._demo import DEMO_CASES

    short = ", ".join(min(case.names(), key=len) for case in DEMO_CASES)
    parser = argparse.ArgumentParser(
        prog=_prog(),
        description=(
            "skmanifold_attn: scikit-learn compatible manifold embeddings, "
            "attention pooling and variational autoencoders in numpy."
        ),
    )
    parser.add_argument(
        "--version", action="version", version=f"skmanifold_attn {__version__}"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="fit every estimator of the suite on the digits data and report",
        description=(
            "Fit each estimator of the suite inside a scikit-learn Pipeline on the "
            "digits data that ships with scikit-learn (no download), tune it with a "
            "small GridSearchCV, print a table of fit time and held-out accuracy of "
            "a downstream classifier, and save a PNG of the 2-D embeddings "
            "(without matplotlib: the table only)."
        ),
    )
    demo.add_argument(
        "--out",
        default="demo_output",
        help="folder for the figure (created if missing; default: %(default)s)",
    )
    demo.add_argument(
        "--only",
        nargs="+",
        metavar="NAME",
        help=(
            "run only these rows, named as the table prints them, by class or by "
            "short name, in any case (e.g. --only PCA LLE NPE); rows: " + short
        ),
    )
    demo.add_argument(
        "--no-plot", action="store_true", help="skip the figure (no matplotlib needed)"
    )
    demo.add_argument(
        "--random-state", type=int, default=0, help="seed (default: %(default)s)"
    )
    demo.set_defaults(demo_parser=demo)
    return parser


def main(argv=None):
    """Run the command line interface and return its exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "demo":
        from ._demo import run_demo, select_cases

        try:
            select_cases(args.only)
        except ValueError as exc:
            args.demo_parser.error(str(exc))
        run_demo(
            out=args.out,
            only=args.only,
            plot=not args.no_plot,
            random_state=args.random_state,
        )
        return 0
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
