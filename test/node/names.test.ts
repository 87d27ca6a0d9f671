import { describe, expect, it } from 'vitest';
import { compareCodePoints, foldSearchText, normalizeName, parseDurationType, parsePlatform } from '../../contract';

describe('normalizeName', () => {
  it('folds accents, zero-width characters, case and whitespace', () => {
    expect(normalizeName('  Amélie\u200B  Poulain ')).toBe('amelie poulain');
    expect(normalizeName('ＮＥＴＦＬＩＸ')).toBe('netflix');
    expect(normalizeName('Disney\u00A0Plus')).toBe('disney plus');
  });
  it('maps every platform alias to its canonical name', () => {
    expect(parsePlatform('Amazon Prime Video')).toBe('amazon');
    expect(parsePlatform('prime')).toBe('amazon');
    expect(parsePlatform('Disney+')).toBe('disney');
    expect(parsePlatform(' HULU ')).toBe('hulu');
    expect(parsePlatform('hbo')).toBeUndefined();
    expect(parsePlatform('')).toBeUndefined();
  });
  it('maps duration units', () => {
    expect(parseDurationType('Minutes')).toBe('min');
    expect(parseDurationType('SEASONS')).toBe('season');
    expect(parseDurationType('hours')).toBeUndefined();
  });
  it('compares by code point, not locale', () => {
    expect(compareCodePoints('Z', 'a')).toBe(-1);
    expect(['b', 'a', 'B', 'é'].sort(compareCodePoints)).toEqual(['B', 'a', 'b', 'é']);
  });
});

describe('lookups never reach Object.prototype', () => {
  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf'])('%s is not a platform or unit', (name) => {
    expect(parsePlatform(name)).toBeUndefined();
    expect(parseDurationType(name)).toBeUndefined();
  });
});

describe('foldSearchText', () => {
  it('makes composed, decomposed, upper-case and unaccented spellings one text', () => {
    const spellings = ['kristín', 'kristi\u0301n', 'KRISTÍN', 'KRISTI\u0301N', 'kristin'];
    expect(new Set(spellings.map(foldSearchText))).toEqual(new Set(['kristin']));
    expect(foldSearchText('ﬁlm İstanbul')).toBe('film istanbul'); // compatibility forms; İ lower-cases to i + U+0307
    expect(foldSearchText('so\u00adft\u200bware')).toBe('software'); // soft hyphen and zero-width space
  });

  it('keeps spacing and other letters as they are, and is idempotent', () => {
    const text = '  star  wars: 海的儿子 ø ß ';
    expect(foldSearchText(text)).toBe('  star  wars: 海的儿子 ø ß ');
    for (const sample of [text, 'Pokémon', 'çok filim', 'ég man þig'])
      expect(foldSearchText(foldSearchText(sample))).toBe(foldSearchText(sample));
  });
});
