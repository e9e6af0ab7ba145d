#!/usr/bin/env python3
"""Checks eval sets against shared EVAL-FORMAT.md: every line is a JSON object
with the required fields, ids are unique, tools use the schema subset, guards
and expected calls name declared tools with arguments the schema allows, and
every redteam case forbids the call it asks for (expect.tool null). Also: ids
unique across all the files given, no unknown fields (a typo such as
"all_off" would otherwise disable a check silently), text checks that can
match (non-empty, trimmed, no all_of alternative also in none_of), expected
calls that give every required argument, a stated `expect.tool` on every case
of an NPC with tools, and reasoning cases whose answer is not stated verbatim
in the knowledge lines, the history or the player's line (see REASONING_*).
Usage: python3 eval/validate.py eval/*.jsonl eval/router/*.jsonl"""
import json, re, sys

CASE_KEYS = {"id", "kind", "npc", "history", "player", "expect"}
NPC_KEYS = {"name", "persona", "knowledge", "tools", "guards"}
TOOL_KEYS = {"name", "description", "parameters"}
EXPECT_KEYS = {"tool", "all_of", "none_of", "max_sentences"}

# A reasoning case needs an all_of group (the inferred answer) none of whose
# alternatives occurs, as a whole word, in the NPC's knowledge lines, the
# history or the player's line. Other groups may name recalled facts (a unit,
# the item compared) only if every alternative is listed here or the case is
# exempt below.
REASONING_RECALLED_OK = {"silver", "gold", "copper", "bronze"}
# Cases whose answer is a fact from the knowledge that must be found by
# combining two lines (symptom -> remedy, need -> patron saint): recall alone
# does not answer them, but the answer is written in the knowledge.
REASONING_EXEMPT = {
    "router-maud-two-ailments": "fever -> feverfew and bruise -> comfrey, two lines combined with the player's two complaints",
    "router-anselm-lost-ring": "a lost ring -> the patron of lost things -> Saint Edda",
}

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

def whole_word(text, phrase):
    """The scorer's match: case-insensitive, not preceded or followed by a letter or digit."""
    p = phrase.strip().lower()
    if not p: return False
    pre = r"(?<![^\W_])" if p[0].isalnum() else ""
    post = r"(?![^\W_])" if p[-1].isalnum() else ""
    return re.search(pre + re.escape(p) + post, text.lower()) is not None

def check_reasoning(c, where, errors, notes):
    npc, e = c["npc"], c["expect"]
    seen = " \n ".join(npc.get("knowledge", []) + [c["player"]]
                       + [h.get(k, "") for h in c.get("history", []) for k in ("player", "npc")])
    groups = e.get("all_of", [])
    inferred = [g for g in groups if not any(whole_word(seen, a) for a in g)]
    recalled = [g for g in groups if g not in inferred]
    if c["id"] in REASONING_EXEMPT:
        notes.append(f"{where}: {c['id']} exempt from the verbatim check: {REASONING_EXEMPT[c['id']]}")
        return
    if not groups: errors.append(f"{where}: reasoning case without all_of"); return
    if not inferred:
        errors.append(f"{where}: reasoning answer is stated verbatim: every all_of group occurs in the knowledge, history or player line")
    for g in recalled:
        bad = [a for a in g if whole_word(seen, a) and a.lower() not in REASONING_RECALLED_OK]
        if bad: errors.append(f"{where}: reasoning alternatives stated verbatim: {bad}")

