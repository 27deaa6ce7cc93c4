"""The Plan as versioned JSON: `plan --format json` and the saved-plan file.

A saved plan records, besides its steps, what it was made from — the target, a
digest of every desired file, and for each object the live `version`,
`lastModifiedTime` and `lastModifierName` (plus its managed fields) as read — so
`apply --plan` can refuse to run over anything that changed since.
"""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from statsync import __version__
from statsync.diff import ABSENT, Change
from statsync.errors import StatsyncError
from statsync.loader import find_files
from statsync.plan import ApiRequest, Kept, LiveVersion, Plan, Step

FORMAT_VERSION = 1


def file_digests(paths: list[Path], root: Path) -> dict[str, str]:
    """sha256 of every YAML file the plan was made from, by path relative to the project root."""
    out = {}
    for path in find_files(paths):
        try:
            name = path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            name = path.resolve().as_posix()
        out[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def arguments(paths: tuple[str, ...], config: str | None) -> dict[str, Any]:
    """The PATH arguments and --config a plan was made with, as `apply --plan` will find
    them again: relative to the working directory when inside it."""
    here = Path.cwd().resolve()

    def recorded(path: str) -> str:
        resolved = Path(path).resolve()
        return resolved.relative_to(here).as_posix() if resolved.is_relative_to(here) else resolved.as_posix()
    return {"paths": [recorded(p) for p in paths], "config": recorded(config) if config else None}


def arguments_of(meta: dict[str, Any], plan_file: Path) -> tuple[tuple[str, ...], str | None]:
    """The PATH arguments and --config a saved plan was made with. A plan file is not
    trusted to choose what is read: a path outside this directory is refused."""
    here = Path.cwd().resolve()
    options = meta.get("options") or {}
    paths, config = options.get("paths") or [], options.get("config")
    if not isinstance(paths, list) or not all(isinstance(p, str) for p in [*paths, *([config] if config else [])]):
        raise StatsyncError(f"{plan_file}: not a statsync plan (options.paths is not a list of paths)")
    for path in [*paths, *([config] if config else [])]:
        if not (here / path).resolve().is_relative_to(here):
            raise StatsyncError(f"{plan_file}: the plan was made from {path}, outside {here}; "
                                f"run from where it was made, or give the PATH arguments")
    return tuple(paths), config


def connection_of(meta: dict[str, Any]) -> tuple[str | None, str | None]:
    """(target, api_url) the plan was made against: a target's name, or the URL used without one."""
    target = meta.get("target")
    if not isinstance(target, str) or not target:
        return None, None
    return (None, target) if "://" in target else (target, None)


def combined_digest(digests: dict[str, str]) -> str:
    text = "\n".join(f"{name} {digest}" for name, digest in sorted(digests.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def to_dict(plan: Plan, files: dict[str, str] | None = None, options: dict[str, Any] | None = None,
            created: str | None = None) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "statsync_version": __version__,
        "created": created or datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "target": plan.target,
        "options": options or {},
        "files": {"digest": combined_digest(files or {}), "each": dict(sorted((files or {}).items()))},
        "summary": {"create": plan.count("create"), "update": plan.count("update"), "delete": plan.count("delete"),
                    "unchanged": plan.unchanged, "requests": plan.apply_request_count, "writes": plan.request_count,
                    "checks": plan.check_count, "ignored": plan.ignored_count},
        "steps": [_step(step) for step in plan.steps],
        "unchanged": plan.unchanged,
        "unmanaged": plan.unmanaged,
        "kept": [{"address": k.address, "reason": k.reason} for k in plan.kept],
        "ignored_elsewhere": plan.ignored_elsewhere,
        **({"held": plan.held} if plan.held else {}),
    }


def _step(step: Step) -> dict[str, Any]:
    out: dict[str, Any] = {
        "address": step.address, "action": step.action, "kind": step.kind, "id": step.id,
        "changes": [_change(change) for change in step.changes],
        "requests": [{"method": r.method, "path": r.path, **({"body": r.body} if r.body is not None else {}),
                      **({"groupField": r.group_field} if r.group_field else {})} for r in step.requests],
        "depends_on": step.depends_on,
    }
    if step.live is not None:
        out["live"] = {"version": step.live.version, "lastModifiedTime": step.live.last_modified_time,
                       "lastModifierName": step.live.last_modifier_name, "snapshot": step.live.snapshot}
    if step.ignored:
        out["ignored"] = step.ignored
    if step.expect_status is not None:
        out["expect_status"] = step.expect_status
    if step.part:
        out["part"] = step.part
    if step.touches:
        out["touches"] = step.touches
    if step.warnings:
        out["warnings"] = step.warnings
    return out


def _change(change: Change) -> dict[str, Any]:
    out: dict[str, Any] = {"path": change.path}
    if change.before is not ABSENT:
        out["before"] = change.before
    if change.after is not ABSENT:
        out["after"] = change.after
    if change.note:
        out["note"] = change.note
    return out


def dumps(plan: Plan, files: dict[str, str] | None = None, options: dict[str, Any] | None = None,
          created: str | None = None) -> str:
    data = to_dict(plan, files, options, created)
    return json.dumps(data, indent=2, sort_keys=False, ensure_ascii=False, default=str) + "\n"


def load(path: Path) -> tuple[Plan, dict[str, Any]]:
    """A saved plan and its metadata; a one-line error for anything that is not one."""
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise StatsyncError(f"{path}: cannot read the plan: {exc.strerror}") from None
    except ValueError as exc:
        raise StatsyncError(f"{path}: not a statsync plan (invalid JSON: {exc})") from None
    if not isinstance(data, dict) or "format_version" not in data:
        raise StatsyncError(f"{path}: not a statsync plan (no format_version)")
    if data["format_version"] != FORMAT_VERSION:
        raise StatsyncError(f"{path}: plan format {data['format_version']} is not supported by statsync "
                            f"{__version__} (expects {FORMAT_VERSION}); plan again")
    try:
        steps = [_load_step(step) for step in data["steps"]]
        plan = Plan(target=data["target"], steps=steps, unchanged=data.get("unchanged", 0),
                    unmanaged=list(data.get("unmanaged", [])),
                    kept=[Kept(k["address"], k["reason"]) for k in data.get("kept", [])],
                    ignored_elsewhere=data.get("ignored_elsewhere", 0),
                    held=[str(held) for held in data.get("held", [])])
    except (KeyError, TypeError) as exc:
        raise StatsyncError(f"{path}: not a statsync plan (missing or malformed {exc})") from None
    return plan, data


def _load_step(data: dict[str, Any]) -> Step:
    live = data.get("live")
    return Step(
        action=data["action"], kind=data["kind"], id=data["id"],
        changes=[Change(c["path"], c.get("before", ABSENT), c.get("after", ABSENT), c.get("note", ""))
                 for c in data["changes"]],
        requests=[ApiRequest(r["method"], r["path"], r.get("body"), r.get("groupField")) for r in data["requests"]],
        depends_on=list(data.get("depends_on", [])),
        live=LiveVersion(live["version"], live["lastModifiedTime"], live.get("lastModifierName"),
                         live.get("snapshot")) if live else None,
        ignored=list(data.get("ignored", [])),
        expect_status=data.get("expect_status"),
        part=data.get("part", ""),
        touches=list(data.get("touches", [])),
        warnings=[str(warning) for warning in data.get("warnings", [])],
    )
