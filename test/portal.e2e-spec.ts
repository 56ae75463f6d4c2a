/**
 * The admin portal in a real browser: Debian's Chromium driven by playwright-core, against the real app on a
 * loopback port. One browser for the file; each test has its own tenant and browser context.
 *
 * The portal signs in with a one-time link (POST /api/v1/portal-links → /portal/start → session cookie), as an
 * admin's browser does.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import axePlaywright from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createTestApp, createTenant, type TestApp, type TestTenant, uniqueName } from '@rollcall/testing';
import { freePort } from './fixtures/http';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PORTAL_DIR = resolve('dist/portal');
const SCREENSHOTS = resolve('test/screenshots');
const PHONE = { width: 360, height: 780 };

if (!existsSync(join(PORTAL_DIR, 'index.html'))) {
  throw new Error('The portal is not built: `npm test` builds it first (npm run build:portal)');
}
if (!existsSync(CHROMIUM)) {
  throw new Error(`No Chromium at ${CHROMIUM}: apt-get install -y chromium (.ci/run does)`);
}
mkdirSync(SCREENSHOTS, { recursive: true });

let origin = '';
let t: TestApp;
let browser: Browser;

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  t = await createTestApp(
    { PUBLIC_URL: origin, ADMIN_RATE_LIMIT: '200', ADMIN_RATE_BURST: '400' },
    { portalDir: PORTAL_DIR },
  );
  await t.app.listen(port, '127.0.0.1');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
  await t?.close();
});

/** A JSON answer, read by the assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

const AxeBuilder = ((axePlaywright as unknown as { default?: unknown }).default ??
  axePlaywright) as typeof axePlaywright;

async function apiCall(
  token: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json }> {
  const r = await fetch(origin + path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  return { status: r.status, body: text ? JSON.parse(text) : undefined };
}

async function portalLink(tenant: TestTenant): Promise<string> {
  const r = await apiCall(tenant.adminToken, 'POST', '/api/v1/portal-links', {});
  expect(r.status).toBe(201);
  expect(r.body.url).toMatch(new RegExp(`^${origin}/portal/start\\?code=`));
  return r.body.url as string;
}

interface Portal {
  context: BrowserContext;
  page: Page;
  tenant: TestTenant;
  close(): Promise<void>;
}

/** Opens a portal link as its admin does: the landing page, then Continue; ends on the portal's first page. */
async function signIn(page: Page, url: string): Promise<void> {
  const landing = await page.goto(url);
  expect(landing?.status()).toBe(200);
  expect(new URL(page.url()).pathname).toBe('/portal/start');
  await page.getByRole('heading', { level: 1, name: 'Set up SCIM provisioning' }).waitFor();
  await page.getByRole('button', { name: 'Continue to the admin portal' }).click();
  await page.waitForURL((u) => u.pathname === '/portal/');
  await page.getByRole('heading', { level: 1, name: 'SCIM integrations' }).waitFor();
}

