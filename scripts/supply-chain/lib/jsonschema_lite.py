"""A small JSON Schema draft-07 validator (standard library only), enough for the CycloneDX 1.5
schemas vendored in SupplyChain/schema/ (bom, spdx, jsf).

It is strict about what it does not know: a schema keyword outside the list below raises
UnsupportedKeyword instead of being ignored, so a newer schema can never pass by silence.
`$ref`s are resolved against the schemas' `$id`s and, failing that, against files of the same
name in the schema folder (the CycloneDX files refer to each other by file name).
Formats checked: date-time, uri (others are annotations, as draft-07 allows).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import urldefrag, urljoin

ANNOTATIONS = {"$schema", "$id", "$comment", "title", "description", "default", "examples",
               "meta:enum", "definitions", "readOnly", "writeOnly", "contentEncoding", "contentMediaType"}
ASSERTIONS = {"type", "enum", "const", "properties", "required", "additionalProperties",
              "patternProperties", "items", "additionalItems", "minItems", "maxItems", "uniqueItems",
              "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum",
              "exclusiveMaximum", "multipleOf", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
              "format", "$ref", "minProperties", "maxProperties", "propertyNames", "contains",
              "dependencies"}


class UnsupportedKeyword(Exception):
    pass


class SchemaStore:
    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.by_uri: Dict[str, Any] = {}
        self.by_name: Dict[str, Tuple[str, Any]] = {}
        for p in sorted(self.folder.glob("*.json")):
            doc = json.loads(p.read_text(encoding="utf-8"))
            uri = doc.get("$id") or p.resolve().as_uri()
            self.by_uri[uri.rstrip("#")] = doc
            self.by_name[p.name] = (uri, doc)

    def document(self, name: str) -> Tuple[str, Any]:
        return self.by_name[name]

    def resolve(self, base: str, ref: str) -> Tuple[str, Any]:
        full = urljoin(base, ref)
        doc_uri, fragment = urldefrag(full)
        doc = self.by_uri.get(doc_uri)
        if doc is None:
            name = doc_uri.rsplit("/", 1)[-1]
            if name in self.by_name:
                doc_uri, doc = self.by_name[name]
        if doc is None:
            raise KeyError(f"unresolvable $ref {ref!r} (from {base}); no local schema {doc_uri}")
        node = doc
        if fragment:
            for part in fragment.lstrip("/").split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                node = node[int(part)] if isinstance(node, list) else node[part]
        return doc_uri, node


def _type_ok(value: Any, t: str) -> bool:
    if t == "object":
        return isinstance(value, dict)
    if t == "array":
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "null":
        return value is None
    if t == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or \
            (isinstance(value, float) and value.is_integer())
    if t == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    raise UnsupportedKeyword(f"unknown type {t!r}")


def _canon(value: Any) -> Any:
    """A hashable form in which True and 1 differ (JSON equality)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, (int, float)):
        return ("n", float(value))
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    if isinstance(value, list):
        return ("a", tuple(_canon(v) for v in value))
    if isinstance(value, dict):
        return ("o", tuple(sorted((k, _canon(v)) for k, v in value.items())))
    raise TypeError(type(value))


_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")


def _format_ok(fmt: str, value: Any) -> bool:
    if not isinstance(value, str):
        return True
    if fmt == "date-time":
        if not _DATE_TIME.match(value):
            return False
        mo, d, h, mi, s = int(value[5:7]), int(value[8:10]), int(value[11:13]), int(value[14:16]), int(value[17:19])
        return 1 <= mo <= 12 and 1 <= d <= 31 and h <= 23 and mi <= 59 and s <= 60
    if fmt == "uri":
        return bool(_URI.match(value))
    return True


