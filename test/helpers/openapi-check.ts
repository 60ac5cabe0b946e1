/**
 * Checks an object against OpenAPI v3 definitions as Kubernetes publishes them (test/fixtures'
 * k8s-batch-v1-job.openapi.json): types (with int32 ranges), required fields, unknown fields (the
 * API server's strict field validation rejects them), maps, arrays, $refs and oneOf. Returns every
 * problem with its path, e.g. "$.spec.completions: expected integer, got string".
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Schema {
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema;
  $ref?: string;
  oneOf?: Schema[];
  'x-kubernetes-group-version-kind'?: { group: string; kind: string; version: string }[];
}

export type Schemas = Record<string, Schema>;

export function k8sSchemas(): Schemas {
  const file = join(__dirname, '..', 'fixtures', 'k8s-batch-v1-job.openapi.json');
  return (JSON.parse(readFileSync(file, 'utf8')) as { components: { schemas: Schemas } }).components.schemas;
}

const typeOf = (value: unknown): string =>
  value === null ? 'null' : Array.isArray(value) ? 'array' : Number.isInteger(value) ? 'integer' : typeof value;

export function checkSchema(value: unknown, schema: Schema, schemas: Schemas, path = '$'): string[] {
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = schemas[name];
    return target ? checkSchema(value, target, schemas, path) : [`${path}: ${name} is not in the schema fixture`];
  }
  if (schema.oneOf) {
    const fits = schema.oneOf.filter((s) => checkSchema(value, s, schemas, path).length === 0);
    return fits.length === 1 ? [] : [`${path}: matches ${fits.length} of the oneOf alternatives, not exactly 1`];
  }
  const actual = typeOf(value);
  const expected = schema.type;
  if (expected && actual !== expected && !(expected === 'number' && actual === 'integer')) {
    return [`${path}: expected ${expected}, got ${actual}`];
  }
  if (schema.format === 'int32' && Math.abs(value as number) > 2 ** 31 - 1)
    return [`${path}: ${String(value)} is not an int32`];
  if (actual === 'array')
    return (value as unknown[]).flatMap((v, i) => checkItem(v, schema.items, schemas, `${path}[${i}]`));
  if (actual !== 'object') return [];
  const record = value as Record<string, unknown>;
  const problems = (schema.required ?? []).filter((f) => !(f in record)).map((f) => `${path}.${f}: required`);
  for (const [key, v] of Object.entries(record)) {
    const property = schema.properties?.[key] ?? schema.additionalProperties;
    if (property) problems.push(...checkSchema(v, property, schemas, `${path}.${key}`));
    else if (schema.properties) problems.push(`${path}.${key}: unknown field`);
  }
  return problems;
}

function checkItem(value: unknown, items: Schema | undefined, schemas: Schemas, path: string): string[] {
  return items ? checkSchema(value, items, schemas, path) : [];
}

/**
 * A top-level object checked against the definition its apiVersion and kind name
 * (x-kubernetes-group-version-kind); an apiVersion/kind no definition has is a problem too.
 */
export function checkK8sObject(object: Record<string, unknown>, schemas: Schemas): string[] {
  const match = Object.entries(schemas).find(([, s]) =>
    (s['x-kubernetes-group-version-kind'] ?? []).some(
      (g) => (g.group === '' ? g.version : `${g.group}/${g.version}`) === object.apiVersion && g.kind === object.kind,
    ),
  );
  if (!match) return [`$: no definition for apiVersion ${String(object.apiVersion)} kind ${String(object.kind)}`];
  return checkSchema(object, match[1], schemas);
}
