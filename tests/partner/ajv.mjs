// Validates with Ajv, the most used JavaScript JSON Schema validator, as a partner would: strict
// mode, ajv-formats, and the bundle's annotation keywords declared with the one line the bundle's
// README shows (`ajv.addVocabulary(vocabulary.keywords)`).
//
// Every schema of both drafts (`schemas/` with Ajv2020, `draft-07/` with Ajv) must compile. Every
// sample of the corpus (`cargo xtask samples`) must be judged as its `valid` flag says, and every
// negative case must be rejected with an error at the place and keyword the Rust suite expects,
// by both drafts.
//
// usage: node ajv.mjs <bundle dir> <samples dir>
import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

const [bundle, samplesDir] = process.argv.slice(2);
if (!bundle || !samplesDir) {
  console.error('usage: node ajv.mjs <bundle dir> <samples dir>');
  process.exit(2);
}
const manifest = JSON.parse(await readFile(join(bundle, 'bundle.json'), 'utf8'));
const vocabulary = JSON.parse(await readFile(join(bundle, manifest.vocabulary), 'utf8'));

async function jsonFiles(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await jsonFiles(path)));
    else if (entry.name.endsWith('.json')) out.push(path);
  }
  return out.sort();
}

let failures = 0;
const fail = (message) => {
  console.error(`FAIL ${message}`);
  failures++;
};

// One validator per draft, each file compiled on its own (as a partner who picks one schema does).
const drafts = [
  { name: '2020-12', dir: 'schemas', Class: Ajv2020 },
  { name: 'draft-07', dir: manifest.draft_07.dir, Class: Ajv },
];
for (const draft of drafts) {
  // The options the bundle's README shows. `allowUnionTypes`: a few members take two types
  // (`["string", "integer"]`), which strict mode otherwise refuses. `strictRequired` stays off
  // (Ajv's default): Ajv reads an `anyOf` branch's `required` before its parent's `properties`,
  // so `anyOf: [{required: [a]}, {required: [b]}]` beside `properties: {a, b}` fails it although
  // both are defined.
  const ajv = new draft.Class({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  addFormats(ajv);
  ajv.addVocabulary(vocabulary.keywords);
  draft.validators = new Map();
  const files = await jsonFiles(join(bundle, draft.dir));
  for (const file of files) {
    const schema = JSON.parse(await readFile(file, 'utf8'));
    try {
      draft.validators.set(relative(join(bundle, draft.dir), file), ajv.compile(schema));
    } catch (e) {
      fail(`${draft.name} ${relative(bundle, file)} does not compile: ${e.message}`);
    }
  }
  console.log(`${draft.name}: ${draft.validators.size} of ${files.length} schemas compile in strict mode`);
}

// The draft-07 twins write an `anyOf` whose branches exclude each other as the `oneOf` it equals
// (`draft-07/` is for code generators, which read `oneOf` as a sum type).
const keywords = (draft, keyword) => (draft.name === 'draft-07' && keyword === 'anyOf' ? ['anyOf', 'oneOf'] : [keyword]);

let judged = 0;
for (const provider of Object.keys(manifest.providers)) {
  const catalog = JSON.parse(await readFile(join(bundle, 'catalog', `${provider}.json`), 'utf8'));
  const schemaOf = new Map(catalog.events.map((e) => [e.event_type, e.schema_path.replace(/^schemas\//, '')]));
  const samples = JSON.parse(await readFile(join(samplesDir, `${provider}.json`), 'utf8'));
  const negative = JSON.parse(await readFile(join(samplesDir, 'negative', `${provider}.json`), 'utf8'));
  if (samples.length === 0 || negative.length === 0) fail(`${provider}: no samples or no negative cases`);
  for (const draft of drafts) {
    for (const sample of samples) {
      const validate = draft.validators.get(schemaOf.get(sample.event_type));
      if (!validate) {
        fail(`${draft.name} ${provider} ${sample.event_type}: no compiled schema`);
        continue;
      }
      const ok = validate(sample.payload);
      judged++;
      if (ok !== sample.valid) {
        fail(`${draft.name} ${provider} ${sample.event_type} (${sample.what}): Ajv says ${ok ? 'valid' : 'invalid'}, the suite says ${sample.valid ? 'valid' : 'invalid'}: ${JSON.stringify(validate.errors)}`);
      }
    }
    for (const c of negative) {
      const validate = draft.validators.get(c.schema);
      if (!validate) {
        fail(`${draft.name} ${c.schema}: no compiled schema`);
        continue;
      }
      judged++;
      if (validate(c.payload)) {
        fail(`${draft.name} ${c.schema} (${c.what}): Ajv accepts a negative case`);
      } else if (!validate.errors.some((e) => e.instancePath === c.expect.path && keywords(draft, c.expect.keyword).includes(e.keyword))) {
        const seen = validate.errors.map((e) => `${e.keyword} at ${JSON.stringify(e.instancePath)}`).join(', ');
        fail(`${draft.name} ${c.schema} (${c.what}): expected ${c.expect.keyword} at ${JSON.stringify(c.expect.path)}, Ajv reports ${seen}`);
      }
    }
  }
}
console.log(`ajv: ${judged} judgements, ${failures} failures`);
process.exit(failures === 0 ? 0 : 1);
