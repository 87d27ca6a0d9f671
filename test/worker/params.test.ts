import { describe, expect, it } from 'vitest';
import { PLATFORM_ALIAS_NAMES } from '../../contract';
import {
  ACTOR_PARAMS,
  canonicalQuery,
  COUNT_PLATFORM_PARAMS,
  DURATION_TYPE,
  MAX_DURATION_PARAMS,
  MAX_PARAM_LENGTH,
  parseParams,
  PLATFORM,
  quote,
  SCORE,
  SCORE_COUNT_PARAMS,
  YEAR,
  type ParamDefs,
} from '../../worker/params';
import { ProblemError, type InvalidParam } from '../../worker/problem';

function invalidParams(defs: ParamDefs, query: string): InvalidParam[] {
  try {
    parseParams(defs, new URLSearchParams(query));
  } catch (error) {
    expect(error).toBeInstanceOf(ProblemError);
    const problem = error as ProblemError;
    expect(problem.status).toBe(400);
    return problem.extensions.invalid_params as InvalidParam[];
  }
  throw new Error(`expected ${query} to be rejected`);
}

describe('YEAR', () => {
  it.each([
    ['2020', 2020],
    [' 2020 ', 2020],
    ['\t1999\n', 1999],
    ['0', 0],
    ['0000', 0],
    ['9999', 9999],
    ['0042', 42],
  ])('accepts %j as %d', (raw, value) => {
    expect(YEAR.parse(raw)).toEqual({ ok: true, value });
  });

  it.each(['2020.0', '+2020', '-1', '1e3', '0x7E4', '0b1', '20 20', '２０２０', '2020a', 'Infinity', 'NaN', '.5', '1_000', '12345'])(
    'rejects %j',
    (raw) => {
      const result = YEAR.parse(raw);
      expect(result.ok).toBe(false);
      if (!result.ok) expect(result.reason).toContain(JSON.stringify(raw));
    },
  );

  it('says why a five-digit year fails', () => {
    expect(YEAR.parse('12345')).toEqual({ ok: false, reason: '"12345" has more than 4 digits' });
  });
});

