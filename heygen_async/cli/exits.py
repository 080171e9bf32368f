"""What the command returns: its exit codes, and the error that means "exit 2"."""

EXIT_OK = 0
EXIT_FAILED = 1  # an API call or a batch item failed
EXIT_USAGE = 2  # bad arguments, input or configuration: nothing (more) was sent
EXIT_INTERRUPTED = 130


class UsageError(Exception):
    """Bad input or configuration: reported on stderr, exit code 2."""
