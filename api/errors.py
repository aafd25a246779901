"""The 422 answer for a request that does not validate: FastAPI's shape (`detail`: type, loc, msg) without
the offending input. Echoing the input back would repeat hostile text, and could not even be encoded
when it holds an unpaired surrogate (`"\\ud800"`) or NaN — a 500 instead of a 422."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse


def _clean(value: Any) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return str(value).encode("utf-8", "replace").decode("utf-8")[:200]


def validation_detail(errors: Any) -> list[dict[str, Any]]:
    return [
        {
            "type": _clean(e.get("type", "")),
            "loc": [_clean(part) for part in e.get("loc", ())],
            "msg": _clean(e.get("msg", "")),
        }
        for e in errors
    ]


async def _refuse_invalid(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return JSONResponse({"detail": validation_detail(exc.errors())}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _refuse_invalid)
