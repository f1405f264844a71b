"""The errors of Boussole: one hierarchy, rooted at :class:`BoussoleError`, whose messages are shown to users.

Each subclass names what went wrong in the domain's terms (an invalid query, a missing resource, a store that does
not answer); none carries an HTTP status. The service maps them to statuses in one table (:mod:`api.errors`), the
command line prints them on one line. An exception that is not a ``BoussoleError`` is a bug: the service logs it
and shows a generic message, never its text.
"""

from __future__ import annotations


class BoussoleError(Exception):
    """An error caused by input or environment, with a message that names the file/record/query and the reason."""

    def __init__(self, message: str = "") -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(BoussoleError):
    """The request, a parameter or a payload is malformed or contradicts itself."""


class InvalidQuery(InvalidRequest):
    """A SPARQL query or update does not parse, or cannot be evaluated as written."""


class Unauthorized(BoussoleError):
    """The operation needs the write token and the request did not give a valid one."""


class Forbidden(BoussoleError):
    """The operation is refused whoever asks: a read-only endpoint, federation that is off, a target not allowed."""


class NotFound(BoussoleError):
    """The resource, graph, question or deliberation does not exist."""


class MethodNotAllowed(BoussoleError):
    """The resource exists but does not answer this method."""

    def __init__(self, message: str, allow: str) -> None:
        super().__init__(message)
        self.allow = allow

    def __reduce__(self):  # keep picklable across the query workers' pipe
        return (type(self), (self.message, self.allow))


class NotAcceptable(BoussoleError):
    """None of the formats the client accepts is offered."""


class PayloadTooLarge(BoussoleError):
    """The request or its result is larger than this endpoint accepts."""


class UnsupportedMediaType(BoussoleError):
    """The payload is in a format (or charset) that is not read here."""


class Timeout(BoussoleError):
    """The work did not finish within the configured time and was stopped."""


class Unavailable(BoussoleError):
    """The service cannot do the work now (busy, a worker died); retrying later may succeed."""


class UpstreamError(BoussoleError):
    """The remote store answered with an error or could not be reached."""


class NotSupported(BoussoleError):
    """The operation exists but not with this configuration (e.g. it needs the embedded store)."""


class StoreError(BoussoleError):
    """The store failed while doing the work; nothing was changed."""
