// Validates every AsyncAPI document of a published bundle with the official AsyncAPI parser
// (@asyncapi/parser), as a partner's AsyncAPI tooling would read it.
//
// usage: node asyncapi.mjs <bundle dir>
// Exits non-zero if a document has an error diagnostic, if it resolves to no document, or if a
// message of the document lost its payload or examples on the way through the parser.
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Parser } from '@asyncapi/parser';

const bundle = process.argv[2];
if (!bundle) {
  console.error('usage: node asyncapi.mjs <bundle dir>');
  process.exit(2);
}
const dir = join(bundle, 'asyncapi');
const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
if (files.length === 0) {
  console.error(`no AsyncAPI documents in ${dir}`);
  process.exit(1);
}

const parser = new Parser();
let failures = 0;
for (const file of files) {
  const text = await readFile(join(dir, file), 'utf8');
  const source = JSON.parse(text);
  const { document, diagnostics } = await parser.parse(text);
  const errors = diagnostics.filter((d) => d.severity === 0);
  const warnings = diagnostics.filter((d) => d.severity === 1);
  for (const d of [...errors, ...warnings]) {
    const level = d.severity === 0 ? 'error' : 'warning';
    console.log(`${file}: ${level} ${d.code} at /${d.path.join('/')}: ${d.message}`);
  }
  if (errors.length > 0 || !document) {
    failures += 1;
    continue;
  }
  const expected = Object.keys(source.components.messages).length;
  const messages = document.messages().all();
  const problems = [];
  if (messages.length !== expected) {
    problems.push(`parsed ${messages.length} messages, the document has ${expected}`);
  }
  for (const message of messages) {
    if (!message.hasPayload()) problems.push(`message ${message.name()} has no payload`);
    const sample = source.components.messages[message.id()]?.examples?.length ?? 0;
    if (message.examples().length !== sample) {
      problems.push(`message ${message.name()}: ${message.examples().length} examples, expected ${sample}`);
    }
  }
  if (document.operations().all().length !== 1) problems.push('expected one receive operation');
  for (const p of problems) console.log(`${file}: ${p}`);
  if (problems.length > 0) {
    failures += 1;
    continue;
  }
  console.log(
    `${file}: valid AsyncAPI ${document.version()} (${messages.length} messages, ${warnings.length} warnings)`,
  );
}
if (failures > 0) {
  console.error(`${failures} of ${files.length} AsyncAPI documents failed`);
  process.exit(1);
}
