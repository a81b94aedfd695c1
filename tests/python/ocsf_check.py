"""Validates OCSF Detection Findings (JSON lines on standard input) with py-ocsf-models, an
independent implementation of the OCSF schema, and prints a JSON summary on standard output.

Each line must validate as a DetectionFinding (required fields present, enumerations valid).
Because the models ignore unknown keys, every key the finding carries is also walked against the
model: a key the model does not define is an error, except the evidence objects the package
leaves for later (its own TODO list in EvidenceArtifacts: actor, connection_info, dst_endpoint,
file, process, src_endpoint), which OCSF 1.5 defines and which are reported as such. Free-form
objects (`unmapped`, evidence `data`) are not walked.

Exit status: 0 when every finding is valid, 1 otherwise (errors on standard error).
"""

import json
import sys

from pydantic import BaseModel
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

SPEC_FIELDS_THE_MODEL_LACKS = {
    "EvidenceArtifacts": {
        "actor",
        "connection_info",
        "dst_endpoint",
        "file",
        "process",
        "src_endpoint",
    },
}
FREE_FORM = {"unmapped", "data"}


def walk(model, raw, path, errors, lacking):
    if isinstance(model, BaseModel):
        if not isinstance(raw, dict):
            errors.append(f"{path}: expected an object")
            return
        fields = type(model).model_fields
        for key, value in raw.items():
            where = f"{path}.{key}" if path else key
            if key in fields:
                if key in FREE_FORM:
                    continue
                walk(getattr(model, key), value, where, errors, lacking)
            elif key in SPEC_FIELDS_THE_MODEL_LACKS.get(type(model).__name__, ()):
                lacking.add(f"{type(model).__name__}.{key}")
            else:
                errors.append(f"{where}: not a field of {type(model).__name__}")
    elif isinstance(model, list):
        if not isinstance(raw, list) or len(raw) != len(model):
            errors.append(f"{path}: expected a list of {len(model)}")
            return
        for i, (m, r) in enumerate(zip(model, raw)):
            walk(m, r, f"{path}[{i}]", errors, lacking)


def main():
    errors = []
    lacking = set()
    ids = []
    for n, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        try:
            finding = DetectionFinding.model_validate(raw)
        except Exception as e:  # pydantic.ValidationError, reported with the line
            errors.append(f"line {n}: {e}")
            continue
        walk(finding, raw, "", errors, lacking)
        if int(finding.class_uid) != 2004:
            errors.append(f"line {n}: class_uid {finding.class_uid}")
        if int(finding.type_uid) != 2004 * 100 + int(finding.activity_id):
            errors.append(f"line {n}: type_uid {finding.type_uid} is not class_uid*100+activity_id")
        subs = [
            a.sub_technique.uid
            for a in (finding.finding_info.attacks or [])
            if a.sub_technique is not None
        ]
        if "T1071.005" not in subs:
            errors.append(f"line {n}: no ATT&CK sub-technique T1071.005 in finding_info.attacks")
        if not finding.observables:
            errors.append(f"line {n}: no observables")
        if not raw.get("evidences"):
            errors.append(f"line {n}: no evidences")
        ids.append(finding.finding_info.uid)
    for e in errors:
        print(e, file=sys.stderr)
    print(json.dumps({"findings": len(ids), "ids": ids, "model_lacks": sorted(lacking)}))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
