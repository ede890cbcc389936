"""The ``ember`` command. With no arguments it runs the built-in demo."""

import argparse
import sys


def main(argv=None):
    """Entry point of the ``ember`` command."""
    parser = argparse.ArgumentParser(
        prog="ember", description="Ember: a deep-learning framework you can read end to end.")
    sub = parser.add_subparsers(dest="command")
    demo = sub.add_parser("demo", help="fit a small network to a noisy function (the default)")
    demo.add_argument("--steps", type=int, default=1500, help="SGD steps (default 1500)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    args = parser.parse_args(argv)
    if args.command in (None, "demo"):
        from ember.demo import run
        run(steps=getattr(args, "steps", 1500), seed=getattr(args, "seed", 0))
        return 0
    parser.print_help()
    return 2


if __name__ == "__main__":
    sys.exit(main())
