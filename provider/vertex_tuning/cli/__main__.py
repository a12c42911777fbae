"""`python -m vertex_tuning.cli`: the `vertex-tuning` command without the console script."""

from . import main

main()
