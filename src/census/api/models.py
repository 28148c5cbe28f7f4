"""Request and response bodies of the API. The OpenAPI document is generated from these."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class VerifyRequest(_Body):
    name: str = Field(min_length=1, max_length=64, description="Name as on the ID card")
    id_number: str = Field(min_length=1, max_length=32, description="18-character national ID number")


class Profile(BaseModel):
    person_id: str
    name: str
    role: str = Field(description="enumerator or supervisor")
    areas: list[str] = Field(description="12-digit area codes the person is responsible for")
    active_from: date
    active_to: date
    supervisor_id: str | None = None


class MeResponse(Profile):
    quota: Quota
    service_window: ServiceWindow


class QueryRequest(_Body):
    meter_number: str = Field(
        min_length=1,
        max_length=64,
        description="As printed under the barcode; spaces and full-width digits are accepted",
    )


class MeterCode(BaseModel):
    meter_number: str
    utility: str
    code: str
    reason: str
    as_of: date | None
    tags: list[str]


class Quota(BaseModel):
    limit: int = Field(description="Distinct homes the person may query")
    used: int
    left: int


class ServiceWindow(BaseModel):
    start: date | None = Field(description="First Beijing date the tool may be used; null if open")
    end: date | None = Field(description="Last Beijing date the tool may be used; null if open")


class QueryResponse(BaseModel):
    query_id: str = Field(
        description="Request id of the first response; a retry with the same Idempotency-Key returns it"
    )
    meter_number: str
    utility: str
    area_code: str
    code: str = Field(
        description="GREEN, YELLOW, RED or UNKNOWN; for a home with several meters, the combined code"
    )
    reason: str
    as_of: date | None = Field(description="The latest day of consumption data the code is based on")
    tags: list[str]
    meters: list[MeterCode] = Field(description="Each meter of the household, when it has more than one")
    first_query: bool = Field(description="True when this query took a unit of the person's quota")
    quota: Quota
