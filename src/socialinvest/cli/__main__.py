"""`python -m socialinvest.cli …`, as the `socialinvest` command."""

from socialinvest.cli import main

main()
