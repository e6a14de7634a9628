"""Domain errors: the message is what the user sees, turned into CLI/HTTP/UI output at the edge."""


class HeartbeatError(Exception):
    """Base of every error whose message is fit to show a user as it is."""
