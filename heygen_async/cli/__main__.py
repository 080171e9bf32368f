"""`python -m heygen_async.cli ...` runs the `heygen-async` command."""

import sys

from . import main

sys.exit(main())
