// `--setup-from <server root>`: creates a fresh tenant and SCIM integration through the settings API and
// prints the SCIM base URL and token as shell exports, ready for the benchmark.
import { readFileSync } from 'node:fs';
import { HttpClient, isOk, parseJson, parseLoopbackUrl } from './http';

export interface SetupOptions {
  serverRoot: string;
  operatorToken?: string;
  operatorTokenFile?: string;
}

export interface SetupResult {
  scimUrl: string;
  scimToken: string;
  tenantId: string;
  integrationId: string;
}

function operatorToken(opts: SetupOptions): string {
  if (opts.operatorToken) return opts.operatorToken;
  if (opts.operatorTokenFile) return readFileSync(opts.operatorTokenFile, 'utf8').trim();
  const env = process.env.ROLLCALL_OPERATOR_TOKEN;
  if (env) return env;
  throw new Error('--setup-from needs --operator-token, --operator-token-file or ROLLCALL_OPERATOR_TOKEN');
}

async function post<T>(client: HttpClient, path: string, body: unknown): Promise<T> {
  const r = await client.request('POST', path, body);
  const parsed = parseJson<T>(r.body);
  if (!isOk(r.status) || parsed === undefined) {
    throw new Error(`POST ${path} answered ${r.status || r.error}: ${r.body.slice(0, 300)}`);
  }
  return parsed;
}

export async function setup(opts: SetupOptions): Promise<SetupResult> {
  const root = parseLoopbackUrl(opts.serverRoot, '--setup-from');
  const rootUrl = root.origin + root.pathname.replace(/\/+$/, '');
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);

  const operator = new HttpClient({
    baseUrl: rootUrl,
    token: operatorToken(opts),
    maxSockets: 1,
    contentType: 'application/json',
  });
  const tenant = await post<{ id: string; adminToken: string }>(operator, '/api/v1/tenants', {
    name: `Bench ${stamp}`,
  });
  operator.close();

  const admin = new HttpClient({
    baseUrl: rootUrl,
    token: tenant.adminToken,
    maxSockets: 1,
    contentType: 'application/json',
  });
  const integration = await post<{ id: string; token: string; scimBaseUrl: string }>(
    admin,
    '/api/v1/scim-integrations',
    { name: `bench ${stamp}`, provider: 'okta', newGroupName: `Bench users ${stamp}` },
  );
  admin.close();

  // The server advertises its public URL (often http://localhost:…); keep the host the caller reached it on,
  // and take only the path from the advertised base URL.
  let scimPath = '/scim/v2';
  try {
    scimPath = new URL(integration.scimBaseUrl).pathname.replace(/\/+$/, '') || scimPath;
  } catch {
    // keep the default path
  }
  return {
    scimUrl: root.origin + scimPath,
    scimToken: integration.token,
    tenantId: tenant.id,
    integrationId: integration.id,
  };
}
