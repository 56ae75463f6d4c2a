import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Token format: `<prefix><body><checksum>`.
 * - prefix: `rc_adm_` (admin) or `rc_scim_` (SCIM), so a leaked token is recognisable by secret scanners;
 * - body: 32 bytes from the CSPRNG (256 bits) in base62, 43 characters;
 * - checksum: CRC32 of prefix + body in base62, 6 characters, so a token can be checked offline
 *   (a typo or a random string is refused without a database look-up).
 */
export const TOKEN_PREFIXES = { admin: 'rc_adm_', scim: 'rc_scim_' } as const;
export type IssuedTokenKind = keyof typeof TOKEN_PREFIXES;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const TOKEN_PATTERN = /^(rc_adm_|rc_scim_)([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;

function base62(value: bigint, length: number): string {
  let out = '';
  let n = value;
  while (n > 0n) {
    out = ALPHABET[Number(n % 62n)] + out;
    n /= 62n;
  }
  return out.padStart(length, '0');
}

function checksum(prefixAndBody: string): string {
  return base62(BigInt(crc32(prefixAndBody)), CHECKSUM_LENGTH);
}

export function generateToken(kind: IssuedTokenKind): string {
  const prefix = TOKEN_PREFIXES[kind];
  const body = base62(BigInt('0x' + randomBytes(32).toString('hex')), BODY_LENGTH);
  return prefix + body + checksum(prefix + body);
}

/** The kind of a well-formed token whose checksum matches, or undefined. */
export function parseToken(token: string): IssuedTokenKind | undefined {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return undefined;
  const [, prefix, body, sum] = m;
  if (checksum(prefix + body) !== sum) return undefined;
  return prefix === TOKEN_PREFIXES.admin ? 'admin' : 'scim';
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** What is kept for display: the prefix and the last four characters. */
export function tokenHint(token: string): string {
  const prefix = token.startsWith(TOKEN_PREFIXES.scim) ? TOKEN_PREFIXES.scim : TOKEN_PREFIXES.admin;
  return `${prefix}…${token.slice(-4)}`;
}
