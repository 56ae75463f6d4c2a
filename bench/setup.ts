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
  /** A second tenant and integration (integration B of the noisy-neighbour workload N1). */
  scimTokenB: string;
  tenantIdB: string;
  integrationIdB: string;
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

interface Integration {
  scimPath: string;
  token: string;
  tenantId: string;
  integrationId: string;
}

/** One tenant (operator API) with one SCIM integration (settings API, with the tenant's admin token). */
async function tenantWithIntegration(
  rootUrl: string,
  operator: HttpClient,
  label: string,
): Promise<Integration> {
  const tenant = await post<{ id: string; adminToken: string }>(operator, '/api/v1/tenants', {
    name: `Bench ${label}`,
  });
  const admin = new HttpClient({
    baseUrl: rootUrl,
    token: tenant.adminToken,
    maxSockets: 1,
    contentType: 'application/json',
  });
  const integration = await post<{ id: string; token: string; scimBaseUrl: string }>(
    admin,
    '/api/v1/scim-integrations',
    { name: `bench ${label}`, provider: 'okta', newGroupName: `Bench users ${label}` },
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
  return { scimPath, token: integration.token, tenantId: tenant.id, integrationId: integration.id };
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
  try {
    const a = await tenantWithIntegration(rootUrl, operator, stamp);
    const b = await tenantWithIntegration(rootUrl, operator, `${stamp} B`);
    return {
      scimUrl: root.origin + a.scimPath,
      scimToken: a.token,
      tenantId: a.tenantId,
      integrationId: a.integrationId,
      scimTokenB: b.token,
      tenantIdB: b.tenantId,
      integrationIdB: b.integrationId,
    };
  } finally {
    operator.close();
  }
}
