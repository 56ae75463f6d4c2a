import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { generateToken, hashToken, parseToken, tokenHint, TOKEN_PREFIXES } from './token-format';

const TENANT = '0f8fad5b-d9cb-469f-a165-70867728950e';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** Base62 written out here again, so that tokens can be built by hand. */
function b62(n: bigint, length: number): string {
  let out = '';
  for (let v = n; v > 0n; v /= 62n) out = ALPHABET[Number(v % 62n)] + out;
  return out.padStart(length, '0');
}

describe('token format', () => {
  it.each(['admin', 'scim', 'portalLink', 'portalSession'] as const)(
    'generates a %s token with its prefix, its tenant, 256 bits of body and a valid checksum',
    (kind) => {
      const token = generateToken(kind, TENANT);
      expect(token.startsWith(TOKEN_PREFIXES[kind])).toBe(true);
      expect(token).toHaveLength(TOKEN_PREFIXES[kind].length + 22 + 43 + 6);
      expect(parseToken(token)).toEqual({ kind, tenantId: TENANT });
    },
  );

  it('carries any tenant id there and back, the smallest and the largest too', () => {
    for (const id of [
      randomUUID(),
      randomUUID(),
      '00000000-0000-0000-0000-000000000000',
      'ffffffff-ffff-ffff-ffff-ffffffffffff',
    ]) {
      expect(parseToken(generateToken('scim', id))?.tenantId).toBe(id);
    }
  });

  it('refuses to issue a token for something that is not a tenant id', () => {
    expect(() => generateToken('admin', 'tenant-1')).toThrow(/UUID/);
  });

  it('still reads a token issued before tokens carried their tenant (no tenant part)', () => {
    // The earlier format: prefix, 43 characters of body, 6 of checksum over prefix + body.
    const body = b62(BigInt('0x' + randomBytes(32).toString('hex')), 43);
    const legacy = 'rc_scim_' + body + b62(BigInt(crc32('rc_scim_' + body)), 6);
    expect(parseToken(legacy)).toEqual({ kind: 'scim', tenantId: undefined });
    expect(hashToken(legacy)).toEqual(createHash('sha256').update(legacy).digest());
  });

  it.each(['rc_pl_', 'rc_ps_'])(
    'refuses a %s code without its tenant (portal secrets always had one)',
    (prefix) => {
      const body = b62(BigInt('0x' + randomBytes(32).toString('hex')), 43);
      expect(parseToken(prefix + body + b62(BigInt(crc32(prefix + body)), 6))).toBeUndefined();
    },
  );

  it('refuses a tenant part beyond 128 bits even with a matching checksum', () => {
    const prefix = 'rc_adm_';
    const tenant = 'z'.repeat(22);
    const body = 'a'.repeat(43);
    expect(
      parseToken(prefix + tenant + body + b62(BigInt(crc32(prefix + tenant + body)), 6)),
    ).toBeUndefined();
  });

  it('never generates the same token twice', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => generateToken('scim', TENANT)));
    expect(tokens.size).toBe(2000);
  });

  it('uses the whole base62 alphabet in the body (not hex)', () => {
    const bodies = Array.from({ length: 200 }, () => generateToken('admin', TENANT).slice(29, 72)).join('');
    expect(bodies).toMatch(/[G-Z]/);
    expect(bodies).toMatch(/[g-z]/);
  });

  it('refuses a token whose checksum does not match', () => {
    const token = generateToken('scim', TENANT);
    const last = token.at(-1) === 'a' ? 'b' : 'a';
    expect(parseToken(token.slice(0, -1) + last)).toBeUndefined();
  });

  it('refuses a token with one changed body character', () => {
    const token = generateToken('admin', TENANT);
    const i = 40;
    const changed = token.slice(0, i) + (token[i] === 'x' ? 'y' : 'x') + token.slice(i + 1);
    expect(parseToken(changed)).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['unknown prefix', 'rc_xyz_' + 'a'.repeat(49)],
    ['too short', 'rc_adm_abc'],
    ['too long', generateToken('admin', TENANT) + 'a'],
    ['non-base62 characters', 'rc_adm_' + '-'.repeat(43) + 'aaaaaa'],
    ['a tenant part of the wrong length', 'rc_adm_' + 'a'.repeat(21 + 43) + 'aaaaaa'],
  ])('refuses a malformed token (%s)', (_name, token) => {
    expect(parseToken(token)).toBeUndefined();
  });

  it('does not let a changed tenant pass: the checksum covers it', () => {
    const token = generateToken('scim', TENANT);
    const i = 'rc_scim_'.length + 3;
    expect(
      parseToken(token.slice(0, i) + (token[i] === 'x' ? 'y' : 'x') + token.slice(i + 1)),
    ).toBeUndefined();
  });

  it('does not let a swapped prefix pass: the checksum covers the prefix', () => {
    const token = generateToken('admin', TENANT);
    expect(parseToken('rc_scim_' + token.slice('rc_adm_'.length))).toBeUndefined();
  });

  it('hashes with SHA-256 and hints with the prefix and the last four characters', () => {
    const token = generateToken('scim', TENANT);
    expect(hashToken(token)).toHaveLength(32);
    expect(hashToken(token).equals(hashToken(token))).toBe(true);
    expect(tokenHint(token)).toBe(`rc_scim_…${token.slice(-4)}`);
    const secret = generateToken('portalSession', TENANT);
    expect(tokenHint(secret)).toBe(`rc_ps_…${secret.slice(-4)}`);
  });
});
