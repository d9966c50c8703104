"""Validates rendered manifests: Kubernetes objects against the Kubernetes JSON schemas
shipped by kubernetes-validate (strict: unknown fields are errors), operator objects
against the schemas vendored in k8s/schemas/<group>/<kind>_<version>.json. An object of a
kind neither knows is an error, so nothing passes unchecked.

    python validate_schemas.py --kubernetes-version 1.30.0 --schemas k8s/schemas dev.yaml
"""

import argparse
import json
import sys
from pathlib import Path

import jsonschema
import kubernetes_validate
import yaml


def crd_schema_path(schemas: Path, doc: dict) -> Path | None:
    api_version = doc.get("apiVersion", "")
    if "/" not in api_version:
        return None
    group, version = api_version.split("/", 1)
    path = schemas / group / f"{doc.get('kind', '').lower()}_{version}.json"
    return path if path.exists() else None


def errors_of(doc: dict, k8s_version: str, schemas: Path) -> list[str]:
    path = crd_schema_path(schemas, doc)
    if path is not None:
        schema = json.loads(path.read_text())
        validator = jsonschema.Draft7Validator(schema)
        return [
            f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
            for e in sorted(validator.iter_errors(doc), key=lambda e: list(map(str, e.absolute_path)))
        ]
    try:
        kubernetes_validate.validate(doc, k8s_version, strict=True)
    except kubernetes_validate.ValidationError as e:
        return [f"{'.'.join(map(str, e.path)) or '<root>'}: {e.message}"]
    except kubernetes_validate.SchemaNotFoundError as e:
        return [f"no schema: {e.message} (vendor one under k8s/schemas/)"]
    return []


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--kubernetes-version", default="1.30.0")
    parser.add_argument("--schemas", type=Path, default=Path(__file__).resolve().parents[1] / "schemas")
    parser.add_argument("--label", default="")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args()
    failed = checked = crds = 0
    for file in args.files:
        for doc in yaml.safe_load_all(file.read_text()):
            if not doc:
                continue
            checked += 1
            crds += crd_schema_path(args.schemas, doc) is not None
            name = f"{doc.get('kind')}/{doc.get('metadata', {}).get('name')}"
            for error in errors_of(doc, args.kubernetes_version, args.schemas):
                failed += 1
                print(f"  FAIL {args.label} {name}: {error}")
    status = "ok" if failed == 0 else f"{failed} error(s)"
    print(f"  {args.label:5} {checked} objects ({checked - crds} Kubernetes {args.kubernetes_version}, {crds} operator CRDs): {status}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
