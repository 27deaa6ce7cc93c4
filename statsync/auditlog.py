"""Who changed it, from the project's audit log, for objects that cannot say themselves.

Gates and dynamic configs have a versions endpoint, and most objects answer their last
modifier; tags, roles, teams, parameter stores, metric sources, keys, the settings and
the environment list answer neither. For those, `drift` reads `GET /audit_logs` — only
when such an object drifted, newest entries first (the spec's example lists them so),
at most AUDIT_PAGES pages of 100 — and takes the newest entry naming the object with an
action its kind declares (`Kind.audit_actions`). Which action Statsig records for which
change is ⚠ unproven (the spec lists the action names, not when each is used): an entry
that does not match leaves the change unattributed, never attributed to the wrong person.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from statsync.api.client import ConsoleClient
from statsync.kinds import Kind, all_kinds

AUDIT_PAGES = 3
PAGE = 100


@dataclass(frozen=True)
class Entry:
    by: str
    time: int | None  # epoch ms


async def attribute(client: ConsoleClient, wanted: list[tuple[str, str]]) -> dict[tuple[str, str], Entry]:
    """(kind, id) → the newest audit-log entry about it, for those of `wanted` whose kind
    declares its audit actions; no request when none does."""
    kinds = all_kinds()
    wanted = [(kind, object_id) for kind, object_id in wanted if kinds[kind].audit_actions]
    found: dict[tuple[str, str], Entry] = {}
    for page in range(1, AUDIT_PAGES + 1) if wanted else ():
        answer = await client.request("GET", "/audit_logs", params={"page": page, "limit": PAGE})
        items = [item for item in answer.get("data") or [] if isinstance(item, dict)]
        for item in items:
            entry = _entry(item)
            for key in wanted:
                if entry is not None and _about(item, kinds[key[0]], key[1]) and _newer(entry, found.get(key)):
                    found[key] = entry
        if len(found) == len(wanted) or len(items) < PAGE:
            break
    return found


def _about(item: dict[str, Any], kind: Kind, object_id: str) -> bool:
    if item.get("actionType") not in kind.audit_actions:
        return False
    if kind.singleton:  # one per project: the action says which
        return True
    names = {object_id, object_id.split("::")[0]} if kind.id_parts else {object_id}
    return item.get("name") in names


def _entry(item: dict[str, Any]) -> Entry | None:
    by = item.get("updatedBy")
    return Entry(by, _epoch_ms(item.get("date"), item.get("time"))) if isinstance(by, str) and by else None


def _newer(entry: Entry, than: Entry | None) -> bool:
    return than is None or (entry.time or 0) > (than.time or 0)


def _epoch_ms(date: Any, time: Any) -> int | None:
    """"Mon Sep 26 2022" and "23:46:14 GMT+0000 (Coordinated Universal Time)" (the spec's
    example) as epoch milliseconds; None when they read otherwise."""
    match = re.match(r"(\d\d:\d\d:\d\d)(?: GMT([+-]\d{4}))?", str(time))
    try:
        moment = datetime.strptime(f"{date} {match.group(1) if match else ''} {match and match.group(2) or '+0000'}",
                                   "%a %b %d %Y %H:%M:%S %z")
    except ValueError:
        return None
    return int(moment.astimezone(timezone.utc).timestamp() * 1000)