/** A new admin's browser, signed in to the portal of a new tenant (through a portal link). */
async function openPortal(viewport = { width: 1200, height: 900 }): Promise<Portal> {
  const tenant = await createTenant(t);
  const context = await browser.newContext({ viewport, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  // Every request the pages make finds what it asks for (a page, an asset, a favicon, an API route).
  page.on('response', (r) => {
    if (r.status() === 404) errors.push(`404 ${r.url()}`);
  });
  await signIn(page, await portalLink(tenant));
  return {
    context,
    page,
    tenant,
    close: async () => {
      expect(errors).toEqual([]);
      await context.close();
    },
  };
}

/** No serious or critical accessibility violation (axe-core, WCAG 2.x A and AA rules). */
async function expectAccessible(page: Page, what: string): Promise<void> {
  const result = await new AxeBuilder({ page })
    .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'])
    .analyze();
  const bad = result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${what}: ${v.id} (${v.impact}) ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  expect(bad).toEqual([]);
}

async function shot(page: Page, name: string): Promise<string> {
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** The focus is on the page's (or the step's) heading. */
async function expectFocusOnHeading(page: Page, name: string | RegExp): Promise<void> {
  await page.locator('h1:focus', { hasText: name }).waitFor();
}

/** Nothing sticks out sideways at phone width (no horizontal scrolling of the page). */
async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate<{ scroll: number; client: number }>(
    '({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })',
  );
  expect(scroll).toBeLessThanOrEqual(client);
}

async function readClipboard(page: Page): Promise<string> {
  return page.evaluate<string>('navigator.clipboard.readText()');
}

async function scim(baseUrl: string, token: string, method: string, path: string, body?: unknown) {
  const r = await fetch(baseUrl + path, {
    method,
    headers: {
      Authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'Content-Type': 'application/scim+json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: (await r.json().catch(() => undefined)) as Json };
}

function scimUser(userName: string, extra: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
    userName,
    name: { givenName: userName.split('@')[0], familyName: 'Test' },
    emails: [{ value: userName, type: 'work', primary: true }],
    active: true,
    ...extra,
  };
}

/** Runs the wizard up to its result page; returns the base URL and the token as the page shows them. */
async function runWizard(
  page: Page,
  provider: string,
  group: { newName: string } | { existing: string },
  screenshots?: string,
) {
  await page
    .getByRole('navigation', { name: 'Portal' })
    .getByRole('link', { name: 'New integration' })
    .click();
  await expectFocusOnHeading(page, /step 1 of 3/);
  if (screenshots) {
    await expectAccessible(page, 'wizard step 1');
    await shot(page, `${screenshots}-1-provider`);
  }
  await page.getByRole('radio', { name: provider }).check();
  await page.getByRole('button', { name: 'Next' }).click();
  await expectFocusOnHeading(page, /step 2 of 3/);
  expect(await page.getByLabel('Name', { exact: true }).inputValue()).toBe(provider);
  if ('newName' in group) {
    await page.getByRole('radio', { name: 'Create a new group' }).check();
    await page.getByLabel("New group's name").fill(group.newName);
  } else {
    await page.getByRole('radio', { name: 'Use an existing group' }).check();
    await page.getByLabel('Search groups').fill(group.existing.slice(0, 12));
    await page.getByRole('radio', { name: new RegExp(group.existing) }).check();
  }
  if (screenshots) {
    await expectAccessible(page, 'wizard step 2');
    await shot(page, `${screenshots}-2-details`);
  }
  await page.getByRole('button', { name: 'Create integration' }).click();
  await expectFocusOnHeading(page, new RegExp(`step 3 of 3: connect ${provider}`, 'i'));
  const baseUrl = await page.getByLabel('SCIM base URL').inputValue();
  const token = await page.getByLabel('Secret token').inputValue();
  return { baseUrl, token };
}

describe('The admin portal (Chromium)', () => {
  it('serves the page under /portal with its assets cached for good, the page revalidated, and a CSP', async () => {
    const page = await fetch(`${origin}/portal/integrations/new`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    // Only the page's own scripts and styles: no inline script, no other origin.
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toMatch(/style-src 'self'(;|$)/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    const script = /src="(\/portal\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const asset = await fetch(origin + script!);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await fetch(`${origin}/portal/assets/missing.js`)).status).toBe(404);
  });

  it('sets up Okta with a new group: copies the URL and token, shows the steps once, and turns live on the first SCIM request', async () => {
    const p = await openPortal();
    const { page } = p;
    await expectAccessible(page, 'integrations (empty)');
    const groupName = uniqueName('Okta users');
    const { baseUrl, token } = await runWizard(page, 'Okta', { newName: groupName }, 'wizard');
    const asked: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (url.pathname.startsWith('/api/'))
        asked.push((url.pathname + url.search).replace(/[0-9a-f-]{36}/g, ':id'));
    });
    expect(baseUrl).toBe(`${origin}/scim/v2`);
    expect(token).toMatch(/^rc_scim_/);

    // The provider's steps, from the integration's `setup`.
    expect(await page.getByRole('heading', { name: 'Set up Okta' }).isVisible()).toBe(true);
    expect(await page.locator('.steps li').count()).toBe(5);
    expect(await page.getByText('SCIM 2.0 Test App (OAuth Bearer Token)').count()).toBe(1);
    await page.getByText('The token is shown only this once').waitFor();

    // The copy buttons: what lands on the clipboard is what the page shows.
    await page.getByRole('button', { name: 'Copy SCIM base URL' }).click();
    await page.getByText('SCIM base URL copied').waitFor();
    expect(await readClipboard(page)).toBe(baseUrl);
    await page.getByRole('button', { name: 'Copy Secret token' }).click();
    await page.getByText('Secret token copied').waitFor();
    const copiedToken = await readClipboard(page);
    expect(copiedToken).toBe(token);

    await page.getByText('Waiting for the first request from your identity provider').waitFor();
    await expectAccessible(page, 'wizard result');
    const resultShot = await shot(page, 'wizard-3-result');
    // The README's picture: refreshed on request only, so that a test run leaves the work tree clean.
    if (process.env.PORTAL_DOCS_SCREENSHOT)
      copyFileSync(resultShot, resolve('docs/portal-wizard-result.png'));

    // The identity provider's first request, with the copied URL and token — Okta's Test API Credentials, a
    // look-up that changes nothing: the page turns to "connected" by itself, with that request's summary.
    await page.evaluate('window.notReloaded = true');
    const lookUp = await scim(
      baseUrl,
      copiedToken,
      'GET',
      `/Users?filter=${encodeURIComponent('userName eq "probe@example.com"')}&startIndex=1&count=1`,
    );
    expect(lookUp.status).toBe(200);
    expect(lookUp.body.totalResults).toBe(0);
    await page.getByText('Connected', { exact: true }).waitFor({ timeout: 15_000 });
    const firstRequest = page.getByTestId('first-request');
    await firstRequest.waitFor({ timeout: 15_000 });
    expect(await firstRequest.innerText()).toMatch(/^First request: GET \/Users, answered 200 at .+\.$/);
    expect(await page.getByText('Waiting for the first request').count()).toBe(0);
    expect(await page.evaluate('window.notReloaded')).toBe(true);
    // While waiting, the page only asked whether the log has an event yet (one row); connecting read the details
    // once (the look-up was the only event: no second read of the log).
    expect(asked.filter((a) => a !== '/api/v1/scim-integrations/:id/events?limit=1')).toEqual([
      '/api/v1/scim-integrations/:id',
    ]);
    await shot(page, 'wizard-4-connected');

    // Then it provisions: the integrations table below counts the user.
    const created = await scim(baseUrl, copiedToken, 'POST', '/Users', scimUser('ann@example.com'));
    expect(created.status).toBe(201);

    // The integrations table.
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    const row = page.getByRole('row', { name: /Okta/ });
    await row.waitFor();
    const cells = await row.locator('th, td').allInnerTexts();
    expect(cells[0]).toBe('Okta');
    expect(cells.slice(1, 4)).toEqual(['Okta', groupName, 'Yes']);
    expect(cells[4]).not.toBe('never');
    expect(cells.slice(5)).toEqual(['0', '1', '0']);
    await expectAccessible(page, 'integrations');
    await shot(page, 'integrations');

    // The token is shown once: the details page has its hint only.
    await page.getByRole('link', { name: 'Okta' }).first().click();
    await page.getByRole('heading', { level: 1, name: 'Okta' }).waitFor();
    expect(await page.content()).not.toContain(token);
    expect(await page.getByTestId('token-hint').innerText()).toBe(`rc_scim_…${token.slice(-4)}`);

    // The activity log: the create, and before it the look-up that connected Okta, as a read.
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByText('2 events shown').waitFor();
    const logged = await page.getByTestId('event').allInnerTexts();
    expect(logged[0]).toMatch(/^changed POST \/Users ann@example\.com · 201 · /i);
    expect(logged[1]).toMatch(/^read GET \/Users · 200 · /i);
    await p.close();
  });

  it('sets up Entra with an existing group found by searching, using the keyboard', async () => {
    const p = await openPortal();
    const { page, tenant } = p;
    const groupName = uniqueName('Staff');
    const group = await apiCall(tenant.adminToken, 'POST', '/api/v1/groups', { name: groupName });
    expect(group.status).toBe(201);
    await apiCall(tenant.adminToken, 'POST', '/api/v1/groups', { name: uniqueName('Other') });

    // Keyboard only through step 1: Tab to the providers, arrows to choose, Enter to go on.
    await page
      .getByRole('navigation', { name: 'Portal' })
      .getByRole('link', { name: 'New integration' })
      .click();
    await expectFocusOnHeading(page, /step 1 of 3/);
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('provider-okta');
    await page.keyboard.press('ArrowDown');
    expect(await page.evaluate('document.activeElement.id')).toBe('provider-entra');
    await page.keyboard.press('Enter');
    await expectFocusOnHeading(page, /step 2 of 3/);
    await page.getByRole('button', { name: 'Back' }).click();
    await expectFocusOnHeading(page, /step 1 of 3/);
    expect(await page.getByRole('radio', { name: 'Microsoft Entra ID' }).isChecked()).toBe(true);

    const { token } = await runWizard(page, 'Microsoft Entra ID', { existing: groupName });
    expect(token).toMatch(/^rc_scim_/);
    await page.getByText(`Users it provisions join ${groupName}`).waitFor();
    await page.getByRole('heading', { name: 'Set up Microsoft Entra ID' }).waitFor();
    const list = await apiCall(tenant.adminToken, 'GET', '/api/v1/scim-integrations');
    expect(list.body).toHaveLength(1);
    expect(list.body[0].group).toEqual({ id: group.body.id, name: groupName });
    await shot(page, 'wizard-existing-group-result');
    await p.close();
  });

  it('works at phone width (360 px)', async () => {
    const p = await openPortal(PHONE);
    const { page } = p;
    await runWizard(page, 'OneLogin', { newName: uniqueName('Phone') });
    await expectNoSidewaysScroll(page);
    await expectAccessible(page, 'wizard result at 360 px');
    await shot(page, 'phone-wizard-result');
    await page.getByRole('link', { name: 'Go to the integration' }).click();
    await page.getByRole('heading', { level: 1, name: 'OneLogin' }).waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, 'phone-details');
    await page.getByRole('link', { name: 'Integrations', exact: true }).click();
    const row = page.getByRole('row', { name: /OneLogin/ });
    await row.waitFor();
    await expectNoSidewaysScroll(page);
    // The rows stack, each value beside its column's name: nothing hides to the right of the table.
    const table = page.getByRole('region', { name: 'SCIM integrations' });
    expect(await table.evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
    expect(await row.getByRole('cell').count()).toBe(7);
    const failures = row.getByRole('cell').nth(4);
    expect(await failures.innerText()).toBe('0');
    expect(
      await failures.evaluate((e) => e.ownerDocument.defaultView!.getComputedStyle(e, '::before').content),
    ).toBe('"Failures (24 h)"');
    expect(await failures.isVisible()).toBe(true);
    await expectAccessible(page, 'integrations at 360 px');
    await shot(page, 'phone-integrations');
    await p.close();
  });

  it('rotates the token with a grace period, disables and enables, and changes the target group', async () => {
    const p = await openPortal();
    const { page, tenant } = p;
    const { baseUrl, token: first } = await runWizard(page, 'JumpCloud', { newName: uniqueName('JC') });
    await page.getByRole('link', { name: 'Go to the integration' }).click();
    await page.getByRole('heading', { level: 1, name: 'JumpCloud' }).waitFor();
    await expectAccessible(page, 'details');
    await shot(page, 'details');

    // Rotate, keeping the old token for an hour: the new one is shown once, both work.
    await page.getByLabel('Grace period').selectOption('3600');
    await page.getByRole('button', { name: 'Rotate token' }).click();
    const rotated = await page.getByLabel('New secret token').inputValue();
    expect(rotated).toMatch(/^rc_scim_/);
    expect(rotated).not.toBe(first);
    expect(await page.locator('h3:focus').innerText()).toBe('New token');
    await page.getByText('The previous token keeps working until').waitFor();
    await page.getByRole('button', { name: 'Copy New secret token' }).click();
    expect(await readClipboard(page)).toBe(rotated);
    await page
      .getByTestId('token-hint')
      .getByText(`rc_scim_…${rotated.slice(-4)}`)
      .waitFor();
    // The integration's history names the rotation without a reload.
    await page
      .getByRole('region', { name: 'Changes to this integration' })
      .getByText(/token rotated \(by the portal\)/)
      .waitFor();
    await expectAccessible(page, 'details after rotation');
    await shot(page, 'details-rotated');
    expect((await scim(baseUrl, rotated, 'GET', '/Users')).status).toBe(200);
    expect((await scim(baseUrl, first, 'GET', '/Users')).status).toBe(200);
    await page.getByRole('button', { name: 'Done' }).click();
    expect(await page.getByLabel('New secret token').count()).toBe(0);

    // Disable: the token is refused; enable: it works again.
    await page.getByRole('button', { name: 'Disable integration' }).click();
    await page.getByText('Disabled: the token is refused now.').waitFor();
    expect(await page.getByTestId('enabled-state').innerText()).toMatch(/^Disabled/);
    expect((await scim(baseUrl, rotated, 'GET', '/Users')).status).toBe(401);
    await shot(page, 'details-disabled');
    await page.getByRole('button', { name: 'Enable integration' }).click();
    await page.getByText('Enabled: the token works again.').waitFor();
    expect((await scim(baseUrl, rotated, 'GET', '/Users')).status).toBe(200);

    // Change the target group to a new one.
    const next = uniqueName('Moved');
    await page.getByRole('button', { name: 'Change target group…' }).click();
    await page.locator('#change-new-group').fill(next);
    await page.getByRole('button', { name: 'Change target group', exact: true }).click();
    await page.getByText(`Target group changed to ${next}`).waitFor();
    const list = await apiCall(tenant.adminToken, 'GET', '/api/v1/scim-integrations');
    expect(list.body[0].group.name).toBe(next);

    // The integration's history, from the audit log.
    await page.locator('.history').getByText('target group changed').waitFor();
    expect(await page.locator('.history').innerText()).toMatch(/token rotated/);
    await p.close();
  });

  it('deletes an integration after a confirmation that names what goes with it', async () => {
    const p = await openPortal();
    const { page, tenant } = p;
    const groupName = uniqueName('Keep me');
    const { baseUrl, token } = await runWizard(page, 'Google Workspace', { newName: groupName });
    expect((await scim(baseUrl, token, 'POST', '/Users', scimUser('bob@example.com'))).status).toBe(201);
    await page.getByRole('link', { name: 'Go to the integration' }).click();
    await page.getByRole('heading', { level: 1, name: 'Google Workspace' }).waitFor();
    await page.getByRole('button', { name: 'Delete integration…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete “Google Workspace”?' });
    await dialog.waitFor();
    const text = await dialog.innerText();
    expect(text).toContain('the 1 user and 0 groups it provisioned');
    expect(text).toContain(`The target group “${groupName}” stays.`);
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Cancel');
    await expectAccessible(page, 'delete confirmation');
    await shot(page, 'delete-confirmation');
    // Cancel changes nothing; Escape closes too.
    await page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Delete integration…' }).click();
    await dialog.getByRole('button', { name: 'Delete “Google Workspace”' }).click();
    await page.getByText('Deleted “Google Workspace”.').waitFor();
    await expectFocusOnHeading(page, 'SCIM integrations');
    expect((await apiCall(tenant.adminToken, 'GET', '/api/v1/scim-integrations')).body).toEqual([]);
    expect((await scim(baseUrl, token, 'GET', '/Users')).status).toBe(401);
    await p.close();
  });

  it('shows the activity log with what changed, filtered by failures, resource and user', async () => {
    const p = await openPortal();
    const { page } = p;
    const { baseUrl, token } = await runWizard(page, 'Other SCIM 2.0 client', { newName: uniqueName('Gen') });
    const ann = await scim(
      baseUrl,
      token,
      'POST',
      '/Users',
      scimUser('ann@example.com', { title: 'Engineer' }),
    );
    expect(ann.status).toBe(201);
    expect((await scim(baseUrl, token, 'POST', '/Users', scimUser('bob@example.com'))).status).toBe(201);
    const patch = await scim(baseUrl, token, 'PATCH', `/Users/${ann.body.id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'title', value: 'Manager' }],
    });
    expect(patch.status).toBe(200);
    expect((await scim(baseUrl, token, 'POST', '/Users', scimUser('ann@example.com'))).status).toBe(409);
    const group = await scim(baseUrl, token, 'POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Pushed',
    });
    expect(group.status).toBe(201);

    let detailsReads = 0;
    page.on('request', (r) => {
      if (/\/api\/v1\/scim-integrations\/[0-9a-f-]{36}$/.test(new URL(r.url()).pathname)) detailsReads++;
    });
    await page.getByRole('link', { name: 'Go to the integration' }).click();
    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { level: 1, name: /activity$/ }).waitFor();
    await expectFocusOnHeading(page, /activity$/);
    await page.getByText('5 events shown').waitFor();
    // The integration's tabs share its details: moving to another tab does not read them again.
    expect(detailsReads).toBe(1);
    const changed = page.getByTestId('event').filter({ hasText: 'PATCH' });
    const row = changed.getByRole('row', { name: /title/ });
    expect(await row.locator('td').allInnerTexts()).toEqual(['Engineer', 'Manager']);
    await expectAccessible(page, 'activity');
    await shot(page, 'activity');

    await page.getByLabel('Failed requests only').check();
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('1 event shown').waitFor();
    const failed = page.getByTestId('event');
    expect(await failed.innerText()).toMatch(/failed[\s\S]*409[\s\S]*uniqueness/i);
    await shot(page, 'activity-failed');

    await page.getByLabel('Failed requests only').uncheck();
    await page.getByLabel('Resource').selectOption('Group');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    // The same count as before: wait for the new list itself.
    await page.getByTestId('event').filter({ hasText: 'Pushed' }).waitFor();
    expect(await page.getByTestId('event').count()).toBe(1);

    await page.getByLabel('Resource').selectOption('');
    await page.getByLabel('User or group (userName or display name)').fill('ANN@example.com');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('3 events shown').waitFor();
    for (const text of await page.getByTestId('event').allInnerTexts())
      expect(text).toContain('ann@example.com');
    await p.close();
  });

  it('lists the people and groups the integration provisioned, with search and pages', async () => {
    const p = await openPortal();
    const { page } = p;
    const { baseUrl, token } = await runWizard(page, 'Okta', { newName: uniqueName('Many') });
    for (let n = 1; n <= 27; n++) {
      const name = `user${String(n).padStart(2, '0')}@example.com`;
      expect((await scim(baseUrl, token, 'POST', '/Users', scimUser(name))).status).toBe(201);
    }
    for (const displayName of ['Sales', 'Support']) {
      const g = { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName };
      expect((await scim(baseUrl, token, 'POST', '/Groups', g)).status).toBe(201);
    }
    await page.getByRole('link', { name: 'Go to the integration' }).click();
    await page.getByRole('link', { name: 'People and groups' }).click();
    await page.getByRole('heading', { name: 'People (27)' }).waitFor();
    const people = page.getByRole('region', { name: 'People' });
    expect(await people.locator('tbody tr').count()).toBe(25);
    await expectAccessible(page, 'people and groups');
    await shot(page, 'people');
    await page.getByRole('button', { name: 'Next page of people' }).click();
    await page.getByText('Page 2 of 2').waitFor();
    await people.getByRole('row', { name: /user26@example\.com/ }).waitFor();
    expect(await people.locator('tbody th').allInnerTexts()).toEqual([
      'user26@example.com',
      'user27@example.com',
    ]);
    // The search runs on the server, over every page: from page 2, a user of page 1.
    await page.getByLabel('Search people (userName or name)').fill('USER03');
    await page.getByRole('button', { name: 'Search people' }).click();
    await page.getByRole('heading', { name: 'People (1)' }).waitFor();
    expect(await people.locator('tbody th').allInnerTexts()).toEqual(['user03@example.com']);
    // One page of results: the pager goes away.
    expect(await page.getByRole('navigation', { name: 'People: pages' }).count()).toBe(0);

    const groups = page.getByRole('region', { name: 'Groups' });
    await groups.getByRole('row', { name: /Sales/ }).waitFor();
    expect(await groups.locator('tbody th').allInnerTexts()).toEqual(['Sales', 'Support']);
    await page.getByLabel('Search groups').fill('supp');
    await page.getByRole('button', { name: 'Search groups' }).click();
    await groups.getByRole('row', { name: /Sales/ }).waitFor({ state: 'detached' });
    expect(await groups.locator('tbody th').allInnerTexts()).toEqual(['Support']);
    await p.close();
  });
});

describe('Portal links and sessions (Chromium)', () => {
  it('lands on a page naming the organisation, opens on Continue (keyboard), and only once', async () => {
    const tenant = await createTenant(t);
    const context = await browser.newContext();
    const page = await context.newPage();
    const url = await portalLink(tenant);
    // What a mail scanner or a link preview fetches first uses nothing up.
    expect((await fetch(url)).status).toBe(200);
    await page.goto(url);
    await page.getByRole('heading', { level: 1, name: 'Set up SCIM provisioning' }).waitFor();
    await page.getByText(tenant.name).waitFor();
    expect((await context.cookies()).map((c) => c.name)).toEqual([]);
    await expectAccessible(page, 'link landing page');
    await shot(page, 'link-landing');
    // The button has the focus: Enter continues.
    await page.locator('button:focus', { hasText: 'Continue to the admin portal' }).waitFor();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.pathname === '/portal/');
    await page.getByRole('heading', { level: 1, name: 'SCIM integrations' }).waitFor();
    await page.getByText(tenant.name).waitFor();
    const cookie = (await context.cookies()).find((c) => c.name === 'rollcall_portal');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Strict' });

    const again = await (await browser.newContext()).newPage();
    const reused = await again.goto(url);
    expect(reused?.status()).toBe(410);
    await expectAccessible(again, 'used link');
    await shot(again, 'link-used');

    const expiring = await portalLink(tenant);
    await t.sql(
      `UPDATE portal_links SET expires_at = now() - interval '1 second' WHERE tenant_id = $1 AND used_at IS NULL`,
      [tenant.id],
    );
    const expired = await again.goto(expiring);
    expect(expired?.status()).toBe(410);
    await shot(again, 'link-expired');

    // Two browsers on one link's page: the first Continue opens the portal, the second is told it is used.
    const shared = await portalLink(tenant);
    await again.goto(shared);
    const first = await context.newPage();
    await signIn(first, shared);
    await again.getByRole('button', { name: 'Continue to the admin portal' }).click();
    await again.getByRole('heading', { name: 'This link has already been used or has expired' }).waitFor();
    expect(new URL(again.url()).pathname).toBe('/portal/start');
    await again.context().close();
    await context.close();
  });

  it('works over plain http on a host name: the pages never ask the browser to upgrade to https', async () => {
    // The API and the portal's CSP add upgrade-insecure-requests only when PUBLIC_URL is https (this one is
    // http): on plain http it would send the landing page's form, and every script, to a port with no TLS.
    const named = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--host-resolver-rules=MAP rollcall.test 127.0.0.1'],
    });
    try {
      const tenant = await createTenant(t);
      const page = await (await named.newContext()).newPage();
      page.setDefaultTimeout(10_000);
      const link = new URL(await portalLink(tenant));
      link.hostname = 'rollcall.test';
      await signIn(page, link.toString());
      expect(new URL(page.url()).origin).toBe(`http://rollcall.test:${link.port}`);
      await page.getByText(tenant.name).waitFor();
    } finally {
      await named.close();
    }
    for (const path of ['/portal/', '/portal/start', '/health']) {
      const csp = (await fetch(origin + path)).headers.get('content-security-policy') ?? '';
      expect(csp).toMatch(/^default-src '(self|none)';/);
      expect(csp).not.toContain('upgrade-insecure-requests');
    }
  });

  it('refuses a state-changing request without X-CSRF-Token (403), and the page itself sends it', async () => {
    const p = await openPortal();
    const { page, tenant } = p;
    const status = async (headers: Record<string, string>) =>
      page.evaluate(
        async ({ headers }) => {
          const r = await fetch('/api/v1/groups', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', ...headers },
            body: JSON.stringify({ name: `CSRF ${Math.random()}` }),
          });
          return r.status;
        },
        { headers },
      );
    expect(await status({})).toBe(403);
    const session = (await page.evaluate(async () => (await fetch('/api/v1/portal/session')).json())) as {
      csrfToken: string;
      tenantId: string;
    };
    expect(session.tenantId).toBe(tenant.id);
    expect(await status({ 'X-CSRF-Token': 'wrong' })).toBe(403);
    expect(await status({ 'X-CSRF-Token': session.csrfToken })).toBe(201);
    await p.close();
  });

  it('signs out: the session ends and the page says so', async () => {
    const p = await openPortal();
    const { page } = p;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'You are signed out' }).waitFor();
    expect(await page.evaluate(async () => (await fetch('/api/v1/scim-integrations')).status)).toBe(401);
    await page.reload();
    await page.getByRole('heading', { name: 'This portal session has ended' }).waitFor();
    await p.close();
  });
});
