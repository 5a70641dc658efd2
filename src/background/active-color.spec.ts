import { describeContent, parseActiveColor } from './active-color';

describe('the active-colour file format', () => {
  it.each([
    ['blue', 'blue'],
    ['green\n', 'green'],
    ['  green \r\n', 'green'],
  ])('reads %j as %s', (text, color) => {
    expect(parseActiveColor(text)).toBe(color);
  });

  it.each(['', '\n', 'Blue', 'red', 'blue\ngreen', 'blu', 'activeColor: blue'])(
    'refuses %j (half-written, unknown or more than one colour)',
    (text) => {
      expect(parseActiveColor(text)).toBeUndefined();
      expect(describeContent(text)).toEqual({ problem: expect.stringContaining('does not name a colour') });
    },
  );
});
