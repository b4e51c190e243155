"""The base of every error a user can fix from its message alone (the CLI prints just that line)."""


class UserError(Exception):
    """Bad input, a bad spec, a missing file, a diverging objective: the message says what to do."""
