"""pySigma as a test oracle for pubsub-hunt's Sigma export.

Usage: pysigma_oracle.py RULES.yml

Parses the rules with pySigma, runs every installed validator, and converts them with the
Splunk backend (whole collection, so the correlation rules become `stats` searches), the Kusto
backend with the Microsoft XDR pipeline, and the ES|QL backend with the ECS Windows pipeline
(detection rules only: those two backends do not convert correlation rules). Prints one JSON
object on stdout; the Rust test (`tests/pysigma.rs`) makes the assertions.

Exit status: 0 on success (the JSON may still report issues), 3 when pySigma or a backend is not
installed (the test then skips or, with PUBSUB_HUNT_REQUIRE_ORACLES=1, fails), 1 on any other
error (a rule that does not parse or convert).

pySigma 1.x downloads MITRE ATT&CK and D3FEND data on first use of the tag validators. Tests
talk to nothing, so the script points pySigma at a minimal local extract holding the real
identifiers this export tags (tactic TA0011 "command-and-control", technique T1071.005) and an
empty D3FEND graph, in a private cache directory. The ATT&CK tag validator then really checks
our tags against those identifiers.
"""

import json
import os
import sys
import tempfile

try:
    import yaml
    from sigma.backends.elasticsearch import ESQLBackend
    from sigma.backends.kusto import KustoBackend
    from sigma.backends.splunk import SplunkBackend
    from sigma.collection import SigmaCollection
    from sigma.correlations import SigmaCorrelationRule
    from sigma.data import mitre_attack, mitre_d3fend
    from sigma.pipelines.elasticsearch.windows import ecs_windows
    from sigma.pipelines.microsoftxdr import microsoft_xdr_pipeline
    from sigma.plugins import InstalledSigmaPlugins
    from sigma.processing.pipeline import ProcessingItem, ProcessingPipeline
    from sigma.processing.transformations import FieldMappingTransformation
    from sigma.validation import SigmaValidator
except ImportError as e:  # pragma: no cover - environment without the oracle
    print(json.dumps({"missing": str(e)}))
    sys.exit(3)


def offline_mitre_data(workdir):
    attack = {
        "type": "bundle",
        "objects": [
            {
                "type": "x-mitre-tactic",
                "name": "Command and Control",
                "x_mitre_shortname": "command-and-control",
                "external_references": [
                    {"source_name": "mitre-attack", "external_id": "TA0011"}
                ],
            },
            {
                "type": "attack-pattern",
                "name": "Application Layer Protocol",
                "external_references": [
                    {"source_name": "mitre-attack", "external_id": "T1071"}
                ],
                "kill_chain_phases": [
                    {"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}
                ],
            },
            {
                "type": "attack-pattern",
                "name": "Publish/Subscribe Protocols",
                "external_references": [
                    {"source_name": "mitre-attack", "external_id": "T1071.005"}
                ],
                "kill_chain_phases": [
                    {"kill_chain_name": "mitre-attack", "phase_name": "command-and-control"}
                ],
            },
        ],
    }
    attack_path = os.path.join(workdir, "enterprise-attack.json")
    with open(attack_path, "w", encoding="utf-8") as f:
        json.dump(attack, f)
    d3fend_path = os.path.join(workdir, "d3fend.json")
    with open(d3fend_path, "w", encoding="utf-8") as f:
        json.dump({"@graph": []}, f)
    mitre_attack.set_cache_dir(os.path.join(workdir, "cache-attack"))
    mitre_attack.set_url(attack_path)
    mitre_d3fend.set_cache_dir(os.path.join(workdir, "cache-d3fend"))
    mitre_d3fend.set_url(d3fend_path)


def host_mapping(field):
    """Sysmon's `Computer` (the host) is not in the backends' network_connection mappings."""
    return ProcessingPipeline(
        name="pubsub-hunt host field",
        priority=5,
        items=[
            ProcessingItem(
                identifier="pubsub_hunt_computer",
                transformation=FieldMappingTransformation({"Computer": field}),
            )
        ],
    )


def detection_rules_only(text):
    # pySigma mutates rules while converting, so each backend gets a freshly parsed collection.
    docs = [d for d in yaml.safe_load_all(text) if d and "correlation" not in d]
    return SigmaCollection.from_dicts(docs)


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    with tempfile.TemporaryDirectory() as workdir:
        offline_mitre_data(workdir)

        collection = SigmaCollection.from_yaml(text)
        rules = []
        for rule in collection:
            kind = "correlation" if isinstance(rule, SigmaCorrelationRule) else "rule"
            errors = [str(e) for e in getattr(rule, "errors", [])]
            rules.append(
                {
                    "kind": kind,
                    "title": rule.title,
                    "level": str(rule.level.name).lower() if rule.level else None,
                    "errors": errors,
                }
            )

        plugins = InstalledSigmaPlugins.autodiscover()
        validator = SigmaValidator(plugins.validators.values())
        issues = [
            {
                "validator": type(issue).__name__,
                "severity": str(issue.severity.name),
                "text": str(issue),
            }
            for issue in validator.validate_rules(collection)
        ]

        splunk = list(SplunkBackend().convert(SigmaCollection.from_yaml(text)))
        kusto = list(
            KustoBackend(host_mapping("DeviceName") + microsoft_xdr_pipeline()).convert(
                detection_rules_only(text)
            )
        )
        esql = list(
            ESQLBackend(host_mapping("host.name") + ecs_windows()).convert(
                detection_rules_only(text)
            )
        )

    print(
        json.dumps(
            {
                "validators": sorted(plugins.validators.keys()),
                "rules": rules,
                "issues": issues,
                "splunk": splunk,
                "kusto": kusto,
                "esql": esql,
            }
        )
    )


if __name__ == "__main__":
    main()
