"""Domain exceptions. Each carries a stable machine code and its HTTP status.

Handlers never choose a status themselves: `census.api.responses` turns any
`CensusError` into the JSON error body, with the text from `census.messages`.
"""

from __future__ import annotations

from typing import Any, ClassVar


class CensusError(Exception):
    """Base of every error a client may see."""

    code: ClassVar[str] = "INTERNAL_ERROR"
    status: ClassVar[int] = 500

    def __init__(self, **params: Any) -> None:
        # `params` fill the message template and, where listed in `public`, the
        # response's `details`; they must never hold data the caller may not see.
        super().__init__(self.code)
        self.params = params

    public: ClassVar[tuple[str, ...]] = ()

    def details(self) -> dict[str, Any]:
        return {name: self.params[name] for name in self.public if name in self.params}


class InvalidBody(CensusError):
    code, status = "INVALID_BODY", 400
    public = ("field", "problem")


class InvalidMeterNumber(CensusError):
    """`problem` is `length`, `characters` or `check_digit`."""

    code, status = "INVALID_METER_NUMBER", 400
    public = ("problem", "length", "expected")


class InvalidIdNumber(CensusError):
    """`problem` is `length`, `characters`, `check_digit` or `birth_date`."""

    code, status = "INVALID_ID_NUMBER", 400
    public = ("problem",)


class NotVerified(CensusError):
    code, status = "NOT_VERIFIED", 403


class PhoneNotVerified(CensusError):
    code, status = "PHONE_NOT_VERIFIED", 403


class VerificationMismatch(CensusError):
    """`field` is `name` or `id_number` when the phone matched a roster entry."""

    code, status = "VERIFICATION_MISMATCH", 403
    public = ("attempts_left",)


class AlreadyBound(CensusError):
    code, status = "ALREADY_BOUND", 409


class PersonInactive(CensusError):
    code, status = "PERSON_INACTIVE", 403
    public = ("active_from", "active_to")


class VerificationLocked(CensusError):
    code, status = "VERIFICATION_LOCKED", 429
    public = ("unlocks_at",)


class MeterNotFound(CensusError):
    code, status = "METER_NOT_FOUND", 404


class MeterOutsideArea(CensusError):
    code, status = "METER_OUTSIDE_AREA", 403


class MeterNotResidential(CensusError):
    code, status = "METER_NOT_RESIDENTIAL", 422


class MeterNotInService(CensusError):
    code, status = "METER_NOT_IN_SERVICE", 422
    public = ("status",)


class NoConsumptionData(CensusError):
    code, status = "NO_CONSUMPTION_DATA", 422


class QuotaExhausted(CensusError):
    """`limit_name` is `person_homes`, `home_people` or `meter_daily`."""

    code, status = "QUOTA_EXHAUSTED", 429
    public = ("limit_name", "limit", "used", "resets_at")


class OutsideServiceWindow(CensusError):
    code, status = "OUTSIDE_SERVICE_WINDOW", 403
    public = ("window_start", "window_end")


class IdempotencyKeyReused(CensusError):
    code, status = "IDEMPOTENCY_KEY_REUSED", 422


class RequestInProgress(CensusError):
    """A request with the same Idempotency-Key is still running."""

    code, status = "REQUEST_IN_PROGRESS", 409


class NotSupervisor(CensusError):
    code, status = "NOT_SUPERVISOR", 403


class NotAdmin(CensusError):
    code, status = "NOT_ADMIN", 403


class NotFound(CensusError):
    code, status = "NOT_FOUND", 404
