import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join, resolve } from 'node:path';

/**
 * On the embedded database with no ROLLCALL_OPERATOR_TOKEN, the first start writes a random operator
 * token to $DATA_DIR/operator-token (0600); later starts read it back.
 */
export function ensureOperatorTokenFile(dataDir: string): { token: string; file: string; created: boolean } {
  const file = resolve(join(dataDir, 'operator-token'));
  if (existsSync(file)) return { token: readFileSync(file, 'utf8').trim(), file, created: false };
  mkdirSync(resolve(dataDir), { recursive: true });
  const token = 'rc_op_' + randomBytes(32).toString('base64url');
  writeFileSync(file, token + '\n', { mode: 0o600, flag: 'wx' });
  return { token, file, created: true };
}
