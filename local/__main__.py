"""`python -m local` runs the local service, like `python -m local.server`."""

from local.server import main

main()
