import { jest } from '@jest/globals';
import { parseEtagCondition, writePrecondition } from './scim-http';
import { ScimException } from './scim.exception';

describe('parseEtagCondition', () => {
  it.each<[string | undefined, ReturnType<typeof parseEtagCondition>]>([
    [undefined, undefined],
    ['', undefined],
    ['*', '*'],
    [' * ', '*'],
    ['W/"3"', [3]],
    ['"3"', [3]],
    ['W/"1", W/"2"', [1, 2]],
    ['W/"1",W/"2" , "7"', [1, 2, 7]],
    ['W/"abc"', []],
    ['W/"1", "x,y"', [1]],
    ['W/"1" garbage', []],
    ['3', []],
    ['W/"1", *', []],
  ])('%j → %j', (header, condition) => {
    expect(parseEtagCondition(header)).toEqual(condition);
  });
});

describe('writePrecondition', () => {
  const current = (version: number) => jest.fn(() => Promise.resolve(version));

  async function status(precondition: unknown): Promise<number | 'ok'> {
    try {
      await precondition;
      return 'ok';
    } catch (e) {
      if (e instanceof ScimException) return e.status;
      throw e;
    }
  }

  it('hands a single If-Match version, *, or nothing to the write without reading', async () => {
    const read = current(3);
    expect(await writePrecondition(undefined, undefined, read)).toBeUndefined();
    expect(await writePrecondition('*', undefined, read)).toBeUndefined();
    expect(await writePrecondition('W/"5"', undefined, read)).toBe(5);
    expect(await writePrecondition('W/"nope"', undefined, read)).toBe(-1);
    expect(read).not.toHaveBeenCalled();
  });

  it('answers those at once, without a promise', () => {
    const read = current(3);
    expect(writePrecondition(undefined, undefined, read)).toBeUndefined();
    expect(writePrecondition('*', undefined, read)).toBeUndefined();
    expect(writePrecondition('W/"5"', undefined, read)).toBe(5);
    expect(writePrecondition('W/"1", W/"3"', undefined, read)).toBeInstanceOf(Promise);
  });

  it('checks a list of ETags against the current version and pins the write to it', async () => {
    expect(await writePrecondition('W/"1", W/"3"', undefined, current(3))).toBe(3);
    expect(await status(writePrecondition('W/"1", W/"2"', undefined, current(3)))).toBe(412);
  });

  it('refuses with 412 when If-None-Match is * or names the current version', async () => {
    expect(await status(writePrecondition(undefined, '*', current(3)))).toBe(412);
    expect(await status(writePrecondition(undefined, 'W/"2", W/"3"', current(3)))).toBe(412);
    expect(await status(writePrecondition('W/"3"', '"3"', current(3)))).toBe(412);
    expect(await writePrecondition(undefined, 'W/"2"', current(3))).toBe(3);
    expect(await writePrecondition('*', 'W/"2"', current(3))).toBe(3);
  });
});