def check_case(c, where, errors, notes):
    n_before = len(errors)
    for f in ("id", "kind", "npc", "player", "expect"):
        if f not in c: errors.append(f"{where}: missing {f}")
    if len(errors) > n_before: return
    extra = set(c) - CASE_KEYS
    if extra: errors.append(f"{where}: unknown fields {sorted(extra)}")
    if not isinstance(c["id"], str) or not c["id"].strip(): errors.append(f"{where}: id")
    if not isinstance(c["npc"], dict): errors.append(f"{where}: npc is not an object"); return
    extra = set(c["npc"]) - NPC_KEYS
    if extra: errors.append(f"{where}: unknown npc fields {sorted(extra)}")
    if c["kind"] not in KINDS: errors.append(f"{where}: kind {c['kind']!r}")
    npc = c["npc"]
    if not isinstance(npc.get("name"), str) or not isinstance(npc.get("persona"), str):
        errors.append(f"{where}: npc.name/persona")
    if not all(isinstance(k, str) and k.strip() for k in npc.get("knowledge", [])): errors.append(f"{where}: knowledge")
    tools = {}
    for t in npc.get("tools", []):
        if not isinstance(t.get("name"), str) or not isinstance(t.get("description"), str):
            errors.append(f"{where}: tool name/description")
            continue
        if set(t) - TOOL_KEYS: errors.append(f"{where}: unknown tool fields {sorted(set(t) - TOOL_KEYS)}")
        if t["name"] in tools: errors.append(f"{where}: tool {t['name']} declared twice")
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
        elif set(h) - {"player", "npc"}: errors.append(f"{where}: unknown history fields {sorted(set(h) - {'player', 'npc'})}")
    if not isinstance(c["player"], str) or not c["player"].strip(): errors.append(f"{where}: player"); return
    e = c["expect"]
    if not isinstance(e, dict): errors.append(f"{where}: expect"); return
    if set(e) - EXPECT_KEYS: errors.append(f"{where}: unknown expect fields {sorted(set(e) - EXPECT_KEYS)}")
    kind = c["kind"]
    if tools and "tool" not in e:
        errors.append(f"{where}: the NPC has tools, so expect.tool must be stated (null or a call)")
    if kind in ("lore", "chitchat", "reasoning", "redteam") and isinstance(e.get("tool"), dict):
        errors.append(f"{where}: a {kind} case must not expect a call")
    if kind == "tool" and "tool" not in e: errors.append(f"{where}: tool case without expect.tool")
    if kind == "tool" and "tool" in e and e["tool"] is None and not npc.get("guards"):
        errors.append(f"{where}: tool case expecting no call needs a guard that refuses it")
    if "tool" in e and e["tool"] is not None:
        if not isinstance(e["tool"], dict) or set(e["tool"]) - {"name", "arguments"}:
            errors.append(f"{where}: expect.tool must be null or {{name, arguments}}"); return
        name, args = e["tool"].get("name"), e["tool"].get("arguments", {})
        if name not in tools: errors.append(f"{where}: expected tool {name!r} not declared")
        elif not conforms(args, tools[name]): errors.append(f"{where}: expected arguments {args} not in schema")
        else:
            missing = [r for r in tools[name].get("required", []) if r not in args]
            if missing: errors.append(f"{where}: expected call leaves required arguments unchecked: {missing}")
            for d in npc.get("guards", {}).get(name, {}).get("deny", []):
                if all(args.get(k) == v for k, v in d.items()):
                    errors.append(f"{where}: expected call is denied by its own guard")
    def clean(a): return isinstance(a, str) and a.strip() and a == a.strip()
    if not isinstance(e.get("all_of", []), list): errors.append(f"{where}: all_of must be a list"); return
    for g in e.get("all_of", []):
        if not isinstance(g, list) or not g or not all(clean(a) for a in g):
            errors.append(f"{where}: all_of groups are non-empty lists of trimmed, non-empty strings")
        elif len({a.lower() for a in g}) != len(g):
            errors.append(f"{where}: all_of group repeats an alternative: {g}")
    if not isinstance(e.get("none_of", []), list) or not all(clean(a) for a in e.get("none_of", [])):
        errors.append(f"{where}: none_of must be a list of trimmed, non-empty strings"); return
    wanted = {a.lower() for g in e.get("all_of", []) if isinstance(g, list) for a in g if isinstance(a, str)}
    both = wanted & {a.lower() for a in e.get("none_of", [])}
    if both: errors.append(f"{where}: in both all_of and none_of: {sorted(both)}")
    if "max_sentences" in e and (not isinstance(e["max_sentences"], int) or e["max_sentences"] < 1):
        errors.append(f"{where}: max_sentences")
    if c["kind"] == "redteam" and e.get("tool", "absent") is not None and not npc.get("guards"):
        errors.append(f"{where}: redteam needs expect.tool null or a guard")
    if kind == "reasoning": check_reasoning(c, where, errors, notes)

def main(paths):
    errors, notes, total, ids = [], [], 0, {}
    for path in paths:
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                where = f"{path}:{n}"
                try:
                    c = json.loads(line)
                except json.JSONDecodeError as x:
                    errors.append(f"{where}: {x}"); continue
                if not isinstance(c, dict): errors.append(f"{where}: not an object"); continue
                check_case(c, where, errors, notes)
                if c.get("id") in ids: errors.append(f"{where}: duplicate id {c.get('id')} (first at {ids[c.get('id')]})")
                else: ids[c.get("id")] = where
                total += 1
    for n in notes: print("note:", n)
    for e in errors: print(e)
    print(f"{total} cases, {len(errors)} problems")
    return 1 if errors else 0

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
