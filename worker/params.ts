// Query parameters, declared once: each definition both validates requests (parseParams) and
// describes itself in the OpenAPI document (openapi.ts reads the same objects), so the two cannot drift.
import {
  DURATION_ALIAS_NAMES,
  parseDurationType,
  parsePlatform,
  PLATFORM_ALIAS_NAMES,
  type DurationType,
  type Platform,
} from '../contract';
import { invalidParamsError, type InvalidParam } from './problem';

/** Longer raw values are rejected before parsing (and never echoed back in full). */
export const MAX_PARAM_LENGTH = 100;
/** How much of a bad value an error message quotes. */
const QUOTE_LENGTH = 40;

/** A JSON Schema fragment (OpenAPI 3.1 schemas are JSON Schema 2020-12). */
export type JsonSchema = Record<string, unknown>;

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** A kind of value: how to parse it from text, and how the OpenAPI document describes it. */
export interface ParamKind<T> {
  schema: JsonSchema;
  /** Accepted spellings, where they can be listed (reported with every error). */
  allowed?: readonly string[];
  /** Wire format, for the documentation. */
  format: string;
  parse(raw: string): ParseResult<T>;
  /** Canonical text of a parsed value, for cache keys: equal answers must have equal keys. */
  canonical(value: T): string;
}

export interface ParamDef<T = unknown> {
  kind: ParamKind<T>;
  required: boolean;
  description: string;
  example: string;
  default?: T;
}
type RequiredDef<T> = ParamDef<T> & { required: true };
type OptionalDef<T> = ParamDef<T> & { required: false };
type DefaultedDef<T> = ParamDef<T> & { required: false; default: T };

export function required<T>(kind: ParamKind<T>, description: string, example: string): RequiredDef<T> {
  return { kind, required: true, description, example };
}
export function optional<T>(kind: ParamKind<T>, description: string, example: string): OptionalDef<T> {
  return { kind, required: false, description, example };
}
export function defaulted<T>(kind: ParamKind<T>, fallback: T, description: string, example: string): DefaultedDef<T> {
  return { kind, required: false, default: fallback, description, example };
}

/** An endpoint's parameters, keyed by query-parameter name, in documentation order. */
// biome-ignore lint/suspicious/noExplicitAny: each parameter has its own value type; a record of them can only be any
export type ParamDefs = Record<string, ParamDef<any>>;

/** The parsed values of a ParamDefs: required and defaulted ones always present. */
export type ParamValues<D extends ParamDefs> = {
  [K in keyof D]: D[K] extends { required: true; kind: ParamKind<infer T> }
    ? T
    : D[K] extends { default: infer T }
      ? T
      : D[K] extends ParamDef<infer T>
        ? T | undefined
        : never;
};

/** Shows (part of) a user's value inside a message, JSON-quoted so control characters stay visible. */
export function quote(raw: string): string {
  const chars = Array.from(raw);
  return chars.length <= QUOTE_LENGTH ? JSON.stringify(raw) : `${JSON.stringify(chars.slice(0, QUOTE_LENGTH).join(''))}…`;
}

const YEAR_PATTERN = /^\d{1,4}$/;
export const YEAR: ParamKind<number> = {
  schema: { type: 'integer', minimum: 0, maximum: 9999 },
  format: '1 to 4 ASCII digits (surrounding whitespace ignored); no sign, decimal point or exponent',
  parse(raw) {
    const text = raw.trim();
    if (YEAR_PATTERN.test(text)) return { ok: true, value: Number(text) };
    const reason = /^\d+$/.test(text)
      ? `${quote(raw)} has more than 4 digits`
      : `${quote(raw)} is not a year: give 1 to 4 digits, e.g. 2020`;
    return { ok: false, reason };
  },
  canonical: String,
};

const SCORE_PATTERN = /^(\d+)(?:\.(\d+))?$/;
const MAX_SCORE = 5;
export const SCORE: ParamKind<number> = {
  schema: { type: 'number', minimum: 0, maximum: MAX_SCORE },
  format: 'digits with an optional decimal point and fraction (e.g. 3 or 3.5), between 0 and 5 inclusive',
  parse(raw) {
    const text = raw.trim();
    const match = SCORE_PATTERN.exec(text);
    if (!match) {
      if (/^\d+,\d+$/.test(text)) {
        return { ok: false, reason: `${quote(raw)} uses a comma: write the decimal point as a dot, e.g. "${text.replace(',', '.')}"` };
      }
      return { ok: false, reason: `${quote(raw)} is not a number: give digits with an optional decimal point, e.g. 3.5` };
    }
    // Compare the text, not the float: "5.0000000000000000001" is above 5 even though Number() says 5.
    const whole = Number(match[1]);
    const fractionIsZero = /^0*$/.test(match[2] ?? '');
    if (whole > MAX_SCORE || (whole === MAX_SCORE && !fractionIsZero)) {
      return { ok: false, reason: `${quote(raw)} is out of range: scored must be between 0 and ${MAX_SCORE}, ends included` };
    }
    return { ok: true, value: Number(text) };
  },
  canonical: String,
};

