"""`statsync test` results as text, JSON, Markdown (a pull-request comment) and JUnit XML
(what CI systems draw test tabs from). One report dict feeds them all, so every format
says the same thing."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from statsync.render import printable


def report(results: list, uncovered: list[str], rules: int, tests: int) -> dict[str, Any]:
    failed = [r for r in results if not r.ok]
    coverage = 100.0 * (rules - len(uncovered)) / rules if rules else 100.0
    return {"passed": len(results) - len(failed), "failed": len(failed), "tests": tests,
            "cases": [{"test": r.test, "case": r.case, "where": str(r.mark), "ok": r.ok, "message": r.message}
                      for r in results],
            "uncovered_rules": uncovered, "rule_coverage": round(coverage, 2)}


def text(data: dict[str, Any]) -> str:
    lines = [f"{case['where']}: FAIL {case['test']} / {case['case']}: {case['message']}"
             for case in data["cases"] if not case["ok"]]
    lines.append(f"{data['passed']} passed, {data['failed']} failed ({data['tests']} test(s)).")
    if data["uncovered_rules"]:
        lines.append(f"Rule coverage {data['rule_coverage']:.0f}%; rules no case reached "
                     f"({len(data['uncovered_rules'])}): " + "; ".join(data["uncovered_rules"]))
    return printable("\n".join(lines) + "\n")


def as_json(data: dict[str, Any]) -> str:
    return json.dumps({key: value for key, value in data.items() if key != "tests"}, indent=2) + "\n"


def markdown(data: dict[str, Any]) -> str:
    lines = [f"#### Targeting tests: {data['passed']} passed, {data['failed']} failed", ""]
    lines += [f"- :x: `{case['where']}` **{case['test']} / {case['case']}**: {case['message']}"
              for case in data["cases"] if not case["ok"]]
    if data["uncovered_rules"]:
        lines += ["", f"Rule coverage {data['rule_coverage']:.0f}%; rules no case reached: "
                  + ", ".join(f"`{rule}`" for rule in data["uncovered_rules"])]
    return printable("\n".join(lines) + "\n")


def junit(data: dict[str, Any]) -> str:
    """JUnit XML: one testsuite, a testcase per case (classname the test, file and line
    where it is written), a failure element carrying the message."""
    suite = ET.Element("testsuite", name="statsync test", tests=str(len(data["cases"])),
                       failures=str(data["failed"]), errors="0")
    for case in data["cases"]:
        path, _, rest = case["where"].rpartition(":")
        path, _, line = path.rpartition(":") if rest.isdigit() else (case["where"], "", "")
        element = ET.SubElement(suite, "testcase", classname=case["test"], name=case["case"],
                                file=path or case["where"], line=line)
        if not case["ok"]:
            ET.SubElement(element, "failure", message=case["message"]).text = f"{case['where']}: {case['message']}"
    properties = ET.SubElement(suite, "properties")
    ET.SubElement(properties, "property", name="rule_coverage", value=str(data["rule_coverage"]))
    root = ET.Element("testsuites")
    root.append(suite)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


FORMATS = {"text": text, "json": as_json, "markdown": markdown, "junit": junit}
