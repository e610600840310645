"""Generates pydantic v2 models from a published bundle's draft-07 twins with
datamodel-code-generator, one module per provider (every event's model and a union of them), into
<bundle>/types/python/. Then imports them and validates every sample of the corpus
(`cargo xtask samples`) with its event's model: valid samples must pass, the sample that breaks its
schema must fail.

usage: python python.py <bundle dir> <samples dir>
"""

import importlib.util
import json
import re
import subprocess
import sys
import tempfile
import typing
from pathlib import Path

import pydantic


def provider_schema(bundle: Path, manifest: dict, provider: str) -> tuple[dict, list[str]]:
    """Every event's twin under `definitions` (their shared definitions must agree), and a union
    of the events at the root, in catalog order."""
    catalog = json.loads((bundle / "catalog" / f"{provider}.json").read_text())
    definitions: dict = {}
    union = []
    events = []
    for event in catalog["events"]:
        path = event["schema_path"].replace("schemas/", manifest["draft_07"]["dir"] + "/", 1)
        twin = json.loads((bundle / path).read_text())
        for key, definition in twin.pop("definitions", {}).items():
            if key in definitions and definitions[key] != definition:
                raise SystemExit(f"{provider}: definition {key} differs between events")
            definitions[key] = definition
        for key in ("$schema", "$id"):
            twin.pop(key, None)
        if event["event_type"] in definitions:
            raise SystemExit(f"{provider}: event {event['event_type']} collides with a definition")
        definitions[event["event_type"]] = twin
        union.append({"$ref": f"#/definitions/{event['event_type']}"})
        events.append(event["event_type"])
    name = provider[0].upper() + provider[1:] + "Event"
    # datamodel-code-generator reads a dotted definition key (`defs.money`, `v1.booking.created`)
    # as a module path: key the definitions by identifiers instead.
    keys = {key: re.sub(r"\W", "_", key) for key in definitions}
    if len(set(keys.values())) != len(keys):
        raise SystemExit(f"{provider}: two definition keys differ only in punctuation")
    text = json.dumps({"oneOf": union, "definitions": definitions})
    for key, ident in sorted(keys.items(), key=lambda k: -len(k[0])):
        text = text.replace(f'"#/definitions/{key}"', f'"#/definitions/{ident}"')
    renamed = json.loads(text)
    union = renamed["oneOf"]
    definitions = {keys[key]: value for key, value in renamed["definitions"].items()}
    schema = {
        "$schema": manifest["draft_07"]["json_schema"],
        "title": name,
        "description": f"Any {provider} event.",
        "oneOf": union,
        "definitions": definitions,
    }
    return schema, events


def generate(schema: dict, out: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "schema.json"
        source.write_text(json.dumps(schema))
        subprocess.run(
            [
                str(Path(sys.executable).parent / "datamodel-codegen"),
                "--input", str(source),
                "--input-file-type", "jsonschema",
                "--output", str(out),
                "--output-model-type", "pydantic_v2.BaseModel",
                "--target-python-version", "3.11",
                "--use-title-as-name",
                "--use-schema-description",
                "--disable-timestamp",
                "--formatters", "builtin",
            ],
            check=True,
        )


def load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    bundle, samples_dir = Path(sys.argv[1]), Path(sys.argv[2])
    manifest = json.loads((bundle / "bundle.json").read_text())
    out = bundle / "types" / "python"
    out.mkdir(parents=True, exist_ok=True)
    failures = 0
    for provider in manifest["providers"]:
        schema, events = provider_schema(bundle, manifest, provider)
        module_path = out / f"{provider}.py"
        generate(schema, module_path)
        module = load(module_path)
        union = getattr(module, schema["title"])
        # The root model's union lists the event models in catalog order.
        members = typing.get_args(union.model_fields["root"].annotation)
        if len(members) != len(events):
            print(f"{provider}: the union has {len(members)} members, the catalog {len(events)}")
            failures += 1
            continue
        models = dict(zip(events, members))
        samples = json.loads((samples_dir / f"{provider}.json").read_text())
        passed = 0
        for sample in samples:
            model = models[sample["event_type"]]
            try:
                model.model_validate(sample["payload"])
                ok = sample["valid"]
                error = "accepted, but it breaks the schema"
            except pydantic.ValidationError as e:
                ok = not sample["valid"]
                error = str(e)
            if ok:
                passed += 1
            else:
                failures += 1
                print(f"{provider} {sample['event_type']}, {sample['what']} ({model.__name__}): {error}")
        print(f"{provider}: {len(events)} event models, {passed} of {len(samples)} samples judged as the schemas judge them")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
