import { render } from 'preact';
import { Api, type ApiOptions, type PortalSession } from './api';
import { App } from './app';
import './styles.css';

/**
 * For local development and the browser tests only, before a portal session exists: a page may be opened with
 * this set (by the test driver's init script) to call the API at another base URL with other headers, as the
 * given session. The portal itself never sets it; it signs in with the session cookie from its one-time link.
 */
interface DevConfig extends Partial<ApiOptions> {
  session?: PortalSession;
}

const dev = (window as unknown as { __ROLLCALL_PORTAL_DEV__?: DevConfig }).__ROLLCALL_PORTAL_DEV__;
const api = new Api({ baseUrl: dev?.baseUrl ?? '', headers: dev?.headers });
render(<App api={api} devSession={dev?.session} />, document.getElementById('app')!);
