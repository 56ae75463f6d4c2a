import { useEffect, useState } from 'preact/hooks';
import { type Api, ApiError, type PortalSession } from './api';
import { IntegrationPage, type Tab } from './pages/integration';
import { IntegrationsPage } from './pages/integrations';
import { WizardPage } from './pages/wizard';
import { usePath } from './router';
import { ApiContext, errorText, Heading, Link } from './ui';

type SessionState = { session: PortalSession } | { error: unknown } | null;

export function App(props: { api: Api }) {
  const [state, setState] = useState<SessionState>(null);
  const [signedOut, setSignedOut] = useState(false);
  useEffect(() => {
    props.api.session().then(
      (session) => {
        props.api.csrfToken = session.csrfToken;
        setState({ session });
      },
      (error: unknown) => setState({ error }),
    );
  }, []);

  if (signedOut) return <Ended title="You are signed out" text="To come back, ask for a new portal link." />;
  if (!state) {
    return (
      <main id="main" class="container">
        <p role="status">Signing in…</p>
      </main>
    );
  }
  if ('error' in state) {
    const expired = state.error instanceof ApiError && [401, 403, 404, 410].includes(state.error.status);
    return expired ? (
      <Ended
        title="This portal session has ended"
        text="Portal links work once and for a few minutes, and a session ends after a while without use. Ask for a new link from the application that sent you here."
      />
    ) : (
      <Ended title="The portal could not start" text={errorText(state.error)} />
    );
  }
  const logout = async () => {
    try {
      await props.api.logout();
    } finally {
      setSignedOut(true);
    }
  };
  return (
    <ApiContext.Provider value={props.api}>
      <a class="skip-link" href="#main">
        Skip to the content
      </a>
      <header class="top">
        <div class="container top-row">
          <p class="brand">
            <Link to="/">Rollcall</Link> <span class="tenant">· {state.session.tenantName}</span>
          </p>
          <nav aria-label="Portal">
            <Link to="/">Integrations</Link>
            <Link to="/integrations/new">New integration</Link>
            <button type="button" class="link-button" onClick={() => void logout()}>
              Sign out
            </button>
          </nav>
        </div>
      </header>
      <main id="main" class="container" tabIndex={-1}>
        <Routes />
      </main>
    </ApiContext.Provider>
  );
}

function Routes() {
  const { path, visit } = usePath();
  const m = /^\/integrations\/([0-9a-f-]{36})(?:\/(activity|people))?$/i.exec(path);
  // An integration's tabs share one page, kept while the admin moves between them; other pages start afresh.
  if (m) {
    const tab: Tab = m[2] === 'activity' || m[2] === 'people' ? m[2] : 'overview';
    return <IntegrationPage key={m[1]} id={m[1]} tab={tab} visit={visit} />;
  }
  return <Route key={visit} path={path} />;
}

function Route({ path }: { path: string }) {
  if (path === '/') {
    const deleted = new URLSearchParams(location.search).get('deleted');
    return <IntegrationsPage notice={deleted ? `Deleted “${deleted}”.` : undefined} />;
  }
  if (path === '/integrations/new') return <WizardPage />;
  return (
    <>
      <Heading>Page not found</Heading>
      <p>
        <Link to="/">All integrations</Link>
      </p>
    </>
  );
}

function Ended(props: { title: string; text: string }) {
  return (
    <main id="main" class="container">
      <Heading>{props.title}</Heading>
      <p>{props.text}</p>
    </main>
  );
}
