"""A Plan as text, in the spirit of `terraform plan`.

One block per object (`+` create, `~` update), one line per changed field with
before → after, then a summary line. Colour is the caller's choice (TTY and no
NO_COLOR); without it the output is plain ASCII-safe text fit for CI logs.
"""
from __future__ import annotations

import json
from typing import Any

import click

from statsync.api.pacing import Limits
from statsync.diff import ABSENT
from statsync.plan import Plan, Step

SYMBOLS = {"create": ("+", "green"), "update": ("~", "yellow"), "delete": ("-", "red"), "replace": ("-/+", "red")}
MAX_VALUE = 120  # characters of a value shown inline before it is shortened


def value_text(value: Any) -> str:
    if value is ABSENT:
        return "(absent)"
    text = json.dumps(value, sort_keys=False, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def render_plan(plan: Plan, color: bool = False, limits: Limits | None = None) -> str:
    def paint(text: str, colour: str, bold: bool = False) -> str:
        return click.style(text, fg=colour, bold=bold) if color else text

    if not plan.has_changes:
        lines = [f"No changes. {plan.unchanged} object(s) on target {plan.target} match the repository."]
        lines += _notes(plan)
        return "\n".join(lines) + "\n"
    lines = [f"statsync will make these changes on target {plan.target}:", ""]
    for step in plan.steps:
        lines += _step_lines(step, paint)
        lines.append("")
    lines.append(paint(summary(plan), "white", bold=True))
    lines.append(cost(plan, limits))
    lines += _notes(plan)
    return "\n".join(lines) + "\n"


def _step_lines(step: Step, paint) -> list[str]:
    if step.is_lifecycle:
        [change] = step.changes
        return [f"{paint('»', 'cyan', bold=True)} {step.kind} {paint(step.id, 'cyan', bold=True)}: "
                f"{step.action.replace('_', ' ')} ({change.before} → {change.after})"]
    symbol, colour = SYMBOLS.get(step.action, ("*", "cyan"))
    head = f"{paint(symbol, colour, bold=True)} {step.kind} {paint(step.id, colour, bold=True)}"
    if step.part:
        head += f"  ({step.part}, after the objects they name)"
    elif step.action in ("update", "replace") and step.live and step.live.last_modifier_name:
        head += f"  (live version {step.live.version}, last changed by {step.live.last_modifier_name})"
    lines = [head]
    if step.action == "delete":
        lines.append(f"    {paint('-', 'red')} (not in the repository; deleted by pruning)")
    if step.action == "replace":
        lines.append(f"    {paint('!', 'red')} {replace_reason(step)}")
    for change in step.changes:
        if step.action == "create":
            lines.append(f"    {paint('+', 'green')} {change.path}: {value_text(change.after)}")
        elif change.note == "order":
            lines.append(f"    {paint('~', 'yellow')} {change.path} order: {value_text(change.before)} → "
                         f"{value_text(change.after)}")
        elif change.before is ABSENT:
            lines.append(f"    {paint('+', 'green')} {change.path}: {value_text(change.after)}")
        elif change.after is ABSENT:
            lines.append(f"    {paint('-', 'red')} {change.path}: {value_text(change.before)}")
        else:
            lines.append(f"    {paint('~', 'yellow')} {change.path}: {value_text(change.before)} → "
                         f"{value_text(change.after)}")
    if len(step.requests) > 1:
        lines.append(f"    {paint('=', 'cyan')} {requests_text(step)}")
    return lines


def replace_reason(step: Step) -> str:
    fields = ", ".join(sorted({change.field for change in step.changes}))
    return (f"Statsig cannot change {fields} of a {step.kind} in place: it is deleted and created again, losing its "
            f"history (needs --allow-replace)")


def requests_text(step: Step) -> str:
    """A step's requests in order, repeats folded: "POST /segments, PATCH …/id_list ×3"."""
    runs: list[list] = []
    for request in step.requests:
        label = f"{request.method} {request.path}"
        if runs and runs[-1][0] == label:
            runs[-1][1] += 1
        else:
            runs.append([label, 1])
    return f"{len(step.requests)} requests: " + ", then ".join(
        label + (f" ×{count}" if count > 1 else "") for label, count in runs)


def summary(plan: Plan) -> str:
    moves = sum(1 for step in plan.steps if step.is_lifecycle)
    lifecycle = f", {moves} lifecycle action(s)" if moves else ""
    replace = f", {plan.count('replace')} to replace" if plan.count("replace") else ""
    return (f"Plan: {plan.count('create')} to create, {plan.count('update')} to update{replace}, "
            f"{plan.count('delete')} to delete{lifecycle}, {plan.unchanged} unchanged.")


def cost(plan: Plan, limits: Limits | None) -> str:
    """How many requests apply will make, and how long that takes at the rate limit."""
    # every step on an existing object reads it again just before it is sent
    checks = sum(1 for step in plan.steps if step.action != "create")
    total = plan.request_count + checks
    line = (f"Apply will make about {total} API request(s) ({_count(plan.request_count, 'change')}, "
            f"{_count(checks, 'conflict check')})")
    if limits is None:
        return line + "."
    seconds = limits.estimate_seconds(total, plan.request_count)
    pace = "well within" if seconds == 0 else f"about {_duration(seconds)} at"
    return f"{line}, {pace} Statsig's rate limit."


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.0f} min"


def _notes(plan: Plan) -> list[str]:
    lines = []
    if plan.ignored_count:
        lines.append(f"{plan.ignored_count} live difference(s) left alone by ignore rules.")
    for kept in plan.kept:
        lines.append(f"Not deleting {kept.address}: {kept.reason}.")
    if plan.unmanaged:
        shown = ", ".join(plan.unmanaged[:5]) + (
            f" and {len(plan.unmanaged) - 5} more" if len(plan.unmanaged) > 5 else "")
        lines.append(f"{len(plan.unmanaged)} live object(s) not in the repository are left alone: {shown}")
    return lines
