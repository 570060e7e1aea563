import { displayTextProblem } from './display-text';

describe('displayTextProblem', () => {
  test.each([
    ['plain text', 'Ada Lovelace'],
    ['emoji, including joined sequences', 'Ada 👩🏽‍💻🚀'],
    ['right-to-left script with direction marks', '\u200Fשלום Ada\u200E'],
    ['accents and CJK', 'Zoë 李'],
  ])('when a name is %s, then it is fine', (_label, value) => {
    expect(displayTextProblem(value)).toBeNull();
  });

  test.each([
    ['a lone high surrogate', 'Ada\uD800'],
    ['a lone low surrogate', '\uDC00Ada'],
  ])('when a name has %s, then it is not valid Unicode text', (_label, value) => {
    expect(displayTextProblem(value)).toBe('must be valid Unicode text');
  });

  test.each(['\u202E', '\u202A', '\u202D', '\u2066', '\u2067', '\u2069'])(
    'when a name has the bidi control U+%s, then it is refused',
    (control) => {
      expect(displayTextProblem(`admin${control}nimda`)).toBe('must not contain bidirectional override characters');
    },
  );
});
