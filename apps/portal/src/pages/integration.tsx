import type { ComponentChildren } from 'preact';
import { ErrorNote, Heading, Link, useApi, useLoad } from '../ui';
import { ActivityPage } from './activity';
import { OverviewPage } from './details';
import { PeoplePage } from './people';

export type Tab = 'overview' | 'activity' | 'people';

const TABS: { tab: Tab; label: string; suffix: string; heading: string }[] = [
  { tab: 'overview', label: 'Overview', suffix: '', heading: '' },
  { tab: 'activity', label: 'Activity', suffix: '/activity', heading: ': activity' },
  { tab: 'people', label: 'People and groups', suffix: '/people', heading: ': people and groups' },
];

/**
 * An integration's pages: its heading, then Overview | Activity | People and groups. It stays while the admin
 * moves between the tabs (app.tsx keys it by the integration's id), so the details load once per integration;
 * the tab itself starts afresh on every visit (keyed by `visit`), as any page does.
 */
export function IntegrationPage(props: { id: string; tab: Tab; visit: number }) {
  const api = useApi();
  const loaded = useLoad(() => api.integration(props.id), [props.id]);
  const i = loaded.data;
  const current = TABS.find((t) => t.tab === props.tab) ?? TABS[0];
  let body: ComponentChildren;
  if (!i) {
    body = (
      <>
        <ErrorNote error={loaded.error} />
        {loaded.loading && <p role="status">Loading…</p>}
        <p>
          <Link to="/">All integrations</Link>
        </p>
      </>
    );
  } else if (props.tab === 'activity') {
    body = <ActivityPage key={props.visit} id={i.id} />;
  } else if (props.tab === 'people') {
    body = <PeoplePage key={props.visit} id={i.id} />;
  } else {
    body = <OverviewPage key={props.visit} i={i} set={loaded.set} reload={loaded.reload} />;
  }
  return (
    <>
      <Heading focusKey={String(props.visit)}>{i ? i.name + current.heading : 'Integration'}</Heading>
      {i && (
        <nav class="tabs" aria-label={`${i.name}: sections`}>
          {TABS.map((t) => (
            <Link
              key={t.tab}
              to={`/integrations/${i.id}${t.suffix}`}
              aria-current={props.tab === t.tab ? 'page' : undefined}
            >
              {t.label}
            </Link>
          ))}
        </nav>
      )}
      {body}
    </>
  );
}
