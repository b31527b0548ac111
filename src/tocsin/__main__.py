"""`python -m tocsin`: the command line, as `tocsin`."""

from tocsin.cli import main

main()
