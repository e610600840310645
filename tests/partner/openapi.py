"""Checks a published bundle's OpenAPI 3.1 documents with independent Python tools: each document
with openapi-spec-validator (the OpenAPI 3.1 schema and its rules) and for references that point
nowhere, then, with the `jsonschema`
package, every example of every request body and every sample of the corpus (`cargo xtask
samples`) against the request body schema of its event's webhook: valid samples must pass, the
sample that breaks its schema must fail.

usage: python openapi.py <bundle dir> <samples dir>
"""

import json
import sys
from pathlib import Path

import jsonschema
from openapi_spec_validator import validate


def body_validator(document: dict, schema: dict) -> jsonschema.Draft202012Validator:
    """A validator of `schema` (a request body schema) whose `#/components/...` references resolve
    in `document`."""
    root = {"$ref": "#/$defs/body", "$defs": {"body": schema}, "components": document["components"]}
    return jsonschema.Draft202012Validator(root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def dangling_refs(document: dict) -> list[str]:
    """Every local `$ref` of the document that points nowhere (openapi-spec-validator does not
    follow them all)."""
    out = []

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/"):
                target = document
                for token in ref[2:].split("/"):
                    token = token.replace("~1", "/").replace("~0", "~")
                    if not isinstance(target, dict) or token not in target:
                        out.append(ref)
                        break
                    target = target[token]
            for key, value in node.items():
                if key not in ("examples", "example", "const", "enum", "default"):
                    walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
    return out


def main() -> int:
    bundle, samples_dir = Path(sys.argv[1]), Path(sys.argv[2])
    manifest = json.loads((bundle / "bundle.json").read_text())
    failures = 0
    for provider, entry in manifest["providers"].items():
        document = json.loads((bundle / entry["openapi"]).read_text())
        try:
            validate(document)
        except Exception as e:  # the validator's own error types
            print(f"FAIL {entry['openapi']}: {e}")
            failures += 1
            continue
        for ref in dangling_refs(document):
            print(f"FAIL {entry['openapi']}: $ref {ref} points nowhere")
            failures += 1
        webhooks = document.get("webhooks", {})
        if len(webhooks) != entry["events"]:
            print(f"FAIL {provider}: {len(webhooks)} webhooks for {entry['events']} events")
            failures += 1
        validators = {}
        examples = 0
        for event_type, item in webhooks.items():
            (operation,) = item.values()
            (media,) = operation["requestBody"]["content"].values()
            validators[event_type] = body_validator(document, media["schema"])
            for name, example in media.get("examples", {}).items():
                examples += 1
                errors = list(validators[event_type].iter_errors(example["value"]))
                if errors:
                    print(f"FAIL {provider} {event_type} example {name}: {errors[0].message}")
                    failures += 1
        samples = json.loads((samples_dir / f"{provider}.json").read_text())
        for sample in samples:
            validator = validators.get(sample["event_type"])
            if validator is None:
                print(f"FAIL {provider} {sample['event_type']}: no webhook")
                failures += 1
                continue
            ok = validator.is_valid(sample["payload"])
            if ok != sample["valid"]:
                print(f"FAIL {provider} {sample['event_type']} ({sample['what']}): jsonschema says {ok}, the suite says {sample['valid']}")
                failures += 1
        print(f"{provider}: OpenAPI 3.1 valid, {len(webhooks)} webhooks, {examples} examples and {len(samples)} samples judged")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
