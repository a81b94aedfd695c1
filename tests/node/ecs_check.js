// Checks ECS alert documents (JSON lines on standard input) against Elastic's own ECS field
// definitions (the @elastic/ecs package's EcsFlat, generated from the ECS repository), and
// prints a JSON summary on standard output.
//
// Every leaf field must be an ECS field of a compatible type, or sit under the custom
// `pubsub_hunt` object; arrays only where ECS normalises the field to an array; values of fields
// with allowed values (event.kind, event.category, event.type) must be allowed ones, and
// `network.direction` one of its expected values. `ecs.version` must be the definitions'.
//
// Exit status: 0 when every document is valid, 1 otherwise (errors on standard error).
"use strict";
const { EcsFlat, EcsVersion } = require("@elastic/ecs");

const CUSTOM = "pubsub_hunt";
const DIRECTIONS = ["ingress", "egress", "inbound", "outbound", "internal", "external", "unknown"];
const STRINGS = ["keyword", "constant_keyword", "wildcard", "match_only_text", "text", "ip", "date"];
const NUMBERS = ["long", "integer", "short", "byte", "float", "double", "scaled_float", "half_float"];

function typeOk(type, v) {
  if (STRINGS.includes(type)) {
    if (typeof v !== "string") return false;
    if (type === "ip") return /^[0-9a-fA-F:.]+$/.test(v);
    if (type === "date") return !Number.isNaN(Date.parse(v));
    return true;
  }
  if (NUMBERS.includes(type)) return typeof v === "number" && (type.includes("float") || type === "double" || Number.isInteger(v));
  if (type === "boolean") return typeof v === "boolean";
  return false;
}

function flatten(obj, prefix, out) {
  for (const [k, v] of Object.entries(obj)) {
    const name = prefix ? prefix + "." + k : k;
    if (v !== null && typeof v === "object" && !Array.isArray(v)) flatten(v, name, out);
    else out.push([name, v]);
  }
}

function check(doc, line, errors) {
  const leaves = [];
  flatten(doc, "", leaves);
  for (const [name, value] of leaves) {
    if (name === CUSTOM || name.startsWith(CUSTOM + ".")) continue;
    const def = EcsFlat[name];
    if (!def) { errors.push(`line ${line}: ${name} is not an ECS field`); continue; }
    const isArray = Array.isArray(value);
    if (isArray && !(def.normalize || []).includes("array")) errors.push(`line ${line}: ${name} is not an array field`);
    for (const v of isArray ? value : [value]) {
      if (!typeOk(def.type, v)) errors.push(`line ${line}: ${name} = ${JSON.stringify(v)} is not of ECS type ${def.type}`);
      if (def.allowed_values && !def.allowed_values.some((a) => a.name === v)) errors.push(`line ${line}: ${name} = ${JSON.stringify(v)} is not an allowed value`);
    }
    if (name === "network.direction" && !DIRECTIONS.includes(value)) errors.push(`line ${line}: network.direction = ${value}`);
  }
  if (doc.event?.kind !== "alert") errors.push(`line ${line}: event.kind is not alert`);
  if (doc.ecs?.version !== EcsVersion) errors.push(`line ${line}: ecs.version ${doc.ecs?.version} is not ${EcsVersion}`);
  for (const f of ["rule.id", "rule.name", "threat.framework", "threat.technique.subtechnique.id", "event.id"]) {
    if (!leaves.some(([n]) => n === f)) errors.push(`line ${line}: ${f} missing`);
  }
  return leaves.length;
}

const input = require("fs").readFileSync(0, "utf8");
const errors = [];
const ids = [];
let fields = 0;
input.split("\n").forEach((text, i) => {
  if (!text.trim()) return;
  const doc = JSON.parse(text);
  fields += check(doc, i + 1, errors);
  ids.push(doc.event && doc.event.id);
});
for (const e of errors) console.error(e);
console.log(JSON.stringify({ documents: ids.length, ids, fields, ecs_version: EcsVersion }));
process.exit(errors.length ? 1 : 0);
