import { describe, expect, it } from 'vitest';
import {
  invalidParamsError,
  PROBLEM_CONTENT_TYPE,
  ProblemError,
  problemBody,
  problemResponse,
  PROBLEMS,
  toProblemError,
} from '../../worker/problem';

describe('problem details', () => {
  it('has the RFC 9457 members plus the request id', () => {
    const body = problemBody(new ProblemError('noMatch', 'Nothing here.'), 'req-1');
    expect(body).toEqual({
      type: '/problems/no-match',
      title: 'Nothing matches the query',
      status: 404,
      detail: 'Nothing here.',
      instance: 'urn:request:req-1',
      request_id: 'req-1',
    });
  });

  it('cannot let an extension overwrite a standard member', () => {
    const body = problemBody(new ProblemError('noMatch', 'x', { extensions: { status: 200, type: 'evil', extra: 1 } }), 'r');
    expect(body.status).toBe(404);
    expect(body.type).toBe('/problems/no-match');
    expect(body.extra).toBe(1);
  });

  it('summarises one or many invalid parameters', () => {
    const one = invalidParamsError([{ name: 'year', reason: 'bad' }]);
    expect(one.status).toBe(400);
    expect(one.detail).toBe('Query parameter year is invalid: bad.');
    const two = invalidParamsError([
      { name: 'year', reason: 'bad' },
      { name: 'platform', reason: 'worse', allowed: ['a'] },
    ]);
    expect(two.detail).toBe('2 query parameters are invalid (year, platform); see invalid_params.');
    expect(problemBody(two, 'r').invalid_params).toEqual([
      { name: 'year', reason: 'bad' },
      { name: 'platform', reason: 'worse', allowed: ['a'] },
    ]);
  });

  it('responds with problem+json, the status and any extra headers', async () => {
    const response = problemResponse(new ProblemError('methodNotAllowed', 'no', { headers: { Allow: 'GET' } }), 'r');
    expect(response.status).toBe(405);
    expect(response.headers.get('Content-Type')).toBe(PROBLEM_CONTENT_TYPE);
    expect(response.headers.get('Allow')).toBe('GET');
    expect(await response.json()).toMatchObject({ status: 405, detail: 'no' });
  });

  it('turns unexpected errors into a 500 that reveals nothing internal', () => {
    const problem = toProblemError(new TypeError('secret internals at line 3'));
    expect(problem.status).toBe(500);
    expect(problem.detail).not.toContain('secret');
    const known = new ProblemError('noData', 'later');
    expect(toProblemError(known)).toBe(known);
  });

  it('flags server-side trouble for the log, client mistakes not', () => {
    expect(new ProblemError('internal', 'x').log).toBe(true);
    expect(new ProblemError('noData', 'x').log).toBe(true);
    expect(new ProblemError('noData', 'x', { log: false }).log).toBe(false);
    expect(new ProblemError('invalidParams', 'x').log).toBe(false);
  });

  it('gives every kind a distinct type and an error status', () => {
    const types = Object.values(PROBLEMS).map((p) => p.type);
    expect(new Set(types).size).toBe(types.length);
    for (const p of Object.values(PROBLEMS)) expect(p.status).toBeGreaterThanOrEqual(400);
  });
});
