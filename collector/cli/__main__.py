"""``python -m collector.cli``: the ``sitload`` command."""

from collector.cli import main

main()
