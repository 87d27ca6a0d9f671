// Interactive API docs built in the browser from /openapi.json: every operation with its parameters,
// responses and schemas, and a form that calls it on this same server and shows the exchange.
// Self-contained on purpose: no CDN, no vendored UI bundle, so it works offline and stays small.
import { el } from './ui.js';

const head = document.getElementById('docs-head');
const body = document.getElementById('docs-body');

try {
  const response = await fetch('/openapi.json', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`/openapi.json answered ${response.status}`);
  render(await response.json());
} catch (error) {
  document
    .getElementById('docs-loading')
    .replaceWith(
      el(
        'div',
        { class: 'problem', role: 'alert' },
        el('h4', {}, 'The API description could not be loaded'),
        el('p', {}, String(error.message ?? error)),
      ),
    );
}

function render(spec) {
  const resolve = (node) => resolveRef(spec, node);
  const operations = Object.entries(spec.paths ?? {}).flatMap(([path, item]) =>
    ['get', 'post', 'put', 'patch', 'delete']
      .filter((m) => item[m])
      .map((method) => ({ path, method, op: item[method], shared: item.parameters ?? [] })),
  );
  document.getElementById('docs-loading').remove();
  head.append(
    el(
      'p',
      {},
      el('strong', {}, spec.info?.title ?? 'API'),
      el('span', { class: 'chip version' }, `v${spec.info?.version ?? '?'}`),
      el('span', { class: 'chip version' }, `OpenAPI ${spec.openapi}`),
    ),
    spec.info?.description ? el('p', { class: 'desc' }, spec.info.description) : '',
    el(
      'ul',
      { class: 'toc', 'aria-label': 'Endpoints' },
      ...operations.map(({ path, op }) => el('li', {}, el('a', { href: `#${anchorOf(op, path)}` }, path))),
    ),
  );
  const tags = [...new Set(operations.map(({ op }) => op.tags?.[0] ?? 'other'))];
  for (const tag of tags) {
    const group = el('section', { class: 'tag-group', 'aria-label': tag }, el('h2', {}, tag));
    for (const entry of operations.filter(({ op }) => (op.tags?.[0] ?? 'other') === tag)) group.append(operationView(entry, resolve));
    body.append(group);
  }
  const target = location.hash && document.getElementById(location.hash.slice(1));
  if (target) {
    target.open = true;
    target.scrollIntoView();
  }
}

function anchorOf(op, path) {
  return `op-${op.operationId ?? path.replace(/[^A-Za-z0-9]+/g, '-')}`;
}

function resolveRef(spec, node, depth = 0) {
  if (!node || typeof node !== 'object' || !node.$ref || depth > 10) return node;
  const target = node.$ref
    .replace(/^#\//, '')
    .split('/')
    .reduce((o, key) => o?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], spec);
  return resolveRef(spec, target, depth + 1);
}

