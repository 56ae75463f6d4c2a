import { createHash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';

/**
 * Token format: `<prefix><tenant><body><checksum>`.
 * - prefix: `rc_adm_` (admin), `rc_scim_` (SCIM), `rc_pl_` (a portal link's one-time code) or `rc_ps_` (a
 *   portal session's secret, in its cookie), so a leaked one is recognisable by secret scanners;
 * - tenant: the tenant's id (128 bits) in base62, 22 characters, so the look-up of a token is a look-up in
 *   one tenant (one shard, when the tables are distributed by tenant). Not a secret: the body is. Tokens
 *   issued before tokens carried their tenant have no such part and are still accepted;
 * - body: 32 bytes from the CSPRNG (256 bits) in base62, 43 characters;
 * - checksum: CRC32 of prefix + body in base62, 6 characters, so a token can be checked offline
 *   (a typo or a random string is refused without a database look-up).
 */
export const TOKEN_PREFIXES = {
  admin: 'rc_adm_',
  scim: 'rc_scim_',
  portalLink: 'rc_pl_',
  portalSession: 'rc_ps_',
} as const;
export type IssuedTokenKind = keyof typeof TOKEN_PREFIXES;

const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const TENANT_LENGTH = 22;
const BODY_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const TOKEN_PATTERN =
  /^(rc_adm_|rc_scim_|rc_pl_|rc_ps_)((?:[0-9A-Za-z]{22})?)([0-9A-Za-z]{43})([0-9A-Za-z]{6})$/;
const KIND_OF_PREFIX = new Map<string, IssuedTokenKind>(
  Object.entries(TOKEN_PREFIXES).map(([kind, prefix]) => [prefix, kind as IssuedTokenKind]),
);
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ParsedToken {
  kind: IssuedTokenKind;
  /** The tenant the token was issued for; undefined for a token issued before tokens carried it. */
  tenantId: string | undefined;
}

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

function unbase62(text: string): bigint {
  let n = 0n;
  for (const c of text) n = n * 62n + BigInt(ALPHABET.indexOf(c));
  return n;
}

export function generateToken(kind: IssuedTokenKind, tenantId: string): string {
  if (!UUID_PATTERN.test(tenantId)) throw new Error('A token is issued for a tenant id (a UUID)');
  const prefix = TOKEN_PREFIXES[kind];
  const tenant = base62(BigInt('0x' + tenantId.replace(/-/g, '')), TENANT_LENGTH);
  const body = base62(BigInt('0x' + randomBytes(32).toString('hex')), BODY_LENGTH);
  return prefix + tenant + body + checksum(prefix + tenant + body);
}

/** The kind and tenant of a well-formed token whose checksum matches, or undefined. */
export function parseToken(token: string): ParsedToken | undefined {
  const m = TOKEN_PATTERN.exec(token);
  if (!m) return undefined;
  const [, prefix, tenant, body, sum] = m;
  if (checksum(prefix + tenant + body) !== sum) return undefined;
  const kind = KIND_OF_PREFIX.get(prefix)!;
  // Only admin and SCIM tokens were ever issued without their tenant.
  if (!tenant) return kind === 'admin' || kind === 'scim' ? { kind, tenantId: undefined } : undefined;
  const value = unbase62(tenant);
  if (value >= 1n << 128n) return undefined;
  const hex = value.toString(16).padStart(32, '0');
  return {
    kind,
    tenantId: `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`,
  };
}

export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

/** What is kept for display: the prefix and the last four characters. */
export function tokenHint(token: string): string {
  const prefix = Object.values(TOKEN_PREFIXES).find((p) => token.startsWith(p)) ?? TOKEN_PREFIXES.admin;
  return `${prefix}…${token.slice(-4)}`;
}
