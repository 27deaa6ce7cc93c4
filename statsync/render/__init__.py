"""Ways to show a Plan, a drift report and test results: text, Markdown, JSON.

What is shown comes partly from places statsync does not control: the live project (a
description, a modifier's name, an error message) and a pull request's files. A terminal
obeys control characters in them — cursor moves, line erases, a title, the clipboard
(OSC 52) — so a value could hide a plan line from the person about to approve it, and
bidirectional overrides can make text read otherwise than it is. `printable` is the last
step of every text renderer: such characters are shown as escapes, never sent.
"""
from __future__ import annotations

import re

# C0 controls but newline and tab, DEL, C1 controls, and the bidirectional formatting
# characters (the "Trojan Source" ones)
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# what click.style writes for statsync's colours: one SGR code of reset, bold, normal
# intensity, a red…white foreground or the default one — never a move, an erase, conceal or black
_STYLE = re.compile("\x1b\\[(?:0|1|22|3[1-7]|39)m")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str, styled: bool = False) -> str:
    """`text` with every control character shown as an escape (`\\x1b`); with `styled`,
    the colour codes statsync's renderers wrote are kept. Idempotent: the renderers call it
    (their text also reaches GitHub, not only the CLI) and so does the CLI's `echo`."""
    if not styled:
        return _UNSAFE.sub(_escaped, text)
    kept, last = [], 0
    for match in _STYLE.finditer(text):
        kept += [_UNSAFE.sub(_escaped, text[last:match.start()]), match.group()]
        last = match.end()
    kept.append(_UNSAFE.sub(_escaped, text[last:]))
    return "".join(kept)


def json_safe(text: str) -> str:
    """JSON text with the same characters as `\\uXXXX` escapes: the same document to a
    parser, nothing for a terminal to act on (json.dumps escapes C0 itself, not C1 or the
    bidirectional overrides)."""
    return _UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
