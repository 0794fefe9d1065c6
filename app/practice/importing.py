"""A module's role-plays and assignments as the files say: one import for both kinds.

Each source becomes the current version of its item (a new, immutable version only when its
content changed); items gone from the files are hidden, never deleted, so the plays and the
work handed in are kept. Counts go to the import's counter ("scenarios new", ...).
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable

from sqlalchemy import select

from ..extensions import db


def content_hash(content: dict) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False)
                          .encode()).hexdigest()


def import_versioned(noun: str, model, version_model, owner: str, module_id: int,
                     sources: list[dict], counter: Counter,
                     fields: Callable[[dict], dict] = lambda content: {}) -> None:
    """`noun` names the counts ("scenario"); `owner` is the version's column naming its item
    ("scenario_id"); `fields` gives an item's columns that follow its content."""
    existing = {item.slug: item for item in db.session.scalars(
        select(model).where(model.module_id == module_id))}
    seen = set()
    for source in sources:
        seen.add(source["slug"])
        content = source["content"]
        digest = content_hash(content)
        item = existing.get(source["slug"])
        if item is None:
            item = model(module_id=module_id, slug=source["slug"], **fields(content))
            db.session.add(item)
            db.session.flush()
            counter[f"{noun}s new"] += 1
        elif item.hidden or item.required != source["required"]:
            counter[f"{noun}s changed"] += 1
        item.hidden = False
        item.required = source["required"]
        for name, value in fields(content).items():
            setattr(item, name, value)
        owner_column = getattr(version_model, owner)
        current = db.session.execute(
            select(version_model.number, version_model.content_hash)
            .where(owner_column == item.id)
            .order_by(version_model.number.desc()).limit(1)).first()
        if current is not None and current.content_hash == digest:
            continue
        db.session.add(version_model(**{owner: item.id}, number=(current.number + 1)
                                     if current else 1, content=content, content_hash=digest))
        db.session.flush()
        counter[f"{noun} versions new"] += 1
    for slug, item in existing.items():
        if slug not in seen and not item.hidden:
            item.hidden = True
            counter[f"{noun}s hidden"] += 1
