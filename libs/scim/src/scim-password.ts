import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { Semaphore } from '@rollcall/common';
import { MAX_CONCURRENT_PASSWORD_HASHES } from './scim-limits';

const scryptAsync = promisify(scrypt) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: object,
) => Promise<Buffer>;
const N = 16384;
const R = 8;
const P = 1;

/** A burst of password changes queues here instead of filling libuv's thread pool (shared with file and DNS work). */
const hashSlots = new Semaphore(MAX_CONCURRENT_PASSWORD_HASHES);

/** A SCIM `password` is kept only as a salted scrypt hash: `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await hashSlots.run(() =>
    scryptAsync(password, salt, 32, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 }),
  );
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await hashSlots.run(() =>
    scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 64 * 1024 * 1024,
    }),
  );
  return timingSafeEqual(actual, expected);
}
