import { KeyIndex } from './key-index';
import { canonicalKey } from './scim-value';

describe(KeyIndex.name, () => {
  it('finds keys ignoring case, the exact spelling first', () => {
    const keys = new KeyIndex();
    const obj = { userName: 'ann', Title: 'x' };
    expect(keys.keyOf(obj, 'USERNAME')).toBe('userName');
    expect(keys.get(obj, 'title')).toBe('x');
    expect(keys.keyOf(obj, 'nickName')).toBeUndefined();
  });

  it('keeps its index up to date through set and delete', () => {
    const keys = new KeyIndex();
    const obj: Record<string, unknown> = { Title: 'x', TITLE: 'y' };
    keys.set(obj, 'title', 'z');
    expect(obj).toEqual({ title: 'z' });
    keys.set(obj, 'nickName', 'n');
    expect(keys.get(obj, 'NICKNAME')).toBe('n');
    expect(keys.delete(obj, 'Title')).toBe(true);
    expect(keys.delete(obj, 'title')).toBe(false);
    expect(keys.isEmpty(obj)).toBe(false);
    keys.delete(obj, 'nickname');
    expect(obj).toEqual({});
    expect(keys.isEmpty(obj)).toBe(true);
  });

  it('caches canonical keys of objects and forgets them when the object changes', () => {
    const keys = new KeyIndex();
    const email = { value: 'a@x.com', type: 'work' };
    expect(keys.canonicalKey(email)).toBe(canonicalKey({ type: 'work', value: 'a@x.com' }));
    keys.set(email, 'primary', true);
    expect(keys.canonicalKey(email)).toBe(canonicalKey({ primary: true, type: 'work', value: 'a@x.com' }));
    keys.delete(email, 'type');
    expect(keys.canonicalKey(email)).toBe(canonicalKey({ primary: true, value: 'a@x.com' }));
    expect(keys.canonicalKey('a@x.com')).toBe('"a@x.com"');
  });
});
