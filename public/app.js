// The web UI: plain forms that call the public API (same origin) and render its answers and its
// problem+json errors. No framework and no third-party request: everything here is this file.
import {
  el,
  fmt,
  platformChip,
  PLATFORMS,
  PLATFORM_NAMES,
  renderProblem,
  requestLine,
  rawJson,
  callApi,
  setBusy,
  clearFieldErrors,
} from './ui.js';
import { attachTitleCombobox } from './combobox.js';

fillPlatformSelects();
showDataStatus();

const combobox = attachTitleCombobox(document.getElementById('rec-title'), document.getElementById('rec-title-list'));
setupMovieMode();

for (const form of document.querySelectorAll('form.query-form')) {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    runQuery(form);
  });
}
setupBrowse();

function fillPlatformSelects() {
  for (const select of document.querySelectorAll('select[data-platforms]')) {
    if (select.dataset.platforms === 'any') select.append(el('option', { value: '' }, 'any platform'));
    for (const [value, label] of PLATFORMS) select.append(el('option', { value }, label));
    if (select.dataset.platforms === 'required') select.value = 'netflix';
  }
}

async function showDataStatus() {
  const status = document.getElementById('data-status');
  try {
    const res = await callApi('/health', {});
    if (res.ok) {
      const h = res.body;
      status.classList.add('ok');
      status.replaceChildren(
        el('span', { class: 'dot' }),
        el(
          'span',
          {},
          `Data ${h.version} · ${fmt(h.counts.titles)} titles · ${fmt(h.counts.ratings_rows)} ratings by ${fmt(h.counts.users)} users · ratings: ${h.ratings_source}`,
        ),
      );
    } else {
      status.classList.add('bad');
      status.replaceChildren(el('span', { class: 'dot' }), el('span', {}, res.body?.detail ?? `The API answered ${res.status}.`));
    }
  } catch {
    status.classList.add('bad');
    status.replaceChildren(el('span', { class: 'dot' }), el('span', {}, 'The API cannot be reached.'));
  }
}

/** Which form values to send: everything filled in, and for /recommend either the title or the id. */
function paramsOf(form) {
  const params = {};
  for (const [name, value] of new FormData(form)) {
    if (name === 'movie_mode' || value === '') continue;
    params[name] = value;
  }
  if (form.id === 'recommend-form') {
    const mode = form.elements.movie_mode.value;
    if (mode === 'id') delete params.title;
    else {
      delete params.movie_id;
      const chosen = combobox.chosen();
      if (chosen) {
        delete params.title;
        params.movie_id = chosen.id;
      }
    }
  }
  return params;
}

const inFlight = new WeakMap();

async function runQuery(form) {
  const result = form.parentElement.querySelector('.result');
  const button = form.querySelector('button[type=submit]');
  const params = paramsOf(form);
  inFlight.get(form)?.abort();
  const controller = new AbortController();
  inFlight.set(form, controller);
  clearFieldErrors(form);
  setBusy(button, true);
  result.setAttribute('aria-busy', 'true');
  result.replaceChildren(el('p', { class: 'loading' }, 'Asking the API…'));
  try {
    const res = await callApi(form.dataset.endpoint, params, controller.signal);
    if (controller.signal.aborted) return;
    const view = res.ok ? RENDER[form.dataset.render](res.body, params) : renderProblem(res, form, { onChoose: chooseTitle });
    result.replaceChildren(view, requestLine(res), rawJson(res.body));
  } catch (error) {
    if (error.name === 'AbortError') return;
    result.replaceChildren(renderProblem({ ok: false, status: 0, body: null, networkError: String(error.message ?? error) }, form, {}));
  } finally {
    if (inFlight.get(form) === controller) {
      setBusy(button, false);
      result.removeAttribute('aria-busy');
    }
  }
}

/** A candidate or suggestion from a 409/404 was picked: use its id and ask again. */
function chooseTitle(choice) {
  const form = document.getElementById('recommend-form');
  form.elements.movie_mode.value = 'title';
  form.dispatchEvent(new Event('modechange'));
  combobox.choose(choice);
  runQuery(form);
}

function setupMovieMode() {
  const form = document.getElementById('recommend-form');
  const sync = () => {
    const mode = form.elements.movie_mode.value;
    for (const field of form.querySelectorAll('[data-mode]')) field.hidden = field.dataset.mode !== mode;
  };
  for (const radio of form.elements.movie_mode) radio.addEventListener('change', sync);
  form.addEventListener('modechange', sync);
  sync();
}

const title = (text) => el('span', { class: 'capitalize' }, text);
const unitName = (unit, n) => (unit === 'season' ? (n === 1 ? 'season' : 'seasons') : 'min');

