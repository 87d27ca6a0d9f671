// Title lookup by typed name (worker/title-names.ts is runtime-agnostic, so it is tested here too).
import { describe, expect, it } from 'vitest';
import { normalizeName } from '../../contract';
import { TitleNames } from '../../worker/title-names';

const titles = ['the irishman', 'the office', 'the office', 'office space', 'irish jam', 'amélie', 'the officer and the spy', 'up'];
const names = new TitleNames(titles.map(normalizeName));

describe('TitleNames', () => {
  it('matches exactly after normalising, returning every title of that name', () => {
    expect(names.match('  The   IRISHMAN ')).toEqual([0]);
    expect(names.match('the office')).toEqual([1, 2]);
    expect(names.match('Ame\u0301lie')).toEqual([5]);
    expect(names.match('AMELIE')).toEqual([5]);
    expect(names.match('irishman')).toEqual([]);
  });

  it('suggests names starting with the text, then containing it, then similar ones', () => {
    expect(names.suggest('office', 10)).toEqual([3, 1, 2, 6]);
    expect(names.suggest('the irishmen', 3)[0]).toBe(0);
    expect(names.suggest('officr spce', 3)[0]).toBe(3); // typos: trigram similarity, best first
    expect(names.suggest('zzzz', 5)).toEqual([]);
    expect(names.suggest('   ', 5)).toEqual([]);
    expect(names.suggest('the', 2)).toEqual([1, 2]);
  });
});
