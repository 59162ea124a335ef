"""`python -m actlab.cli` runs the actlab command."""

from actlab.cli import main

main()
