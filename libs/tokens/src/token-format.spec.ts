import { generateToken, hashToken, parseToken, tokenHint, TOKEN_PREFIXES } from './token-format';

describe('token format', () => {
  it.each(['admin', 'scim'] as const)(
    'generates a %s token with its prefix, 256 bits of body and a valid checksum',
    (kind) => {
      const token = generateToken(kind);
      expect(token.startsWith(TOKEN_PREFIXES[kind])).toBe(true);
      expect(token).toHaveLength(TOKEN_PREFIXES[kind].length + 43 + 6);
      expect(parseToken(token)).toBe(kind);
    },
  );

  it('never generates the same token twice', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => generateToken('scim')));
    expect(tokens.size).toBe(2000);
  });

  it('uses the whole base62 alphabet in the body (not hex)', () => {
    const bodies = Array.from({ length: 200 }, () => generateToken('admin').slice(7, 50)).join('');
    expect(bodies).toMatch(/[G-Z]/);
    expect(bodies).toMatch(/[g-z]/);
  });

  it('refuses a token whose checksum does not match', () => {
    const token = generateToken('scim');
    const last = token.at(-1) === 'a' ? 'b' : 'a';
    expect(parseToken(token.slice(0, -1) + last)).toBeUndefined();
  });

  it('refuses a token with one changed body character', () => {
    const token = generateToken('admin');
    const i = 20;
    const changed = token.slice(0, i) + (token[i] === 'x' ? 'y' : 'x') + token.slice(i + 1);
    expect(parseToken(changed)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['unknown prefix', 'rc_xyz_' + 'a'.repeat(49)],
    ['too short', 'rc_adm_abc'],
    ['too long', generateToken('admin') + 'a'],
    ['non-base62 characters', 'rc_adm_' + '-'.repeat(43) + 'aaaaaa'],
  ])('refuses a malformed token (%s)', (_name, token) => {
    expect(parseToken(token)).toBeUndefined();
  });

  it('does not let a swapped prefix pass: the checksum covers the prefix', () => {
    const token = generateToken('admin');
    expect(parseToken('rc_scim_' + token.slice('rc_adm_'.length))).toBeUndefined();
  });

  it('hashes with SHA-256 and hints with the prefix and the last four characters', () => {
    const token = generateToken('scim');
    expect(hashToken(token)).toHaveLength(32);
    expect(hashToken(token).equals(hashToken(token))).toBe(true);
    expect(tokenHint(token)).toBe(`rc_scim_…${token.slice(-4)}`);
  });
});