const RENDER = {
  maxDuration(b, params) {
    const scope = [params.platform ? `on ${PLATFORM_NAMES[b.platform] ?? b.platform}` : '', params.year ? `released in ${params.year}` : '']
      .filter(Boolean)
      .join(', ');
    return el(
      'div',
      { class: 'answer' },
      el('p', { class: 'headline' }, `Longest title${scope ? ` ${scope}` : ''}:`),
      el('span', { class: 'big name capitalize' }, b.title),
      el('p', { class: 'headline' }, el('strong', {}, `${fmt(b.duration_int)} ${unitName(b.duration_type, b.duration_int)}`)),
      facts([
        ['Platform', platformChip(b.platform)],
        ['Type', b.type],
        ['Released', String(b.release_year)],
        ['Id', el('code', {}, b.id)],
      ]),
    );
  },
  scoreCount(b) {
    return el(
      'div',
      { class: 'answer' },
      el('span', { class: 'big' }, fmt(b.count)),
      el(
        'p',
        { class: 'headline' },
        `${b.count === 1 ? 'movie' : 'movies'} on ${PLATFORM_NAMES[b.platform] ?? b.platform} released in ${b.year} score above ${b.scored}.`,
      ),
    );
  },
  countPlatform(b) {
    const extra = Object.entries(b).filter(([k, v]) => !['platform', 'count'].includes(k) && typeof v === 'number');
    return el(
      'div',
      { class: 'answer' },
      el('span', { class: 'big' }, fmt(b.count)),
      el('p', { class: 'headline' }, `movies on ${PLATFORM_NAMES[b.platform] ?? b.platform}.`),
      extra.length ? facts(extra.map(([k, v]) => [k.replaceAll('_', ' '), fmt(v)])) : '',
    );
  },
  actor(b) {
    const others = (b.tied ?? []).filter((name) => name !== b.actor);
    return el(
      'div',
      { class: 'answer' },
      el('p', { class: 'headline' }, `Most frequent actor on ${PLATFORM_NAMES[b.platform] ?? b.platform} in ${b.year}:`),
      el('span', { class: 'big name capitalize' }, b.actor),
      el('p', { class: 'headline' }, `in ${fmt(b.count)} ${b.count === 1 ? 'title' : 'titles'}`),
      others.length ? el('p', { class: 'tied' }, `Tied at ${fmt(b.count)}: `, title(others.join(', ')), '.') : '',
    );
  },
  recommend(b) {
    const verdict = el(
      'div',
      { class: `verdict ${b.recommend ? 'yes' : 'no'}` },
      el('span', { class: 'badge' }, b.recommend ? '✓ Recommend' : '✗ Not recommended'),
      el('span', {}, `for user ${b.user_id}`),
    );
    const notes = [];
    if (!b.user_known)
      notes.push(
        `User ${b.user_id} has no ratings in the model, so this is the title's baseline prediction (global mean plus title bias), the same for every new user.`,
      );
    if (b.already_rated) notes.push(`User ${b.user_id} already rated this title${b.user_rating != null ? `: ${b.user_rating}` : ''}.`);
    return el(
      'div',
      { class: 'answer' },
      verdict,
      el('p', { class: 'headline' }, title(b.title ?? b.movie_id), ' ', el('code', {}, b.movie_id)),
      facts([
        ['Predicted rating', el('strong', {}, Number(b.predicted_rating).toFixed(2))],
        ['Threshold', String(b.threshold)],
      ]),
      gauge(b.predicted_rating, b.threshold),
      ...notes.map((n) => el('p', { class: 'note' }, n)),
    );
  },
  recommendations(b) {
    const items = b.items ?? [];
    const scope = b.platform ? `on ${PLATFORM_NAMES[b.platform] ?? b.platform}` : 'on all platforms';
    return el(
      'div',
      { class: 'answer' },
      el('p', { class: 'headline' }, `Top ${fmt(items.length)} for user ${b.user_id} ${scope}`),
      b.user_known
        ? ''
        : el(
            'p',
            { class: 'note' },
            `User ${b.user_id} has no ratings in the model: these are the best titles by baseline, the same for every new user.`,
          ),
      items.length === 0
        ? el('p', {}, 'Nothing left to recommend.')
        : el(
            'ol',
            { class: 'ranked' },
            ...items.map((item) =>
              el(
                'li',
                {},
                el(
                  'span',
                  { class: 'name' },
                  title(item.title),
                  el('small', {}, platformChip(item.platform), ' ', el('code', {}, item.movie_id)),
                ),
                el('span', { class: 'score', title: 'predicted rating' }, Number(item.predicted_rating).toFixed(2)),
              ),
            ),
          ),
    );
  },
};

