"""A Plan (or drift report) as Markdown for a pull-request comment.

A summary table first (kind, id, action, fields changed), then one collapsible
section per object with its field changes. Order is the plan's, which is
deterministic. GitHub refuses comments over 65,536 characters, so the document
is cut cleanly — whole sections, then whole table rows — and says how to see
the rest.
"""
from __future__ import annotations

import json
from typing import Any

from statsync.diff import ABSENT
from statsync.plan import Plan, Step
from statsync.render import printable
from statsync.render.text import replace_reason, requests_text

GITHUB_COMMENT_LIMIT = 65_536
MARKER = "<!-- statsync -->"  # lets the GitHub Action find its own comment again
CELL_LIMIT = 300
VERBS = {"create": "create", "update": "update", "delete": "delete", "replace": "replace"}
SIGNS = {"create": "+", "update": "~", "delete": "-", "replace": "-/+"}


def cell(value: Any) -> str:
    if value is ABSENT:
        return "*(absent)*"
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > CELL_LIMIT:
        text = text[: CELL_LIMIT - 1] + "…"
    return "`" + text.replace("|", "\\|").replace("`", "'") + "`"


def render_plan(plan: Plan, title: str = "statsync plan", limit: int = GITHUB_COMMENT_LIMIT,
                see_all: str = "run `statsync plan --format text` or download the plan artifact") -> str:
    head = [MARKER, f"### {title} for `{plan.target}`", ""]
    if not plan.has_changes:
        head.append(f"**No changes.** {plan.unchanged} object(s) match the repository.")
        return printable("\n".join(head + _notes(plan)) + "\n")
    head.append(f"**{plan.count('create')} to create, {plan.count('update')} to update, "
                f"{plan.count('delete')} to delete**, {plan.unchanged} unchanged · "
                f"about {plan.apply_request_count} API request(s) ({plan.request_count} write(s), "
                f"{plan.check_count} conflict check(s))")
    if plan.weakened:  # above everything else: the reviewer approves these by approving the PR
        head += ["", f"> **⚠ This plan weakens {len(plan.weakened)} safeguard(s):**"]
        head += [f"> - `{line.split(': ', 1)[0]}` {line.split(': ', 1)[1]}" for line in plan.weakened]
    head.append("")
    rows = ["| kind | id | action | fields changed |", "|---|---|---|---|"]
    rows += [_row(step) for step in plan.steps]
    sections = [_section(step) for step in plan.steps if not step.is_lifecycle]
    return _fit(head, rows, sections, _notes(plan), limit, see_all)


def _row(step: Step) -> str:
    if step.is_lifecycle:
        [change] = step.changes
        return f"| {step.kind} | `{step.id}` | » {step.action} | `{change.before}` → `{change.after}` |"
    fields = sorted({change.path for change in step.changes}) if step.action in ("update", "replace") else []
    shown = ", ".join(f"`{f}`" for f in fields[:6]) + (f" +{len(fields) - 6} more" if len(fields) > 6 else "")
    part = f" ({step.part})" if step.part else ""
    return f"| {step.kind} | `{step.id}` | {SIGNS[step.action]} {VERBS[step.action]}{part} | {shown or '—'} |"


def _section(step: Step) -> str:
    part = f" ({step.part})" if step.part else ""
    lines = ["<details>", f"<summary><code>{SIGNS[step.action]} {step.kind} {step.id}{part}</code></summary>", ""]
    if step.action == "delete":
        lines.append("Not in the repository; deleted by pruning.")
    else:
        if step.action == "replace":
            lines += [f"**{replace_reason(step)}**", ""]
        if step.live is not None and step.live.last_modifier_name:
            lines += [f"Live version {step.live.version}, last changed by {step.live.last_modifier_name}.", ""]
        lines += ["| field | before | after |", "|---|---|---|"]
        for change in step.changes:
            path = change.path + (f" ({change.note})" if change.note else "")
            lines.append(f"| `{path}` | {cell(change.before)} | {cell(change.after)} |")
        if step.ignored:
            lines += ["", f"{len(step.ignored)} live difference(s) left alone by ignore rules."]
        if len(step.requests) > 1:
            lines += ["", requests_text(step).replace(": ", ": `", 1).replace(", then ", "`, then `") + "`"]
    lines += ["", "</details>"]
    return "\n".join(lines)


def _notes(plan: Plan) -> list[str]:
    # warnings also stand outside the collapsed sections, where a reviewer cannot miss them
    notes = [f"**Warning** (`{step.address}`): {warning}" for step in plan.steps for warning in step.warnings]
    notes += [f"Left to Statsig: {held}." for held in plan.held]
    if plan.ignored_count:
        notes.append(f"{plan.ignored_count} live difference(s) left alone by ignore rules.")
    notes += [f"Not deleting `{k.address}`: {k.reason}." for k in plan.kept]
    if plan.unmanaged:
        notes.append(f"{len(plan.unmanaged)} live object(s) not in the repository are left alone.")
    return [""] + notes if notes else []


def _fit(head: list[str], rows: list[str], sections: list[str], notes: list[str], limit: int, see_all: str) -> str:
    """Everything, or as much as fits with a note saying what was left out."""
    def build(row_count: int, section_count: int) -> str:
        parts = head + rows[: 2 + row_count]
        omitted_rows = len(rows) - 2 - row_count
        if omitted_rows:
            parts.append(f"| … | {omitted_rows} more | | |")
        parts += [""] + sections[:section_count]
        omitted = len(sections) - section_count
        if omitted:
            what = "GitHub's" if limit == GITHUB_COMMENT_LIMIT else "the"
            parts += ["", f"*{omitted} object(s) not shown in detail: the comment would pass {what} "
                          f"{limit:,}-character limit; {see_all}.*"]
        return printable("\n".join(parts + notes) + "\n")  # measured as it will be posted

    total_rows, sections_shown = len(rows) - 2, len(sections)
    text = build(total_rows, sections_shown)
    while len(text) > limit and sections_shown > 0:
        sections_shown = max(0, sections_shown - max(1, sections_shown // 8))
        text = build(total_rows, sections_shown)
    while len(text) > limit and total_rows > 0:
        total_rows = max(0, total_rows - max(1, total_rows // 8))
        text = build(total_rows, 0)
    # grow back one section at a time if the coarse steps cut too much
    while sections_shown < len(sections) and total_rows == len(rows) - 2:
        candidate = build(total_rows, sections_shown + 1)
        if len(candidate) > limit:
            break
        sections_shown, text = sections_shown + 1, candidate
    return text
