"""Run the CLI as ``python -m accord``."""

from accord.cli import main

main()
