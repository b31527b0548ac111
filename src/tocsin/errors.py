"""The error tree. Every error a client can see has a stable code and, where it has one,
the field at fault. The HTTP mapping lives in `tocsin.api.problems`, nowhere else.

    TocsinError
    ├── InvalidInput             422  bad value in a request (field names where)
    │   ├── UnknownRegion        422  region code not loaded
    │   ├── UnknownThreat        422  threat id not in the catalogue
    │   └── RegionImportError    422  a region pack or GeoJSON file that cannot be imported
    ├── NotFound                 404
    ├── Unauthorized             401  no or bad token
    ├── Forbidden                403  token lacks the role or the regions
    ├── Conflict                 409  state forbids it (illegal transition, idempotency clash)
    │   └── IllegalTransition    409
    ├── TooManyAttempts          429  too many logins: wait `retry_after` seconds
    ├── TooManyStreams           429  this client address has as many live streams as allowed
    └── Unavailable              503  a backend is down
        ├── Busy                 503  too much work waiting: try again after `retry_after`
        └── StreamsFull          503  the server has as many live streams as allowed
"""

from __future__ import annotations


class TocsinError(Exception):
    status = 500
    code = "internal"
    title = "Internal error"
    retry_after: float | None = None  # seconds, sent as Retry-After

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, field={self.field!r})"


class InvalidInput(TocsinError):
    status = 422
    code = "invalid_input"
    title = "Invalid input"


class UnknownRegion(InvalidInput):
    status = 422
    code = "unknown_region"
    title = "Unknown region"


class UnknownThreat(InvalidInput):
    status = 422
    code = "unknown_threat"
    title = "Unknown threat type"


class RegionImportError(InvalidInput):
    status = 422
    code = "region_import"
    title = "Region data cannot be imported"


class NotFound(TocsinError):
    status = 404
    code = "not_found"
    title = "Not found"


class Unauthorized(TocsinError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(TocsinError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Conflict(TocsinError):
    status = 409
    code = "conflict"
    title = "Conflict"


class IllegalTransition(Conflict):
    code = "illegal_transition"
    title = "Illegal alert transition"


class Unavailable(TocsinError):
    status = 503
    code = "unavailable"
    title = "Service unavailable"


class TooManyAttempts(TocsinError):
    status = 429
    code = "too_many_attempts"
    title = "Too many attempts"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class TooManyStreams(TocsinError):
    status = 429
    code = "too_many_streams"
    title = "Too many streams"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Busy(Unavailable):
    code = "busy"
    title = "Busy"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class StreamsFull(Unavailable):
    code = "streams_full"
    title = "Streams full"

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after
