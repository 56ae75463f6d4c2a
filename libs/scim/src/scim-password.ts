import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
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

/**
 * Runs at most `max` tasks at once; the others wait, first come first served. A burst of password changes
 * then queues here instead of filling libuv's thread pool, which file, DNS and compression work share.
 */
export function concurrencyLimit(max: number): <T>(task: () => Promise<T>) => Promise<T> {
  let running = 0;
  const waiting: (() => void)[] = [];
  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < max) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      // The slot passes straight to the next task in line, or is freed.
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  };
}

const inHashSlot = concurrencyLimit(MAX_CONCURRENT_PASSWORD_HASHES);

/** A SCIM `password` is kept only as a salted scrypt hash: `scrypt$N$r$p$salt$hash` (base64). */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await inHashSlot(() =>
    scryptAsync(password, salt, 32, { N, r: R, p: P, maxmem: 64 * 1024 * 1024 }),
  );
  return ['scrypt', N, R, P, salt.toString('base64'), hash.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, n, r, p, salt, hash] = stored.split('$');
  if (kind !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await inHashSlot(() =>
    scryptAsync(password, Buffer.from(salt, 'base64'), expected.length, {
      N: Number(n),
      r: Number(r),
      p: Number(p),
      maxmem: 64 * 1024 * 1024,
    }),
  );
  return timingSafeEqual(actual, expected);
}
