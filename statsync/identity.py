"""Item identity across a rename: which live rule a renamed YAML rule is.

Statsig knows a rule by its `id`/`baseID`, and its `baseID` salts the hash that puts a
user in or out of a partial rollout. A rule sent without its live ids is a new rule
with a new salt (EVIDENCE.md finding 11: legacy-docs reject "A provided rule ID does
not match an existing rule ID"; SDK `eval_proj_dcs.json` keeps salts across
percentage changes), so a rule renamed in YAML would move a different share of users
into the rollout. A rule says `previousName: <old name>` for the apply that renames
it: statsync then sends the old rule's live ids with the new name. Without it, a
plan that drops a partial rule and adds one with the same conditions warns.
"""
from __future__ import annotations

import json
from typing import Any

from statsync.kinds import Kind

Renames = dict[str, dict[str, str]]  # list name → {old key: new key}


def renames(kind: Kind, written: dict[str, Any], live: dict[str, Any]) -> tuple[Renames, list[str]]:
    """The renames an update makes (the live item under its old key, none under the new
    one), and a warning for each `previousName` that cannot be one."""
    found: Renames = {}
    warnings: list[str] = []
    for name, keyed in kind.keyed_lists.items():
        if not keyed.renamed_from or not isinstance(written.get(name), list):
            continue
        live_keys = {item.get(keyed.key) for item in live.get(name) or [] if isinstance(item, dict)}
        for item in written[name]:
            old = item.get(keyed.renamed_from) if isinstance(item, dict) else None
            new = item.get(keyed.key) if isinstance(item, dict) else None
            if old is None or new in live_keys:
                continue  # already renamed (the file may keep saying so) or not a rename
            if old in live_keys:
                found.setdefault(name, {})[old] = new
            else:
                warnings.append(f"{name}[{new}]: {keyed.renamed_from} {old!r} names no live {name[:-1]}; "
                                f"{new!r} is created as a new one")
    return found, warnings


def without_renames(kind: Kind, body: dict[str, Any]) -> dict[str, Any]:
    """The body as Statsig takes it: `previousName` is statsync's, never sent."""
    out = dict(body)
    for name, keyed in kind.keyed_lists.items():
        if keyed.renamed_from and isinstance(out.get(name), list):
            out[name] = [{key: value for key, value in item.items() if key != keyed.renamed_from}
                         if isinstance(item, dict) else item for item in out[name]]
    return out


def renamed_live(kind: Kind, live: dict[str, Any], found: Renames) -> dict[str, Any]:
    """The live object as it will be once renamed: renamed items under their new keys,
    so the plan compares each with the YAML item it becomes."""
    if not found:
        return live
    out = dict(live)
    for name, pairs in found.items():
        key = kind.keyed_lists[name].key
        out[name] = [{**item, key: pairs[item.get(key)]} if isinstance(item, dict) and item.get(key) in pairs
                     else item for item in live.get(name) or []]
    return out


def rebucket_warnings(kind: Kind, live_form: dict[str, Any], desired_form: dict[str, Any]) -> list[str]:
    """A partial rule removed and a rule with the same conditions added is most likely a
    rename: as a new rule it gets a new salt, so a different share of users passes."""
    warnings = []
    for name, keyed in kind.keyed_lists.items():
        if not keyed.renamed_from:
            continue
        live_items = {item.get(keyed.key): item for item in live_form.get(name) or []}
        wanted = {item.get(keyed.key): item for item in desired_form.get(name) or []}
        removed = {key: item for key, item in live_items.items() if key not in wanted and _partial(item)}
        for key, item in wanted.items():
            if key in live_items:
                continue
            twin = next((old for old, gone in removed.items() if _targeting(gone) == _targeting(item)), None)
            if twin is not None:
                warnings.append(
                    f"{name}[{key}] replaces {name}[{twin}] with the same conditions: as a new rule it gets a new "
                    f"salt, re-bucketing the {_percent(live_items[twin])} of users {twin!r} passes; add "
                    f"`{keyed.renamed_from}: {twin}` to {key!r} to keep them")
    return warnings


def _partial(item: dict[str, Any]) -> bool:
    # at 0 % and 100 % the salt decides nothing: everyone matching is out, or in
    percentage = item.get("passPercentage", 100)
    return isinstance(percentage, (int, float)) and 0 < percentage < 100


def _targeting(item: dict[str, Any]) -> str:
    return json.dumps([item.get("conditions"), item.get("environments")], sort_keys=True, default=str)


def _percent(item: dict[str, Any]) -> str:
    return f"{item.get('passPercentage')} %"
