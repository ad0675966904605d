"""Command line interface: ``python -m skmanifold_attn demo``."""

import argparse

from ._version import __version__


def _build_parser():
    parser = argparse.ArgumentParser(
        prog="python -m skmanifold_attn",
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
            "a downstream classifier, and save a PNG of the 2-D embeddings."
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
        help="run only the named demo rows (e.g. PCA LocallyLinearEmbedding)",
    )
    demo.add_argument(
        "--no-plot", action="store_true", help="skip the figure (no matplotlib needed)"
    )
    demo.add_argument(
        "--random-state", type=int, default=0, help="seed (default: %(default)s)"
    )
    return parser


def main(argv=None):
    """Run the command line interface and return its exit status."""
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "demo":
        from ._demo import run_demo

        run_demo(
            out=args.out,
            only=args.only,
            plot=not args.no_plot,
            random_state=args.random_state,
        )
        return 0
    parser.error(f"unknown command {args.command!r}")  # pragma: no cover