export const PLATFORM: ParamKind<Platform> = {
  schema: { type: 'string', enum: PLATFORM_ALIAS_NAMES },
  allowed: PLATFORM_ALIAS_NAMES,
  format: 'a platform name or alias, matched ignoring case, accents and extra spaces; answers give the canonical name',
  parse(raw) {
    const platform = parsePlatform(raw);
    return platform ? { ok: true, value: platform } : { ok: false, reason: `${quote(raw)} is not a known platform` };
  },
  canonical: String,
};

export const DURATION_TYPE: ParamKind<DurationType> = {
  schema: { type: 'string', enum: DURATION_ALIAS_NAMES },
  allowed: DURATION_ALIAS_NAMES,
  format: 'a duration unit: min (mins, minute, minutes) or season (seasons), matched ignoring case',
  parse(raw) {
    const unit = parseDurationType(raw);
    return unit ? { ok: true, value: unit } : { ok: false, reason: `${quote(raw)} is not a duration unit` };
  },
  canonical: String,
};

/**
 * Validates the query string against `defs`, reporting every bad parameter at once (a 400 ProblemError).
 * Missing or empty required values, repeated parameters and over-long values are errors; an empty
 * optional value counts as absent; parameters not in `defs` are ignored.
 */
export function parseParams<D extends ParamDefs>(defs: D, query: URLSearchParams): ParamValues<D> {
  const { values, invalid } = collectParams(defs, query);
  if (invalid.length > 0) throw invalidParamsError(invalid);
  return values;
}

/** Every parameter parsed: the values of the valid ones, and every problem (the invalid ones are absent). */
export function collectParams<D extends ParamDefs>(defs: D, query: URLSearchParams): { values: ParamValues<D>; invalid: InvalidParam[] } {
  const values: Record<string, unknown> = {};
  const invalid: InvalidParam[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const result = parseOne(def, query.getAll(name));
    if (result.ok) values[name] = result.value;
    else invalid.push(def.kind.allowed ? { name, reason: result.reason, allowed: def.kind.allowed } : { name, reason: result.reason });
  }
  return { values: values as ParamValues<D>, invalid };
}

function parseOne(def: ParamDef, given: string[]): ParseResult<unknown> {
  if (given.length > 1) return { ok: false, reason: `given ${given.length} times; give it once` };
  const raw = given[0] ?? '';
  if (raw.trim() === '') {
    if (def.required) return { ok: false, reason: given.length === 0 ? 'required and missing' : 'required and empty' };
    return { ok: true, value: def.default };
  }
  if (raw.length > MAX_PARAM_LENGTH) {
    return { ok: false, reason: `too long (${raw.length} characters; at most ${MAX_PARAM_LENGTH})` };
  }
  return def.kind.parse(raw);
}

/** A stable text for parsed values: requests that get the same answer get the same key. */
export function canonicalQuery<D extends ParamDefs>(defs: D, values: ParamValues<D>): string {
  const parts: string[] = [];
  for (const [name, def] of Object.entries(defs)) {
    const value = (values as Record<string, unknown>)[name];
    if (value !== undefined) parts.push(`${name}=${encodeURIComponent(def.kind.canonical(value))}`);
  }
  return parts.join('&');
}

// The four catalog queries' parameters (docs/reference.md#parameters).
const PLATFORM_HELP = 'Streaming platform.';
const YEAR_HELP = 'Release year of the title.';

export const MAX_DURATION_PARAMS = {
  year: optional(YEAR, `${YEAR_HELP} Optional filter.`, '2018'),
  platform: optional(PLATFORM, `${PLATFORM_HELP} Optional filter.`, 'netflix'),
  duration_type: defaulted(
    DURATION_TYPE,
    'min' as DurationType,
    'Unit to compare durations in; titles are compared only within one unit.',
    'min',
  ),
};

export const SCORE_COUNT_PARAMS = {
  platform: required(PLATFORM, PLATFORM_HELP, 'disney'),
  scored: required(SCORE, 'Count movies whose score (mean rating) is strictly greater than this.', '3.2'),
  year: required(YEAR, YEAR_HELP, '2011'),
};

export const COUNT_PLATFORM_PARAMS = {
  platform: required(PLATFORM, PLATFORM_HELP, 'netflix'),
};

export const ACTOR_PARAMS = {
  platform: required(PLATFORM, PLATFORM_HELP, 'netflix'),
  year: required(YEAR, YEAR_HELP, '2019'),
};
