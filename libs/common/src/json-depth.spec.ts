import { nestsDeeperThan } from './json-depth';

const bytes = (text: string) => Buffer.from(text);

describe(nestsDeeperThan.name, () => {
  it.each([
    ['{}', 1, false],
    ['{"a":{"b":[1,2,{"c":3}]}}', 4, false],
    ['{"a":{"b":[1,2,{"c":3}]}}', 3, true],
    ['[[[[]]]]', 4, false],
    ['[[[[[]]]]]', 4, true],
  ])('%s nests deeper than %d: %p', (text, max, deeper) => {
    expect(nestsDeeperThan(bytes(text), max)).toBe(deeper);
    expect(JSON.parse(text)).toBeDefined();
  });

  it('does not count brackets inside strings, escaped quotes included', () => {
    expect(nestsDeeperThan(bytes('{"a":"[[[[{{{{","b":"\\"[[[[[","c":"\\\\"}'), 1)).toBe(false);
    expect(nestsDeeperThan(bytes('{"a":"\\\\",  "b":[[1]]}'), 2)).toBe(true);
  });

  it('finds the depth of a megabyte of brackets in one pass', () => {
    expect(nestsDeeperThan(bytes('['.repeat(1 << 20)), 32)).toBe(true);
  });
});
