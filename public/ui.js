// Small DOM and API helpers shared by the app and the docs page. Text always goes in as text nodes,
// never as HTML, so nothing an API answer contains can inject markup.

export const PLATFORMS = [
  ['amazon', 'Amazon Prime Video'],
  ['disney', 'Disney+'],
  ['hulu', 'Hulu'],
  ['netflix', 'Netflix'],
];
export const PLATFORM_NAMES = Object.fromEntries(PLATFORMS);

/** el('p', { class: 'x' }, 'text', childNode, ...): attributes, then text or nodes ('' and null skipped). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value == null) continue;
    // Styles through the CSSOM: the Content-Security-Policy (public/_headers) forbids style attributes.
    if (name === 'style') node.style.cssText = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === '' || child == null) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function fmt(n) {
  return typeof n === 'number' ? n.toLocaleString('en-US') : String(n);
}

export function platformChip(platform) {
  return el('span', { class: `chip ${platform}` }, PLATFORM_NAMES[platform] ?? platform);
}

/**
 * GET a same-origin API path. Resolves with the status and the parsed body for any HTTP answer
 * (errors included, they are problem+json); rejects only when the API cannot be reached.
 */
export async function callApi(path, params, signal) {
  const query = new URLSearchParams(params).toString();
  const url = `${path}${query ? `?${query}` : ''}`;
  const response = await fetch(url, { headers: { Accept: 'application/json, application/problem+json' }, signal });
  const type = response.headers.get('Content-Type') ?? '';
  const text = await response.text();
  let body = text;
  if (type.includes('json')) {
    try {
      body = JSON.parse(text);
    } catch {
      // Leave the text: the error view shows it as it came.
    }
  }
  return { ok: response.ok, status: response.status, body, url, requestId: response.headers.get('X-Request-Id') };
}

export function setBusy(button, busy) {
  if (!button) return;
  button.disabled = busy;
  button.setAttribute('aria-busy', String(busy));
  button.querySelector('.spinner')?.remove();
  if (busy) button.prepend(el('span', { class: 'spinner', 'aria-hidden': 'true' }));
}

export function clearFieldErrors(form) {
  for (const input of form.querySelectorAll('[aria-invalid="true"]')) {
    input.removeAttribute('aria-invalid');
    const describedBy = (input.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => !id.endsWith('-error'));
    if (describedBy.length) input.setAttribute('aria-describedby', describedBy.join(' '));
    else input.removeAttribute('aria-describedby');
  }
  for (const message of form.querySelectorAll('.field-error')) message.remove();
}

function markField(form, name, reason) {
  const input = form.querySelector(`[name="${CSS.escape(name)}"]:not([type=radio])`);
  if (!input || input.closest('[hidden]')) return false;
  const id = `${input.id || name}-error`;
  input.setAttribute('aria-invalid', 'true');
  input.setAttribute('aria-describedby', [input.getAttribute('aria-describedby'), id].filter(Boolean).join(' '));
  input.closest('.field')?.append(el('p', { class: 'field-error', id }, reason));
  return true;
}

const MAX_ALLOWED_SHOWN = 12;

/** A candidate or suggestion as the recommender returns it: an id with a title, or just text. */
function choiceOf(item) {
  if (typeof item === 'string') return { id: null, title: item, label: item };
  const id = item.movie_id ?? item.id ?? null;
  const parts = [PLATFORM_NAMES[item.platform] ?? item.platform, item.release_year, item.type].filter(Boolean);
  return {
    id,
    title: item.title ?? id,
    platform: item.platform,
    label: `${item.title ?? id}${parts.length ? ` · ${parts.join(' · ')}` : ''}`,
  };
}

/**
 * An error answer, readable: the problem's title and detail, every invalid parameter with its reason
 * and accepted values (also shown beside the field), and candidate titles to pick from on 409/404.
 */
export function renderProblem(res, form, { onChoose }) {
  const box = el('div', { class: 'problem', role: 'alert' });
  if (res.networkError) {
    box.append(
      el('h4', {}, 'The API cannot be reached'),
      el('p', {}, 'Check your connection and try again.'),
      el('p', { class: 'meta' }, res.networkError),
    );
    return box;
  }
  const p = typeof res.body === 'object' && res.body !== null ? res.body : { detail: String(res.body ?? '') };
  box.append(el('h4', {}, p.title ?? `The API answered ${res.status}`));
  if (p.detail) box.append(el('p', {}, p.detail));
  if (Array.isArray(p.invalid_params) && p.invalid_params.length) {
    box.append(
      el(
        'ul',
        {},
        ...p.invalid_params.map((param) => {
          markField(form, param.name, param.reason);
          const allowed =
            Array.isArray(param.allowed) && param.allowed.length
              ? el(
                  'span',
                  { class: 'allowed' },
                  `Accepted: ${param.allowed.slice(0, MAX_ALLOWED_SHOWN).join(', ')}${param.allowed.length > MAX_ALLOWED_SHOWN ? ', …' : ''}`,
                )
              : '';
          return el('li', {}, el('strong', {}, param.name), `: ${param.reason}`, allowed);
        }),
      ),
    );
  }
  const choices = [...(Array.isArray(p.candidates) ? p.candidates : []), ...(Array.isArray(p.suggestions) ? p.suggestions : [])].map(
    choiceOf,
  );
  if (choices.length && onChoose) {
    box.append(
      el('p', {}, Array.isArray(p.candidates) && p.candidates.length ? 'Several titles match; pick one:' : 'Did you mean:'),
      el(
        'div',
        { class: 'choices' },
        ...choices.slice(0, 12).map((choice) => {
          const button = el('button', { type: 'button' }, choice.label);
          button.addEventListener('click', () => onChoose(choice));
          return button;
        }),
      ),
    );
  }
  box.append(el('p', { class: 'meta' }, `HTTP ${res.status}${p.request_id ? ` · request ${p.request_id}` : ''}`));
  return box;
}

export function requestLine(res) {
  return el(
    'div',
    { class: 'request-line' },
    el('span', {}, `GET · ${res.status}`),
    el('code', {}, decodeURIComponent(res.url)),
    el('a', { href: res.url, target: '_blank', rel: 'noopener' }, 'open'),
  );
}

export function rawJson(body) {
  return el(
    'details',
    { class: 'raw' },
    el('summary', {}, 'Response JSON'),
    el('pre', {}, typeof body === 'string' ? body : JSON.stringify(body, null, 2)),
  );
}