function operationView({ path, method, op, shared }, resolve) {
  const params = [...shared, ...(op.parameters ?? [])].map(resolve);
  const details = el(
    'details',
    { class: 'op', id: anchorOf(op, path) },
    el(
      'summary',
      {},
      el('span', { class: 'method' }, method.toUpperCase()),
      el('span', { class: 'path' }, path),
      el('span', { class: 'op-summary' }, op.summary ?? ''),
    ),
  );
  const inner = el('div', { class: 'op-body' });
  if (op.description) inner.append(el('p', { class: 'op-desc' }, op.description));

  const form = el('form', { novalidate: true, 'aria-label': `Try ${method.toUpperCase()} ${path}` });
  const inputs = new Map();
  if (params.length) {
    const rows = params.map((p) => {
      const id = `${anchorOf(op, path)}-${p.name}`;
      const schema = resolve(p.schema) ?? {};
      const input = el('input', {
        id,
        name: p.name,
        autocomplete: 'off',
        spellcheck: 'false',
        placeholder: p.example !== undefined ? `e.g. ${p.example}` : '',
      });
      if (Array.isArray(schema.enum)) {
        const list = el('datalist', { id: `${id}-list` }, ...schema.enum.map((v) => el('option', { value: String(v) })));
        input.setAttribute('list', list.id);
        input.after(list);
        form.append(list);
      }
      inputs.set(p, input);
      return el(
        'tr',
        {},
        el(
          'td',
          {},
          el('label', { class: 'pname', for: id }, p.name),
          p.required ? el('span', { class: 'req' }, 'required') : '',
          el('span', { class: 'ptype' }, `${typeText(schema)} · ${p.in}`),
        ),
        el('td', { class: 'pdesc' }, p.description ?? ''),
        el('td', {}, input),
      );
    });
    form.append(
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { class: 'params' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              el('th', { scope: 'col' }, 'Name'),
              el('th', { scope: 'col' }, 'Description'),
              el('th', { scope: 'col' }, 'Value'),
            ),
          ),
          el('tbody', {}, ...rows),
        ),
      ),
    );
  }
  const execute = el('button', { type: 'submit', class: 'btn' }, 'Execute');
  const examples = el('button', { type: 'button', class: 'btn btn-ghost' }, 'Fill examples');
  const clear = el('button', { type: 'button', class: 'btn btn-ghost' }, 'Clear');
  form.append(el('div', { class: 'try-actions' }, execute, params.length ? examples : '', params.length ? clear : ''));
  const exchange = el('div', { class: 'exchange', 'aria-live': 'polite' });
  examples.addEventListener('click', () => {
    for (const [p, input] of inputs) if (p.example !== undefined) input.value = String(p.example);
  });
  clear.addEventListener('click', () => {
    for (const input of inputs.values()) input.value = '';
    exchange.replaceChildren();
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    run(path, method, inputs, execute, exchange);
  });
  inner.append(
    el('h3', {}, params.length ? 'Parameters · try it' : 'Try it'),
    form,
    exchange,
    el('h3', {}, 'Responses'),
    responsesView(op.responses ?? {}, resolve),
  );
  details.append(inner);
  return details;
}

async function run(path, method, inputs, button, exchange) {
  let url = path;
  const query = new URLSearchParams();
  for (const [p, input] of inputs) {
    if (input.value === '') continue;
    if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(input.value));
    else if (p.in === 'query') query.append(p.name, input.value);
  }
  if (query.size) url += `?${query}`;
  button.disabled = true;
  exchange.replaceChildren(el('p', { class: 'loading' }, `${method.toUpperCase()} ${url}`));
  const t0 = performance.now();
  try {
    const response = await fetch(url, { method: method.toUpperCase(), headers: { Accept: 'application/json' } });
    const ms = Math.round(performance.now() - t0);
    const text = await response.text();
    const type = response.headers.get('Content-Type') ?? '';
    const shown = ['content-type', 'cache-control', 'etag', 'x-data-version', 'x-request-id', 'allow', 'retry-after'];
    const headerText = shown
      .filter((h) => response.headers.has(h))
      .map((h) => `${h}: ${response.headers.get(h)}`)
      .join('\n');
    exchange.replaceChildren(
      el('div', {}, el('h4', {}, 'Request'), el('pre', {}, `curl '${new URL(url, location.origin)}'`)),
      el(
        'div',
        {},
        el('h4', {}, 'Response'),
        el(
          'p',
          {},
          el('span', { class: `status-code s${String(response.status)[0]}` }, `${response.status} ${response.statusText}`),
          ` in ${ms} ms`,
        ),
      ),
      el('div', {}, el('h4', {}, 'Headers'), el('pre', {}, headerText)),
      el(
        'div',
        {},
        el('h4', {}, 'Body'),
        el(
          'pre',
          { class: 'response-body' },
          ...(type.includes('json')
            ? highlightJson(text)
            : [text.length > 20000 ? `${text.slice(0, 20000)}\n… (${text.length.toLocaleString('en-US')} characters)` : text]),
        ),
      ),
    );
  } catch (error) {
    exchange.replaceChildren(
      el('div', { class: 'problem', role: 'alert' }, el('h4', {}, 'The request failed'), el('p', {}, String(error.message ?? error))),
    );
  } finally {
    button.disabled = false;
  }
}

