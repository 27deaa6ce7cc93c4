"""A drift report as text, Markdown or JSON."""
from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime, timezone
from typing import Any

from statsync.diff import ABSENT
from statsync.drift import DriftReport
from statsync.render import printable
from statsync.render.markdown import MARKER, cell
from statsync.render.text import value_text


def when(epoch_ms: Any) -> str:
    if not isinstance(epoch_ms, (int, float)):
        return "an unknown time"
    return datetime.fromtimestamp(epoch_ms / 1000, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def _who(drifted) -> str:
    version = f" (version {drifted.version})" if drifted.version is not None else ""
    return f"last changed by {drifted.modified_by or 'unknown'} at {when(drifted.modified_time)}{version}"


def _since(drifted, change) -> str:
    intro = drifted.introduced.get(change.field)
    return f" (since version {intro.version}, {intro.by or 'unknown'}, {when(intro.time)})" if intro else ""


def render_text(report: DriftReport) -> str:
    if not report.has_drift:
        return printable(f"No drift: {report.in_sync} object(s) on {report.target} match the repository.\n")
    lines = [f"Drift on {report.target}: {len(report.drifted)} object(s) differ from the repository, "
             f"{len(report.missing)} missing, {len(report.created_live)} created live.", ""]
    for drifted in report.drifted:
        lines.append(f"~ {drifted.kind} {drifted.id}: {_who(drifted)}")
        for change in drifted.changes:
            lines.append(f"    {change.path}: live {value_text(change.before)}{_since(drifted, change)}, "
                         f"repository {value_text(change.after)}")
    for address in report.missing:
        lines.append(f"+ {address.replace('.', ' ', 1)}: in the repository but not live")
    for created in report.created_live:
        lines.append(f"- {created.address.replace('.', ' ', 1)}: live but not in the repository (created by "
                     f"{created.by or 'unknown'} at {when(created.time)}); import it or delete it")
    if report.ignored:
        lines += ["", f"{report.ignored} live difference(s) left alone by ignore rules."]
    return printable("\n".join(lines) + "\n")


def render_markdown(report: DriftReport) -> str:
    lines = [MARKER, f"### statsync drift on `{report.target}`", ""]
    if not report.has_drift:
        return printable("\n".join(lines + [f"**No drift.** {report.in_sync} object(s) match the repository."]) + "\n")
    lines += [f"**{len(report.drifted)} object(s) differ from the repository, {len(report.missing)} missing, "
              f"{len(report.created_live)} created live.**", "",
              "| object | fields | last changed by |", "|---|---|---|"]
    for drifted in report.drifted:
        fields = ", ".join(f"`{c.path}`" for c in drifted.changes)
        lines.append(f"| `{drifted.address}` | {fields} | {drifted.modified_by or 'unknown'}, {when(drifted.modified_time)} |")
    lines += [f"| `{address}` | missing live | |" for address in report.missing]
    lines += [f"| `{c.address}` | created live, not in the repository | {c.by or 'unknown'}, {when(c.time)} |"
              for c in report.created_live]
    for drifted in report.drifted:
        lines += ["", "<details>", f"<summary><code>{drifted.address}</code></summary>", "", _who(drifted) + ".", "",
                  "| field | live | repository |", "|---|---|---|"]
        lines += [f"| `{c.path}` | {cell(c.before)}{_since(drifted, c)} | {cell(c.after)} |" for c in drifted.changes]
        lines += ["", "</details>"]
    return printable("\n".join(lines) + "\n")


def render_json(report: DriftReport) -> str:
    def change(c) -> dict:
        out = {"path": c.path}
        if c.before is not ABSENT:
            out["live"] = c.before
        if c.after is not ABSENT:
            out["repository"] = c.after
        return out
    data = {
        "format_version": 1, "target": report.target, "has_drift": report.has_drift, "in_sync": report.in_sync,
        "missing": report.missing, "unmanaged": report.unmanaged, "ignored": report.ignored,
        "created_live": [asdict(c) for c in report.created_live],
        "drifted": [{"address": d.address, "kind": d.kind, "id": d.id, "version": d.version,
                     "lastModifierName": d.modified_by, "lastModifiedTime": d.modified_time,
                     "introduced": {name: asdict(intro) for name, intro in d.introduced.items()},
                     "changes": [change(c) for c in d.changes]} for d in report.drifted],
    }
    return json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n"
