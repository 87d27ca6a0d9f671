// Title search with suggestions (WAI-ARIA combobox with a listbox popup): typing asks /titles for
// titles starting with the text and for titles containing it, ranks them, and picking one pins its id
// so the recommender gets an exact movie_id instead of a title to resolve.
import { callApi, el, PLATFORM_NAMES } from './ui.js';

const MIN_CHARS = 2;
const SHOWN = 8;
const DEBOUNCE_MS = 180;

export function attachTitleCombobox(input, list) {
  let options = [];
  let active = -1;
  let chosen = null;
  let timer;
  let controller;
  const hint = document.getElementById(input.getAttribute('aria-describedby')?.split(' ')[0] ?? '');
  const hintText = hint?.textContent ?? '';

  function open(items) {
    options = items;
    active = -1;
    list.replaceChildren(
      ...(items.length
        ? items.map((t, i) =>
            el(
              'li',
              { id: `${list.id}-${i}`, role: 'option', 'aria-selected': 'false' },
              el('span', { class: 'capitalize' }, t.title),
              el('span', { class: 'meta' }, `${PLATFORM_NAMES[t.platform] ?? t.platform} · ${t.release_year}`),
            ),
          )
        : [
            el(
              'li',
              { class: 'empty', role: 'option', 'aria-disabled': 'true', 'aria-selected': 'false' },
              'No title starts with or contains this text',
            ),
          ]),
    );
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    input.removeAttribute('aria-activedescendant');
  }

  function close() {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  }

  function highlight(index) {
    const items = list.querySelectorAll('[role=option]:not([aria-disabled])');
    if (items.length === 0) return;
    active = (index + items.length) % items.length;
    items.forEach((item, i) => item.setAttribute('aria-selected', String(i === active)));
    input.setAttribute('aria-activedescendant', items[active].id);
    items[active].scrollIntoView({ block: 'nearest' });
  }

  function choose(title) {
    chosen = title.id ? title : null;
    input.value = title.title;
    if (hint) {
      hint.textContent = chosen
        ? `Selected ${chosen.id}${chosen.platform ? ` (${PLATFORM_NAMES[chosen.platform] ?? chosen.platform})` : ''}.`
        : hintText;
      hint.classList.toggle('chosen', Boolean(chosen));
    }
    close();
  }

  async function suggest(text) {
    controller?.abort();
    controller = new AbortController();
    try {
      const [prefix, anywhere] = await Promise.all([
        callApi('/titles', { title_prefix: text, limit: '20' }, controller.signal),
        callApi('/titles', { q: text, limit: '40' }, controller.signal),
      ]);
      // Stale (the text changed) or unwanted (focus moved on, e.g. the form was sent): show nothing.
      if (input.value.trim() !== text || document.activeElement !== input) return;
      const seen = new Map();
      for (const res of [prefix, anywhere]) {
        if (!res.ok) continue;
        for (const t of res.body.items) if (!seen.has(t.id)) seen.set(t.id, t);
      }
      open(rank([...seen.values()], text).slice(0, SHOWN));
    } catch (error) {
      if (error.name !== 'AbortError') close();
    }
  }

  input.addEventListener('input', () => {
    if (chosen && input.value !== chosen.title) choose({ title: input.value });
    clearTimeout(timer);
    const text = input.value.trim();
    if (text.length < MIN_CHARS) return close();
    timer = setTimeout(() => suggest(text), DEBOUNCE_MS);
  });

  input.addEventListener('keydown', (event) => {
    const isOpen = !list.hidden;
    if (event.key === 'ArrowDown') {
      event.preventDefault();
      if (isOpen) highlight(active + 1);
      else if (input.value.trim().length >= MIN_CHARS) suggest(input.value.trim());
    } else if (event.key === 'ArrowUp' && isOpen) {
      event.preventDefault();
      highlight(active - 1);
    } else if (event.key === 'Enter' && isOpen && active >= 0) {
      event.preventDefault(); // pick, don't submit
      choose(options[active]);
    } else if (event.key === 'Escape') {
      clearTimeout(timer);
      controller?.abort();
      if (isOpen) {
        event.preventDefault();
        close();
      }
    }
  });

  // mousedown, not click: it fires before the input's blur would close the list.
  list.addEventListener('mousedown', (event) => {
    const option = event.target.closest('[role=option]:not([aria-disabled])');
    if (!option) return;
    event.preventDefault();
    choose(options[[...list.children].indexOf(option)]);
  });
  input.addEventListener('blur', () => {
    clearTimeout(timer);
    setTimeout(close, 100);
  });

  return {
    chosen: () => (chosen && input.value === chosen.title ? chosen : null),
    choose,
  };
}

/**
 * The API's search folding (contract/names.ts, foldSearchText; test/node/combobox.test.ts keeps the
 * two equal): the suggestions the API found ignoring case and accents are ranked the same way.
 */
export function foldSearchText(text) {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, '');
}

/** Exact match first, then titles starting with the text, then a word starting with it; shorter first. Case and accents ignored. */
export function rank(titles, typed) {
  const text = foldSearchText(typed);
  const wordStart = new RegExp(`\\b${escapeRegExp(text)}`);
  const score = (t) => {
    const title = foldSearchText(t.title);
    return title === text ? 0 : title.startsWith(text) ? 1 : wordStart.test(title) ? 2 : 3;
  };
  return titles
    .map((t) => ({ t, s: score(t) }))
    .sort((a, b) => a.s - b.s || a.t.title.length - b.t.title.length || (a.t.id < b.t.id ? -1 : a.t.id > b.t.id ? 1 : 0))
    .map(({ t }) => t);
}

function escapeRegExp(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
