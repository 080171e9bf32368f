"""`python -m heygen_async ...` runs the `heygen-async` command."""

import sys

from .cli import main

sys.exit(main())
