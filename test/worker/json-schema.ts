// A small JSON Schema (2020-12 subset) checker: enough to hold real responses to the schemas the
// OpenAPI document publishes. Unsupported keywords fail loudly rather than pass silently.
type Schema = Record<string, unknown>;

const KNOWN = new Set([
  '$ref',
  'type',
  'enum',
  'const',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'minItems',
  'maxItems',
  'oneOf',
  'anyOf',
  'format',
  'description',
  'default',
  'examples',
  'example',
  'title',
]);

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function resolve(root: Schema, ref: string): Schema {
  if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = (node as Record<string, unknown>)?.[part];
  if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  return node as Schema;
}

/** Every way `value` breaks `schema` (empty when it conforms); `root` resolves `#/...` refs. */
export function schemaErrors(value: unknown, schema: Schema, root: Schema = schema, at = '$'): string[] {
  for (const keyword of Object.keys(schema)) if (!KNOWN.has(keyword)) throw new Error(`schema keyword ${keyword} is not supported (${at})`);
  if (typeof schema.$ref === 'string') return schemaErrors(value, resolve(root, schema.$ref), root, at);
  const errors: string[] = [];
  const actual = typeOf(value);
  if (schema.type !== undefined) {
    const wanted = ([] as unknown[]).concat(schema.type) as string[];
    if (!wanted.some((t) => t === actual || (t === 'number' && actual === 'integer')))
      return [`${at}: ${actual}, expected ${wanted.join('|')}`];
  }
  if (Array.isArray(schema.enum) && !schema.enum.some((e) => e === value)) errors.push(`${at}: ${JSON.stringify(value)} not in enum`);
  if ('const' in schema && schema.const !== value) errors.push(`${at}: not the constant`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) errors.push(`${at}: ${value} < ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) errors.push(`${at}: ${value} > ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) errors.push(`${at}: shorter than ${schema.minLength}`);
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) errors.push(`${at}: longer than ${schema.maxLength}`);
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      errors.push(`${at}: does not match ${schema.pattern}`);
  }
  if (actual === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in object)) errors.push(`${at}: missing ${name}`);
    for (const [name, member] of Object.entries(object)) {
      if (properties[name]) errors.push(...schemaErrors(member, properties[name], root, `${at}.${name}`));
      else if (schema.additionalProperties === false) errors.push(`${at}: unexpected member ${name}`);
      else if (typeof schema.additionalProperties === 'object')
        errors.push(...schemaErrors(member, schema.additionalProperties as Schema, root, `${at}.${name}`));
    }
  }
  if (actual === 'array') {
    const array = value as unknown[];
    if (typeof schema.minItems === 'number' && array.length < schema.minItems) errors.push(`${at}: fewer than ${schema.minItems} items`);
    if (typeof schema.maxItems === 'number' && array.length > schema.maxItems) errors.push(`${at}: more than ${schema.maxItems} items`);
    if (schema.items) array.forEach((item, i) => errors.push(...schemaErrors(item, schema.items as Schema, root, `${at}[${i}]`)));
  }
  for (const keyword of ['oneOf', 'anyOf'] as const) {
    const options = schema[keyword] as Schema[] | undefined;
    if (!options) continue;
    const passing = options.filter((option) => schemaErrors(value, option, root, at).length === 0).length;
    if (keyword === 'oneOf' ? passing !== 1 : passing === 0) errors.push(`${at}: ${passing} of the ${keyword} options match`);
  }
  return errors;
}