function facts(rows) {
  return el('dl', { class: 'facts' }, ...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

/** Prediction on the 0.5..5 scale with the threshold marked. */
function gauge(value, threshold) {
  const pos = (v) => `${((Math.min(5, Math.max(0.5, v)) - 0.5) / 4.5) * 100}%`;
  return el(
    'div',
    { class: 'gauge', role: 'img', 'aria-label': `Predicted ${Number(value).toFixed(2)} on a 0.5 to 5 scale; threshold ${threshold}` },
    el('div', { class: 'fill', style: `width:${pos(value)}` }),
    el('div', { class: 'mark', style: `left:${pos(threshold)}` }, el('span', {}, `threshold ${threshold}`)),
    el('span', { class: 'ends', style: 'left:0' }, '0.5'),
    el('span', { class: 'ends', style: 'right:0' }, '5'),
  );
}

function setupBrowse() {
  const form = document.getElementById('browse-form');
  const result = document.getElementById('browse-result');
  const csv = document.getElementById('browse-csv');
  const button = form.querySelector('button[type=submit]');
  let controller;

  const filters = () => {
    const params = {};
    for (const [name, value] of new FormData(form)) if (value !== '') params[name] = value;
    return params;
  };
  const syncCsv = () => {
    const query = new URLSearchParams(filters()).toString();
    csv.href = `/titles.csv${query ? `?${query}` : ''}`;
  };
  form.addEventListener('input', syncCsv);
  form.addEventListener('change', syncCsv);

  async function load(cursor) {
    controller?.abort();
    controller = new AbortController();
    const params = { ...filters(), limit: '20', ...(cursor ? { cursor } : {}) };
    clearFieldErrors(form);
    setBusy(button, true);
    if (!cursor) result.replaceChildren(el('p', { class: 'loading' }, 'Searching…'));
    try {
      const res = await callApi('/titles', params, controller.signal);
      if (!res.ok) {
        result.replaceChildren(renderProblem(res, form, {}), requestLine(res));
        return;
      }
      const rows = res.body.items.map(titleRow);
      if (cursor) {
        result.querySelector('tbody').append(...rows);
        result.querySelector('.more')?.remove();
      } else {
        const total = res.body.total;
        result.replaceChildren(
          el('p', { class: 'summary-line' }, total === undefined ? '' : `${fmt(total)} ${total === 1 ? 'title matches' : 'titles match'}.`),
          rows.length === 0 ? el('p', {}, 'No title matches these filters.') : titleTable(rows),
        );
      }
      if (res.body.next_cursor) {
        const more = el('button', { type: 'button', class: 'btn btn-ghost more' }, 'Load more');
        more.addEventListener('click', () => load(res.body.next_cursor));
        result.append(more);
      }
    } catch (error) {
      if (error.name !== 'AbortError')
        result.replaceChildren(renderProblem({ ok: false, status: 0, body: null, networkError: String(error.message ?? error) }, form, {}));
    } finally {
      setBusy(button, false);
    }
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    load();
  });
}

// Columns marked small: false give way on phone-sized screens (the title cell then carries the platform).
const COLUMNS = [
  {
    head: 'Title',
    cell: (t) =>
      el(
        'td',
        {},
        title(t.title),
        el('div', { class: 'sub' }, el('span', { class: 'show-small' }, platformChip(t.platform), ' '), el('code', {}, t.id)),
      ),
  },
  { head: 'Platform', small: false, cell: (t) => el('td', { class: 'hide-small' }, platformChip(t.platform)) },
  { head: 'Type', small: false, cell: (t) => el('td', { class: 'hide-small' }, t.type) },
  { head: 'Year', num: true, cell: (t) => el('td', { class: 'num' }, String(t.release_year)) },
  {
    head: 'Duration',
    num: true,
    small: false,
    cell: (t) =>
      el(
        'td',
        { class: 'num hide-small' },
        t.duration_int == null ? '–' : `${t.duration_int} ${unitName(t.duration_type, t.duration_int)}`,
      ),
  },
  { head: 'Rating', small: false, cell: (t) => el('td', { class: 'hide-small' }, t.rating) },
  { head: 'Score', num: true, cell: (t) => el('td', { class: 'num' }, t.score == null ? '–' : Number(t.score).toFixed(3)) },
];

function titleTable(rows) {
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ...COLUMNS.map((c) =>
            el('th', { scope: 'col', class: [c.num ? 'num' : '', c.small === false ? 'hide-small' : ''].join(' ').trim() || null }, c.head),
          ),
        ),
      ),
      el('tbody', {}, ...rows),
    ),
  );
}

function titleRow(t) {
  return el('tr', {}, ...COLUMNS.map((c) => c.cell(t)));
}
