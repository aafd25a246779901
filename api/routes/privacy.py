"""A person's rights over their data (#23): `GET …/export` everything Sowana holds about them with one
brand, `DELETE` erases it everywhere (database, Chroma, the live triage model, Slack messages)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from api.deps import context_of, require_api_token
from bot.models import Platform
from bot.privacy.erase import Eraser, Person
from bot.privacy.export import export_person

router = APIRouter(prefix="/api/authors", tags=["privacy"], dependencies=[Depends(require_api_token)])

AuthorId = Annotated[str, Path(min_length=1, max_length=255, pattern=r"^[^\x00-\x1f\x7f]+$")]
BrandKey = Annotated[str, Query(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class Erased(BaseModel):
    brand: str
    platform: str
    erased: dict[str, int]  # rows erased, by kind (all zero the second time)


def _eraser(request: Request) -> Eraser:
    context = context_of(request)
    return context.eraser or Eraser(context.require_engine())


@router.get("/{platform}/{author_id}/export")
def export_author(
    platform: Platform, author_id: AuthorId, request: Request, brand: BrandKey = "default"
) -> dict[str, Any]:
    return export_person(context_of(request).require_engine(), Person(brand, platform.value, author_id))


@router.delete("/{platform}/{author_id}", response_model=Erased)
async def erase_author(
    platform: Platform, author_id: AuthorId, request: Request, brand: BrandKey = "default"
) -> Erased:
    eraser = _eraser(request)
    person = Person(brand, platform.value, author_id)
    counts = await run_in_threadpool(eraser.erase_person, person, actor="api")
    return Erased(brand=brand, platform=platform.value, erased=counts)