class Validator:
    def __init__(self, folder: Path, root: str):
        self.store = SchemaStore(folder)
        self.root_uri, self.root = self.store.document(root)

    def errors(self, instance: Any, limit: int = 50) -> List[str]:
        out: List[str] = []
        self._validate(instance, self.root, self.root_uri, "$", out)
        return out[:limit]

    def is_valid(self, instance: Any, schema: Any, base: str) -> bool:
        out: List[str] = []
        self._validate(instance, schema, base, "$", out)
        return not out

    def _validate(self, inst: Any, schema: Any, base: str, path: str, out: List[str]) -> None:
        if schema is True or schema == {}:
            return
        if schema is False:
            out.append(f"{path}: no value is allowed here")
            return
        if not isinstance(schema, dict):
            raise UnsupportedKeyword(f"schema at {path} is not an object")
        if "$id" in schema and isinstance(schema["$id"], str):
            base = urljoin(base, schema["$id"])
        if "$ref" in schema:                     # draft-07: siblings of $ref are ignored
            uri, target = self.store.resolve(base, schema["$ref"])
            self._validate(inst, target, uri, path, out)
            return
        for key in schema:
            if key not in ASSERTIONS and key not in ANNOTATIONS:
                raise UnsupportedKeyword(f"schema keyword {key!r} (at instance path {path}) is not supported")
        s = schema
        if "type" in s:
            types = s["type"] if isinstance(s["type"], list) else [s["type"]]
            if not any(_type_ok(inst, t) for t in types):
                out.append(f"{path}: {json.dumps(inst)[:60]} is not of type {'/'.join(types)}")
                return
        if "enum" in s and _canon(inst) not in {_canon(v) for v in s["enum"]}:
            out.append(f"{path}: {json.dumps(inst)[:60]} is not one of the allowed values")
        if "const" in s and _canon(inst) != _canon(s["const"]):
            out.append(f"{path}: must be {json.dumps(s['const'])}")
        if "format" in s and not _format_ok(s["format"], inst):
            out.append(f"{path}: {inst!r} is not a valid {s['format']}")
        if isinstance(inst, str):
            if "minLength" in s and len(inst) < s["minLength"]:
                out.append(f"{path}: shorter than {s['minLength']}")
            if "maxLength" in s and len(inst) > s["maxLength"]:
                out.append(f"{path}: longer than {s['maxLength']}")
            if "pattern" in s and not re.search(s["pattern"], inst):
                out.append(f"{path}: {inst!r} does not match {s['pattern']}")
        if isinstance(inst, (int, float)) and not isinstance(inst, bool):
            if "minimum" in s and inst < s["minimum"]:
                out.append(f"{path}: {inst} < minimum {s['minimum']}")
            if "maximum" in s and inst > s["maximum"]:
                out.append(f"{path}: {inst} > maximum {s['maximum']}")
            if "exclusiveMinimum" in s and inst <= s["exclusiveMinimum"]:
                out.append(f"{path}: {inst} <= exclusiveMinimum {s['exclusiveMinimum']}")
            if "exclusiveMaximum" in s and inst >= s["exclusiveMaximum"]:
                out.append(f"{path}: {inst} >= exclusiveMaximum {s['exclusiveMaximum']}")
            if "multipleOf" in s and (inst / s["multipleOf"]) % 1 != 0:
                out.append(f"{path}: not a multiple of {s['multipleOf']}")
        if isinstance(inst, dict):
            self._object(inst, s, base, path, out)
        if isinstance(inst, list):
            self._array(inst, s, base, path, out)
        for sub in s.get("allOf", []):
            self._validate(inst, sub, base, path, out)
        if "anyOf" in s and not any(self.is_valid(inst, sub, base) for sub in s["anyOf"]):
            out.append(f"{path}: matches none of anyOf")
        if "oneOf" in s:
            n = sum(1 for sub in s["oneOf"] if self.is_valid(inst, sub, base))
            if n != 1:
                detail = ""
                if n == 0:      # say why the closest alternative failed
                    best: Optional[List[str]] = None
                    for sub in s["oneOf"]:
                        errs: List[str] = []
                        self._validate(inst, sub, base, path, errs)
                        if best is None or len(errs) < len(best):
                            best = errs
                    detail = f" (e.g. {best[0]})" if best else ""
                out.append(f"{path}: matches {n} of oneOf, must match exactly 1{detail}")
        if "not" in s and self.is_valid(inst, s["not"], base):
            out.append(f"{path}: must not match the 'not' schema")
        if "if" in s:
            if self.is_valid(inst, s["if"], base):
                if "then" in s:
                    self._validate(inst, s["then"], base, path, out)
            elif "else" in s:
                self._validate(inst, s["else"], base, path, out)

    def _object(self, inst: dict, s: dict, base: str, path: str, out: List[str]) -> None:
        for req in s.get("required", []):
            if req not in inst:
                out.append(f"{path}: '{req}' is required")
        if "minProperties" in s and len(inst) < s["minProperties"]:
            out.append(f"{path}: fewer than {s['minProperties']} properties")
        if "maxProperties" in s and len(inst) > s["maxProperties"]:
            out.append(f"{path}: more than {s['maxProperties']} properties")
        props = s.get("properties", {})
        patterns = s.get("patternProperties", {})
        for key, value in inst.items():
            sub_path = f"{path}.{key}"
            matched = False
            if key in props:
                matched = True
                self._validate(value, props[key], base, sub_path, out)
            for pat, sub in patterns.items():
                if re.search(pat, key):
                    matched = True
                    self._validate(value, sub, base, sub_path, out)
            if not matched and "additionalProperties" in s:
                ap = s["additionalProperties"]
                if ap is False:
                    out.append(f"{path}: property '{key}' is not allowed")
                else:
                    self._validate(value, ap, base, sub_path, out)
            if "propertyNames" in s:
                self._validate(key, s["propertyNames"], base, sub_path + "(name)", out)
        for key, dep in s.get("dependencies", {}).items():
            if key in inst:
                if isinstance(dep, list):
                    for d in dep:
                        if d not in inst:
                            out.append(f"{path}: '{d}' is required when '{key}' is present")
                else:
                    self._validate(inst, dep, base, path, out)

    def _array(self, inst: list, s: dict, base: str, path: str, out: List[str]) -> None:
        if "minItems" in s and len(inst) < s["minItems"]:
            out.append(f"{path}: fewer than {s['minItems']} items")
        if "maxItems" in s and len(inst) > s["maxItems"]:
            out.append(f"{path}: more than {s['maxItems']} items")
        if s.get("uniqueItems"):
            seen = set()
            for v in inst:
                c = _canon(v)
                if c in seen:
                    out.append(f"{path}: items are not unique")
                    break
                seen.add(c)
        items = s.get("items")
        if isinstance(items, list):
            for i, v in enumerate(inst[:len(items)]):
                self._validate(v, items[i], base, f"{path}[{i}]", out)
            if len(inst) > len(items) and "additionalItems" in s:
                extra = s["additionalItems"]
                for i in range(len(items), len(inst)):
                    self._validate(inst[i], extra, base, f"{path}[{i}]", out)
        elif items is not None:
            for i, v in enumerate(inst):
                self._validate(v, items, base, f"{path}[{i}]", out)
        if "contains" in s and not any(self.is_valid(v, s["contains"], base) for v in inst):
            out.append(f"{path}: no item matches 'contains'")
