// The web UI's title suggestions rank what the API found with the API's own search folding: the
// browser copy of foldSearchText (public/combobox.js, plain JS served as is) must equal contract's.
import { describe, expect, it } from 'vitest';
import { foldSearchText } from '../../contract';

interface Suggestion {
  id: string;
  title: string;
}
// A path, not a literal specifier: the UI's plain JS has no type declarations for the compiler to find.
const combobox = (await import(new URL('../../public/combobox.js', import.meta.url).href)) as {
  foldSearchText: (text: string) => string;
  rank: (titles: Suggestion[], typed: string) => Suggestion[];
};

describe("the web UI's search folding", () => {
  it('equals foldSearchText', () => {
    const samples = [
      'kristín',
      'kristi\u0301n',
      'KRISTÍN',
      'Pokémon',
      'ﬁlm İstanbul',
      'so\u00adft\u200bware',
      '  star  wars: 海的儿子 ø ß ',
      'ŞEÑORA',
    ];
    for (const text of samples) expect(combobox.foldSearchText(text), text).toBe(foldSearchText(text));
  });

  it('ranks titles starting with the typed text first, whatever its accents and case', () => {
    const titles = [
      { id: 'n1', title: 'the pokémon movie' },
      { id: 'n2', title: 'pokémon: the first movie' },
      { id: 'n3', title: 'pokémon' },
    ];
    for (const typed of ['pokemon', 'Pokémon', 'POKE\u0301MON']) {
      expect(
        combobox.rank(titles, typed).map((t) => t.id),
        typed,
      ).toEqual(['n3', 'n2', 'n1']);
    }
  });
});
