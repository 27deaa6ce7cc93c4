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
from statsync.diff import ABSENT, Change
from statsync.plan import Plan, Step
from statsync.render import printable

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
        return printable("\n".join(lines) + "\n")
    lines = [f"statsync will make these changes on target {plan.target}:", ""]
    for step in plan.steps:
        lines += _step_lines(step, paint)
        lines.append("")
    lines.append(paint(summary(plan), "white", bold=True))
    lines.append(cost(plan, limits))
    lines += _notes(plan)
    return printable("\n".join(lines) + "\n", styled=color)


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
        for name, value in ((step.live.snapshot if step.live else None) or {}).items():
            if value not in (None, "", [], {}, False):  # what the delete destroys
                lines += change_lines(Change(name, value, ABSENT), paint)
    if step.action == "replace":
        lines.append(f"    {paint('!', 'red')} {replace_reason(step)}")
    for change in step.changes:
        lines += change_lines(change, paint, created=step.action == "create")
    lines += [f"    {paint('!', 'red', bold=True)} warning: {warning}" for warning in step.warnings]
    if len(step.requests) > 1:
        lines.append(f"    {paint('=', 'cyan')} {requests_text(step)}")
    return lines


def change_lines(change, paint, created: bool = False) -> list[str]:
    """One change, never truncated where it differs: nested values on lines of their own,
    list changes as the items removed and added, long texts around their difference."""
    before, after = (ABSENT, change.after) if created else (change.before, change.after)
    if change.note == "order":
        return [f"    {paint('~', 'yellow')} {change.path} order: {_flow(before)} → {_flow(after)}"]
    if change.note == "renamed":
        return [f"    {paint('~', 'yellow')} {change.path}: {_flow(before)} → {_flow(after)} "
                f"(renamed: keeps its live ids, so its users stay in their buckets)"]
    if before is ABSENT or after is ABSENT:
        sign, colour, value = ("+", "green", after) if before is ABSENT else ("-", "red", before)
        if _is_flat(value):
            return [f"    {paint(sign, colour)} {change.path}: {_flow(value)}"]
        return [f"    {paint(sign, colour)} {change.path}:", *_nested(value, 8)]
    if isinstance(before, list) and isinstance(after, list) and not (_is_flat(before) and _is_flat(after)
                                                                        and len(_flow(before) + _flow(after)) <= 2 * MAX_VALUE):
        return [f"    {paint('~', 'yellow')} {change.path}:", *_list_difference(before, after, paint)]
    if isinstance(before, dict) and isinstance(after, dict):
        lines = [f"    {paint('~', 'yellow')} {change.path}:"]
        for key in [*before, *(k for k in after if k not in before)]:
            old, new = before.get(key, ABSENT), after.get(key, ABSENT)
            if old != new:
                lines.append(f"        {paint('~', 'yellow')} {key}: {_flow(old)} → {_flow(new)}")
        return lines
    if isinstance(before, str) and isinstance(after, str) and len(before) + len(after) > 2 * MAX_VALUE:
        old, new = _around_difference(before, after)
        return [f"    {paint('~', 'yellow')} {change.path}:", f"        {paint('-', 'red')} {old}",
                f"        {paint('+', 'green')} {new}"]
    return [f"    {paint('~', 'yellow')} {change.path}: {_flow(before)} → {_flow(after)}"]


def _flow(value: Any) -> str:
    """A value on one line, in full (JSON)."""
    if value is ABSENT:
        return "(absent)"
    return json.dumps(value, sort_keys=False, ensure_ascii=False, default=str)


def _is_flat(value: Any) -> bool:
    """Short enough for one line, with nothing nested that deserves its own lines."""
    if isinstance(value, dict):
        return all(not isinstance(v, (dict, list)) or _is_flat_list(v) for v in value.values()) and \
            len(_flow(value)) <= MAX_VALUE
    if isinstance(value, list):
        return _is_flat_list(value) and len(_flow(value)) <= MAX_VALUE
    return True


def _is_flat_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value)


def _nested(value: Any, indent: int) -> list[str]:
    """A value as indented lines: a mapping key by key, a list item by item; whatever fits
    on one line (a condition, a list of ids) stays on one."""
    pad = " " * indent
    if isinstance(value, dict):
        lines = []
        for key, item in value.items():
            if _is_flat(item) or not isinstance(item, (dict, list)):
                lines.append(f"{pad}{key}: {_flow(item)}")
            else:
                lines += [f"{pad}{key}:", *_nested(item, indent + 2)]
        return lines
    if isinstance(value, list):
        lines = []
        for item in value:
            if isinstance(item, dict) and not _is_flat(item):
                inner = _nested(item, indent + 2)
                lines.append(f"{pad}- {inner[0].lstrip()}")
                lines += inner[1:]
            else:
                lines.append(f"{pad}- {_flow(item)}")
        return lines
    return [f"{pad}{_flow(value)}"]


def _list_difference(before: list, after: list, paint) -> list[str]:
    """The items one list has and the other does not, each in full, and how many stayed."""
    old = [_flow(item) for item in before]
    new = [_flow(item) for item in after]
    removed = [text for text in old if text not in new]
    added = [text for text in new if text not in old]
    lines = [f"        {paint('-', 'red')} {text}" for text in removed]
    lines += [f"        {paint('+', 'green')} {text}" for text in added]
    kept = len([text for text in new if text in old])
    if kept:
        lines.append(f"        ({kept} unchanged)")
    if not removed and not added:  # the same items, counted differently
        lines = [f"        {paint('-', 'red')} {_flow(before)}", f"        {paint('+', 'green')} {_flow(after)}"]
    return lines


def _around_difference(before: str, after: str, context: int = 40) -> tuple[str, str]:
    """Two long texts cut to where they differ, with some context; never the differing part."""
    start = 0
    while start < min(len(before), len(after)) and before[start] == after[start]:
        start += 1
    end = 0
    while end < min(len(before), len(after)) - start and before[-1 - end] == after[-1 - end]:
        end += 1
    first = max(0, start - context)

    def cut(text: str) -> str:
        last = min(len(text), len(text) - end + context)
        return ("…" if first else "") + json.dumps(text[first:last], ensure_ascii=False)[1:-1] + \
            ("…" if last < len(text) else "")
    return cut(before), cut(after)


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
    weakened = len(plan.weakened)
    weakens = f" Weakens {_count(weakened, 'safeguard')}: see the warnings." \
        if weakened else ""
    return (f"Plan: {plan.count('create')} to create, {plan.count('update')} to update{replace}, "
            f"{plan.count('delete')} to delete{lifecycle}, {plan.unchanged} unchanged.{weakens}")


def cost(plan: Plan, limits: Limits | None) -> str:
    """How many requests apply will make, and how long that takes at the rate limit."""
    checks, total = plan.check_count, plan.apply_request_count
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
    lines = [f"Left to Statsig: {held}." for held in plan.held]
    if plan.ignored_count:
        lines.append(f"{plan.ignored_count} live difference(s) left alone by ignore rules.")
    if plan.unselected:
        lines.append(f"{plan.unselected} object(s) with changes left out by --only/--kind.")
    for kept in plan.kept:
        lines.append(f"Not deleting {kept.address}: {kept.reason}.")
    if plan.unmanaged:
        shown = ", ".join(plan.unmanaged[:5]) + (
            f" and {len(plan.unmanaged) - 5} more" if len(plan.unmanaged) > 5 else "")
        lines.append(f"{len(plan.unmanaged)} live object(s) not in the repository are left alone: {shown}")
    return lines
