"""What can go wrong with a CAP message, each with a stable code (see tocsin.errors)."""

from __future__ import annotations

from tocsin.errors import Conflict, InvalidInput, Unavailable


class CapInvalid(InvalidInput):
    """Not a valid CAP message: not XML, hostile XML, the schema or a rule of the spec."""

    code = "cap_invalid"
    title = "Invalid CAP message"


class CapRefused(InvalidInput):
    """A valid CAP message that tocsin will not turn into an alert (the message says why)."""

    code = "cap_refused"
    title = "CAP message refused"


class CapTooLarge(InvalidInput):
    status = 413
    code = "cap_too_large"
    title = "CAP message too large"


class CapMediaType(InvalidInput):
    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


class CapUnknownReference(Conflict):
    code = "cap_unknown_reference"
    title = "CAP message refers to messages not known here"


class CapSigningFailed(Unavailable):
    """Signing is configured but failed: nothing is published unsigned."""

    code = "cap_signing_failed"
    title = "CAP signing failed"


class CapSignatureInvalid(InvalidInput):
    code = "cap_signature_invalid"
    title = "CAP signature does not verify"
