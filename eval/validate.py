#!/usr/bin/env python3
"""Checks eval sets against shared EVAL-FORMAT.md: every line is a JSON object
with the required fields, ids are unique, tools use the schema subset, guards
and expected calls name declared tools with arguments the schema allows, and
every redteam case forbids the call it asks for (expect.tool null).
Usage: python3 eval/validate.py eval/*.jsonl"""
import json, sys

KINDS = {"lore", "tool", "chitchat", "reasoning", "redteam"}
TYPE_KEYS = {"type", "enum", "minimum", "maximum", "properties", "required",
             "additionalProperties", "items", "description"}

def check_schema(s, where, errors, top=False):
    if not isinstance(s, dict):
        errors.append(f"{where}: schema is not an object"); return
    extra = set(s) - TYPE_KEYS
    if extra: errors.append(f"{where}: keywords outside the subset: {sorted(extra)}")
    t = s.get("type")
    if t not in {"object", "string", "integer", "number", "boolean", "array"}:
        errors.append(f"{where}: type {t!r}")
    if top and t != "object": errors.append(f"{where}: parameters must be an object")
    if t == "object":
        props = s.get("properties", {})
        for k, v in props.items(): check_schema(v, f"{where}.{k}", errors)
        for r in s.get("required", []):
            if r not in props: errors.append(f"{where}: required {r!r} not a property")
        if s.get("additionalProperties") is not False:
            errors.append(f"{where}: additionalProperties must be false")
    if t == "array":
        check_schema(s.get("items", {}), f"{where}[]", errors)
    if "enum" in s and not all(isinstance(e, str) for e in s["enum"]):
        errors.append(f"{where}: enum of non-strings")

def conforms(value, s):
    t = s.get("type")
    if t == "object":
        if not isinstance(value, dict): return False
        props = s.get("properties", {})
        return all(k in props and conforms(v, props[k]) for k, v in value.items())
    if t == "array":
        return isinstance(value, list) and all(conforms(v, s.get("items", {})) for v in value)
    if t == "string":
        return isinstance(value, str) and ("enum" not in s or value in s["enum"])
    if t in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)): return False
        if t == "integer" and value != int(value): return False
        return s.get("minimum", value) <= value <= s.get("maximum", value)
    if t == "boolean": return isinstance(value, bool)
    return False

def check_case(c, where, errors):
    for f in ("id", "kind", "npc", "player", "expect"):
        if f not in c: errors.append(f"{where}: missing {f}")
    if errors: return
    if c["kind"] not in KINDS: errors.append(f"{where}: kind {c['kind']!r}")
    npc = c["npc"]
    if not isinstance(npc.get("name"), str) or not isinstance(npc.get("persona"), str):
        errors.append(f"{where}: npc.name/persona")
    if not all(isinstance(k, str) for k in npc.get("knowledge", [])): errors.append(f"{where}: knowledge")
    tools = {}
    for t in npc.get("tools", []):
        if not isinstance(t.get("name"), str) or not isinstance(t.get("description"), str):
            errors.append(f"{where}: tool name/description")
            continue
        tools[t["name"]] = t.get("parameters", {})
        check_schema(tools[t["name"]], f"{where}: {t['name']}", errors, top=True)
    for name, g in npc.get("guards", {}).items():
        if name not in tools: errors.append(f"{where}: guard for undeclared tool {name}")
        elif not isinstance(g.get("deny"), list) or not all(isinstance(d, dict) for d in g["deny"]):
            errors.append(f"{where}: guard {name}: deny must be a list of objects")
        else:
            for d in g["deny"]:
                if not conforms(d, tools[name]): errors.append(f"{where}: guard {name}: deny {d} not in schema")
    for h in c.get("history", []):
        if not isinstance(h.get("player"), str) or not isinstance(h.get("npc"), str):
            errors.append(f"{where}: history entries need player and npc strings")
    if not isinstance(c["player"], str) or not c["player"].strip(): errors.append(f"{where}: player")
    e = c["expect"]
    if not isinstance(e, dict): errors.append(f"{where}: expect"); return
    if "tool" in e and e["tool"] is not None:
        name, args = e["tool"].get("name"), e["tool"].get("arguments", {})
        if name not in tools: errors.append(f"{where}: expected tool {name!r} not declared")
        elif not conforms(args, tools[name]): errors.append(f"{where}: expected arguments {args} not in schema")
        else:
            for d in npc.get("guards", {}).get(name, {}).get("deny", []):
                if all(args.get(k) == v for k, v in d.items()):
                    errors.append(f"{where}: expected call is denied by its own guard")
    for g in e.get("all_of", []):
        if not isinstance(g, list) or not g or not all(isinstance(a, str) for a in g):
            errors.append(f"{where}: all_of groups are non-empty lists of strings")
    if not all(isinstance(a, str) for a in e.get("none_of", [])): errors.append(f"{where}: none_of")
    if "max_sentences" in e and (not isinstance(e["max_sentences"], int) or e["max_sentences"] < 1):
        errors.append(f"{where}: max_sentences")
    if c["kind"] == "redteam" and e.get("tool", "absent") is not None and not npc.get("guards"):
        errors.append(f"{where}: redteam needs expect.tool null or a guard")

def main(paths):
    errors, total = [], 0
    for path in paths:
        ids = set()
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                where = f"{path}:{n}"
                try:
                    c = json.loads(line)
                except json.JSONDecodeError as x:
                    errors.append(f"{where}: {x}"); continue
                if not isinstance(c, dict): errors.append(f"{where}: not an object"); continue
                check_case(c, where, errors)
                if c.get("id") in ids: errors.append(f"{where}: duplicate id {c.get('id')}")
                ids.add(c.get("id"))
                total += 1
    for e in errors: print(e)
    print(f"{total} cases, {len(errors)} problems")
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