function responsesView(responses, resolve) {
  const rows = Object.entries(responses).map(([code, raw]) => {
    const r = resolve(raw) ?? {};
    const content = Object.entries(r.content ?? {});
    const blocks = content.map(([type, media]) => {
      const example = media.example ?? Object.values(media.examples ?? {})[0]?.value;
      return el(
        'details',
        {},
        el('summary', {}, type),
        el('pre', {}, schemaText(resolve(media.schema), resolve)),
        example !== undefined ? el('pre', {}, JSON.stringify(example, null, 2)) : '',
      );
    });
    return el('tr', {}, el('td', {}, code), el('td', {}, r.description ?? '', ...blocks));
  });
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { class: 'responses' },
      el('thead', {}, el('tr', {}, el('th', { scope: 'col' }, 'Code'), el('th', { scope: 'col' }, 'Description'))),
      el('tbody', {}, ...rows),
    ),
  );
}

function typeText(schema) {
  if (!schema) return 'any';
  if (Array.isArray(schema.enum)) return `${schema.type ?? 'enum'} (${schema.enum.length} values)`;
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'any');
  const range = [schema.minimum !== undefined ? `≥ ${schema.minimum}` : '', schema.maximum !== undefined ? `≤ ${schema.maximum}` : '']
    .filter(Boolean)
    .join(', ');
  return range ? `${type} ${range}` : type;
}

/** A compact, readable rendering of a JSON Schema (TypeScript-like). */
function schemaText(schema, resolve, indent = '', depth = 0) {
  schema = resolve(schema);
  if (!schema || depth > 6) return 'any';
  if (schema.oneOf || schema.anyOf) return (schema.oneOf ?? schema.anyOf).map((s) => schemaText(s, resolve, indent, depth + 1)).join(' | ');
  if (Array.isArray(schema.enum))
    return schema.enum.length > 8
      ? `${schema.type ?? ''} (one of ${schema.enum.length})`
      : schema.enum.map((v) => JSON.stringify(v)).join(' | ');
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.includes('array')) return `${schemaText(schema.items, resolve, indent, depth + 1)}[]`;
  if (types.includes('object') || schema.properties) {
    const props = Object.entries(schema.properties ?? {});
    if (props.length === 0) return 'object';
    const required = new Set(schema.required ?? []);
    const lines = props.map(
      ([name, s]) => `${indent}  ${name}${required.has(name) ? '' : '?'}: ${schemaText(s, resolve, `${indent}  `, depth + 1)}`,
    );
    return `{\n${lines.join('\n')}\n${indent}}${types.includes('null') ? ' | null' : ''}`;
  }
  return types.filter(Boolean).join(' | ') || 'any';
}

/** Pretty JSON as text nodes and spans (never innerHTML). */
function highlightJson(text) {
  let pretty;
  try {
    pretty = JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return [text];
  }
  const nodes = [];
  const token = /("(?:\\.|[^"\\])*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;
  let last = 0;
  for (const m of pretty.matchAll(token)) {
    nodes.push(pretty.slice(last, m.index));
    if (m[1]) {
      nodes.push(el('span', { class: m[2] ? 'json-key' : 'json-string' }, m[1]));
      if (m[2]) nodes.push(m[2]);
    } else if (m[3]) nodes.push(el('span', { class: 'json-number' }, m[3]));
    else nodes.push(el('span', { class: 'json-literal' }, m[4]));
    last = m.index + m[0].length;
  }
  nodes.push(pretty.slice(last));
  return nodes;
}
