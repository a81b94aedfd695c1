"""Independent checks of the files `pubsub-hunt controls` writes, for the Rust tests.

  controls_oracle.py suricata RULES   -> JSON: every rule checked by suricata-check (its own
                                         parser and checkers) and parsed by idstools
  controls_oracle.py stix BUNDLE      -> JSON: the OASIS stix2-validator's verdict

The script only reports; the tests decide. It makes no network request (suricata-check's update
check runs only from its command-line entry point, which is not used).

suricata-check runs once over the whole file, with its checkers discovered once, and without its
whitespace style family (codes S100-S129, `WhitespaceChecker`): every code of that family has
INFO severity, and its escaping check (S120) is a regular expression with nested repetition that
backtracks exponentially on content written with hex escapes (`topic|2f|name`), so one rule took
minutes. Excluding codes is the library's documented selection (`--exclude`); a code-level
exclusion alone would not help, because the checker still evaluates every expression and only
filters the issues afterwards. The report lists any error-severity code that is not enabled, so a
test can see that the exclusion hides no possible error.
"""

import json
import logging
import sys

# The whitespace style family (all INFO severity); see the module text for why.
EXCLUDED_CODES = (r"S1[0-2]\d",)


def suricata(path):
    from idstools import rule as idsrule
    from suricata_check import analyze_rule, get_checkers
    from suricata_check.utils import regex as screg
    from suricata_check.utils.rule import parse

    out = {"rules": 0, "errors": [], "unparsed": [], "idstools_failed": [],
           "unrecognized_keywords": [], "issues_by_severity": {}, "parsed": []}
    checkers = get_checkers(exclude=EXCLUDED_CODES)
    enabled = {code for c in checkers for code in c.include}
    every_error_code = {code for c in get_checkers() for code, meta in c.codes.items()
                        if meta["severity"] >= logging.ERROR}
    out["checkers"] = sorted(type(c).__name__ for c in checkers)
    out["error_codes"] = sorted(every_error_code)
    out["error_codes_disabled"] = sorted(every_error_code - enabled)
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith("#"):
                continue
            out["rules"] += 1
            rule = parse(text)
            if rule is None:
                out["unparsed"].append(number)
                continue
            for option in rule.options:
                if option.name not in screg.ALL_KEYWORDS:
                    out["unrecognized_keywords"].append(option.name)
            report = analyze_rule(rule, checkers=checkers)
            for issue in report.issues:
                sev = logging.getLevelName(issue.severity or logging.INFO)
                out["issues_by_severity"][sev] = out["issues_by_severity"].get(sev, 0) + 1
                if (issue.severity or 0) >= logging.ERROR:
                    out["errors"].append({"line": number, "code": issue.code,
                                          "message": issue.message})
            other = idsrule.parse(text)
            if other is None:
                out["idstools_failed"].append(number)
                continue
            meta = {}
            for m in other.metadata:
                k, _, v = m.strip().partition(" ")
                meta[k] = v.strip()
            out["parsed"].append({
                "line": number, "sid": other.sid, "msg": other.msg, "proto": other.proto,
                "action": other.action, "metadata": meta,
                "keywords": [o["name"] for o in other.options],
            })
    out["unrecognized_keywords"] = sorted(set(out["unrecognized_keywords"]))
    return out


def stix(path):
    from stix2validator import ValidationOptions, validate_file

    result = validate_file(path, ValidationOptions(version="2.1"))
    errors, warnings = [], []

    def walk(r):
        for e in getattr(r, "errors", []) or []:
            errors.append(str(e))
        for w in getattr(r, "warnings", []) or []:
            warnings.append(str(w))
        for sub in getattr(r, "object_results", []) or []:
            walk(sub)

    walk(result)
    return {"valid": bool(result.is_valid), "errors": errors, "warnings": warnings}


def main():
    logging.disable(logging.WARNING)
    kind, path = sys.argv[1], sys.argv[2]
    result = {"suricata": suricata, "stix": stix}[kind](path)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