describe('SCORE', () => {
  it.each([
    ['0', 0],
    ['5', 5],
    ['5.0', 5],
    ['5.000', 5],
    ['3.5', 3.5],
    [' 3.2 ', 3.2],
    ['004.25', 4.25],
    ['0.0000001', 1e-7],
  ])('accepts %j as %d', (raw, value) => {
    expect(SCORE.parse(raw)).toEqual({ ok: true, value });
  });

  it('suggests a dot for a decimal comma', () => {
    const result = SCORE.parse('3,5');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('"3.5"');
  });

  it.each(['5.0000000000000000001', '5.1', '6', '10', '99999999999999999999'])('rejects %j as out of range', (raw) => {
    const result = SCORE.parse(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('out of range');
  });

  it.each(['-1', '+3', '3.', '.5', '1e0', '0x3', 'three', '3.5.1', 'NaN', 'Infinity', '3 .5', '٣'])('rejects %j as not a number', (raw) => {
    const result = SCORE.parse(raw);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain('is not a number');
  });
});

describe('PLATFORM and DURATION_TYPE', () => {
  it.each([
    ['Netflix', 'netflix'],
    ['  AMAZON   prime  ', 'amazon'],
    ['Prime Video', 'amazon'],
    ['Disney+', 'disney'],
    ['disney plus', 'disney'],
    ['Dísney', 'disney'],
    ['hu\u200Blu', 'hulu'],
  ])('reads platform %j as %s', (raw, value) => {
    expect(PLATFORM.parse(raw)).toEqual({ ok: true, value });
  });

  it('rejects unknown platforms and lists every accepted name', () => {
    const [invalid] = invalidParams(COUNT_PLATFORM_PARAMS, 'platform=hbo');
    expect(invalid).toEqual({ name: 'platform', reason: '"hbo" is not a known platform', allowed: PLATFORM_ALIAS_NAMES });
  });

  it.each([
    ['min', 'min'],
    ['Minutes', 'min'],
    ['mins', 'min'],
    ['minute', 'min'],
    ['SEASONS', 'season'],
    ['season', 'season'],
  ])('reads duration type %j as %s', (raw, value) => {
    expect(DURATION_TYPE.parse(raw)).toEqual({ ok: true, value });
  });

  it('rejects unknown duration types', () => {
    expect(DURATION_TYPE.parse('hours').ok).toBe(false);
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('rejects the object-prototype name %j', (raw) => {
    expect(PLATFORM.parse(raw).ok).toBe(false);
    expect(DURATION_TYPE.parse(raw).ok).toBe(false);
  });
});

describe('parseParams', () => {
  it('parses every parameter and applies defaults', () => {
    expect(parseParams(MAX_DURATION_PARAMS, new URLSearchParams(''))).toEqual({
      year: undefined,
      platform: undefined,
      duration_type: 'min',
    });
    expect(parseParams(MAX_DURATION_PARAMS, new URLSearchParams('year=2018&platform=Hulu&duration_type=seasons'))).toEqual({
      year: 2018,
      platform: 'hulu',
      duration_type: 'season',
    });
  });

  it('treats empty optional parameters as absent', () => {
    expect(parseParams(MAX_DURATION_PARAMS, new URLSearchParams('year=&platform=%20&duration_type='))).toEqual({
      year: undefined,
      platform: undefined,
      duration_type: 'min',
    });
  });

  it('ignores unknown parameters', () => {
    expect(parseParams(COUNT_PLATFORM_PARAMS, new URLSearchParams('platform=hulu&foo=bar&Platform=x'))).toEqual({ platform: 'hulu' });
  });

  it('reports missing and empty required parameters', () => {
    expect(invalidParams(SCORE_COUNT_PARAMS, 'platform=&year=%20')).toEqual([
      { name: 'platform', reason: 'required and empty', allowed: PLATFORM_ALIAS_NAMES },
      { name: 'scored', reason: 'required and missing' },
      { name: 'year', reason: 'required and empty' },
    ]);
  });

  it('rejects a parameter given twice, even when one copy is empty', () => {
    expect(invalidParams(ACTOR_PARAMS, 'platform=netflix&platform=netflix&year=2019')).toEqual([
      { name: 'platform', reason: 'given 2 times; give it once', allowed: PLATFORM_ALIAS_NAMES },
    ]);
    expect(invalidParams(MAX_DURATION_PARAMS, 'year=&year=2019')[0]).toMatchObject({ name: 'year', reason: 'given 2 times; give it once' });
  });

  it('lists every bad parameter at once', () => {
    const invalid = invalidParams(SCORE_COUNT_PARAMS, 'platform=hbo&scored=3,5&year=2020.0');
    expect(invalid.map((p) => p.name)).toEqual(['platform', 'scored', 'year']);
  });

  it('rejects very long values without echoing them', () => {
    const long = '2'.repeat(10_240);
    const [invalid] = invalidParams(ACTOR_PARAMS, `platform=netflix&year=${long}`);
    expect(invalid.reason).toBe(`too long (10240 characters; at most ${MAX_PARAM_LENGTH})`);
    expect(JSON.stringify(invalid).length).toBeLessThan(200);
  });

  it('quotes at most a bounded prefix of a bad value, control characters escaped', () => {
    const raw = `\u0000${'x'.repeat(MAX_PARAM_LENGTH - 1)}`;
    const [invalid] = invalidParams(COUNT_PLATFORM_PARAMS, `platform=${encodeURIComponent(raw)}`);
    expect(invalid.reason).toContain('\\u0000');
    expect(invalid.reason.length).toBeLessThan(90);
    expect(quote('😀'.repeat(50))).toBe(`${JSON.stringify('😀'.repeat(40))}…`);
  });
});

describe('canonicalQuery', () => {
  it('gives equal keys to requests with equal answers', () => {
    const a = parseParams(SCORE_COUNT_PARAMS, new URLSearchParams('year=2011&scored=3.20&platform=Disney%2B&x=1'));
    const b = parseParams(SCORE_COUNT_PARAMS, new URLSearchParams('platform=disney&scored=3.2&year=%202011'));
    expect(canonicalQuery(SCORE_COUNT_PARAMS, a)).toBe('platform=disney&scored=3.2&year=2011');
    expect(canonicalQuery(SCORE_COUNT_PARAMS, b)).toBe(canonicalQuery(SCORE_COUNT_PARAMS, a));
  });

  it('tells different answers apart', () => {
    const a = parseParams(MAX_DURATION_PARAMS, new URLSearchParams('duration_type=season'));
    const b = parseParams(MAX_DURATION_PARAMS, new URLSearchParams(''));
    expect(canonicalQuery(MAX_DURATION_PARAMS, a)).not.toBe(canonicalQuery(MAX_DURATION_PARAMS, b));
  });
});
