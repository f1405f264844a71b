"""The one exception type whose message is shown to users as a single line."""


class BoussoleError(Exception):
    """An error caused by input or environment, with a message that names the file/record/query and the reason."""
