"""Command line: printing is the output."""

import argparse
import logging

from textkit.core import summarize

log = logging.getLogger(__name__)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("words", nargs="*")
    args = parser.parse_args()
    print(f"{summarize(args.words)['count']} words")
