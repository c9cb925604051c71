import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';

/** The published JSON Schema of `rsb load --json` (docs/schemas/load-result.schema.json). */
export const LOAD_RESULT_SCHEMA_PATH = fileURLToPath(new URL('../../docs/schemas/load-result.schema.json', import.meta.url));

const ajv = new Ajv2020({ allErrors: true, strict: true });
(formats as unknown as { default: (ajv: Ajv2020) => void }).default(ajv);
const validate = ajv.compile(JSON.parse(readFileSync(LOAD_RESULT_SCHEMA_PATH, 'utf8')) as object);

/** The schema's complaints about `document`, one line each; empty when it fits. */
export function checkLoadResult(document: unknown): string[] {
  if (validate(document)) return [];
  return (validate.errors ?? []).map((error: ErrorObject) => `${error.instancePath || '(top)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`);
}

/** Keys of latency figures without their unit (`p99`, `max`, `mean`), and numbers with float noise, anywhere in `document`. */
export function findUnitlessFigures(document: unknown, path = ''): string[] {
  if (Array.isArray(document)) return document.flatMap((item, i) => findUnitlessFigures(item, `${path}[${i}]`));
  // Float noise shows as a long tail of decimals: 6.000900999999658.
  if (typeof document === 'number') return /\.\d{7,}|e-/.test(String(document)) ? [`${path} = ${document}`] : [];
  if (document === null || typeof document !== 'object') return [];
  return Object.entries(document).flatMap(([key, value]) => [...(/^(p\d+|max|mean|min)$/.test(key) ? [`${path}.${key}`] : []), ...findUnitlessFigures(value, `${path}.${key}`)]);
}
