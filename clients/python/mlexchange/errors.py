"""The exceptions of the client: the API's errors as Python exceptions, and delivery failures."""

from __future__ import annotations


class MLExError(Exception):
    """Base of every error this package raises on purpose."""


class APIError(MLExError):
    """The server answered with an error: its HTTP status and the API's `code`, `message`
    and `field` (the dotted path of the input to blame, when there is one)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None,
                 position: int | None = None):
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.position = position
        text = f"{status} {code}: {message}"
        if field:
            text += f" (field {field})"
        super().__init__(text)

    def naming(self, field: str) -> "APIError":
        """The same error blaming `field` instead (its text says so too)."""
        return type(self)(self.status, self.code, self.message, field, self.position)

    def __reduce__(self):
        return (type(self), (self.status, self.code, self.message, self.field, self.position))


class BadRequest(APIError):
    """400 or 422: the input was refused; `field` names what is wrong."""


class Unauthorized(APIError):
    """401: no valid token (log in with `mlex login`, or set MLEX_TOKEN)."""


class Forbidden(APIError):
    """403: the role in the project is too low for this."""


class NotFound(APIError):
    """404: it does not exist, or the caller may not see it."""


class Conflict(APIError):
    """409: e.g. a param logged again with another value (`param_conflict`)."""


class ConnectionFailed(MLExError):
    """The server could not be reached (after the retries allowed)."""


class NotAvailableInJob(MLExError):
    """The call needs the network, which a job's sandbox does not have."""


class IntegrityError(MLExError):
    """A downloaded file's SHA-256 is not the one the server recorded."""


class DeliveryError(MLExError):
    """Some of what a run queued (metric points, params, tags, log lines) could not be
    delivered. `undelivered` counts the metric points and other items lost, `errors` holds
    the causes (APIError or other exceptions), `items` the undelivered items themselves
    (metric points as (key, value, step, time in epoch seconds) tuples, other items as
    (kind, payload) with kind "params", "tags" or "log")."""

    def __init__(self, errors: list, items: list):
        self.errors = list(errors)
        self.items = list(items)
        self.points = sum(1 for item in self.items if len(item) == 4)
        self.undelivered = len(self.items)
        first = self.errors[0] if self.errors else None
        others = self.undelivered - self.points
        what = f"{self.points} metric point(s)"
        if others:
            what += f" and {others} other item(s)"
        super().__init__(f"{what} could not be delivered: {first}"
                         + (f" (and {len(self.errors) - 1} more error(s))" if len(self.errors) > 1 else ""))


_BY_STATUS = {400: BadRequest, 422: BadRequest, 401: Unauthorized, 403: Forbidden, 404: NotFound,
              409: Conflict}


def api_error(status: int, body: bytes, reason: str = "") -> APIError:
    """The exception for an error answer (`{"error": {code, message, field, position}}`)."""
    import json

    code, message, field, position = f"http_{status}", f"the server answered {status} {reason}".strip(), None, None
    try:
        error = json.loads(body or b"{}").get("error") or {}
        code = error.get("code") or code
        message = error.get("message") or message
        field = error.get("field")
        position = error.get("position")
    except (ValueError, AttributeError):
        pass
    return _BY_STATUS.get(status, APIError)(status, code, message, field, position)
