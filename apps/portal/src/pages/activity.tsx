import { useEffect, useState } from 'preact/hooks';
import type { ActivityEvent, EventFilters } from '../api';
import { ErrorNote, Link, Time, useApi } from '../ui';

/** The sync activity log: what the identity provider wrote, what it changed, what failed, and its first request. */
export function ActivityPage(props: { id: string }) {
  const api = useApi();
  const [failedOnly, setFailedOnly] = useState(false);
  const [resourceType, setResourceType] = useState<'' | 'User' | 'Group'>('');
  const [resourceName, setResourceName] = useState('');
  const [filters, setFilters] = useState<EventFilters>({});
  const [items, setItems] = useState<ActivityEvent[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  const load = async (more: boolean) => {
    setLoading(true);
    setError(null);
    try {
      const page = await api.events(props.id, {
        ...filters,
        cursor: more ? (cursor ?? undefined) : undefined,
      });
      setItems((old) => (more ? [...old, ...page.items] : page.items));
      setCursor(page.nextCursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => void load(false), [props.id, filters]);

  return (
    <>
      <form
        class="filters"
        aria-label="Filter the activity"
        onSubmit={(e) => {
          e.preventDefault();
          setFilters({
            status: failedOnly ? 'failed' : undefined,
            resourceType: resourceType || undefined,
            resourceName: resourceName.trim() || undefined,
          });
        }}
      >
        <div class="choice">
          <input
            type="checkbox"
            id="failed-only"
            checked={failedOnly}
            onChange={(e) => setFailedOnly(e.currentTarget.checked)}
          />
          <label for="failed-only">Failed requests only</label>
        </div>
        <div class="field">
          <label for="resource-type">Resource</label>
          <select
            id="resource-type"
            value={resourceType}
            onChange={(e) => setResourceType(e.currentTarget.value as '' | 'User' | 'Group')}
          >
            <option value="">Users and groups</option>
            <option value="User">Users</option>
            <option value="Group">Groups</option>
          </select>
        </div>
        <div class="field">
          <label for="resource-name">User or group (userName or display name)</label>
          <input
            id="resource-name"
            type="search"
            value={resourceName}
            onInput={(e) => setResourceName(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Apply filters</button>
      </form>
      <ErrorNote error={error} />
      <p role="status" class="muted">
        {loading
          ? 'Loading…'
          : `${items.length} event${items.length === 1 ? '' : 's'} shown${cursor ? ' (more below)' : ''}`}
      </p>
      {!loading && items.length === 0 && (
        <p>
          No activity
          {filters.status || filters.resourceType || filters.resourceName ? ' matches these filters' : ' yet'}
          . Writes and failures are recorded, and the first request even when it only reads (look-ups); later
          reads are not.
        </p>
      )}
      <ol class="events" aria-label="Events, newest first">
        {items.map((e) => (
          <EventItem key={e.id} e={e} />
        ))}
      </ol>
      {cursor && (
        <button type="button" disabled={loading} onClick={() => void load(true)}>
          Load older events
        </button>
      )}
      <p>
        <Link to={`/integrations/${props.id}`}>Back to the integration</Link>
      </p>
    </>
  );
}

function EventItem(props: { e: ActivityEvent }) {
  const { e } = props;
  const changes = e.changes ? Object.entries(e.changes) : [];
  return (
    <li class={`event ${e.outcome}`} data-testid="event">
      <p class="event-head">
        <span class={`outcome ${e.outcome}`}>{e.outcome}</span> <code>{e.method}</code> <code>{e.path}</code>{' '}
        {e.resourceName && <strong>{e.resourceName}</strong>} · {e.status} · <Time value={e.time} />
        {e.count > 1 && ` · ${e.count} requests`}
      </p>
      {e.outcome === 'failed' && (e.detail || e.scimType) && (
        <p class="event-detail">
          {e.scimType && <code>{e.scimType}</code>} {e.detail}
        </p>
      )}
      {changes.length > 0 && (
        <table class="changes">
          <caption class="visually-hidden">What changed</caption>
          <thead>
            <tr>
              <th scope="col">Attribute</th>
              <th scope="col">Before</th>
              <th scope="col">After</th>
            </tr>
          </thead>
          <tbody>
            {changes.map(([path, change]) => (
              <tr key={path}>
                <th scope="row">
                  <code>{path}</code>
                </th>
                {describeChange(change)}
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

function show(v: unknown): string {
  if (v === undefined) return '(not set)';
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function describeChange(change: unknown) {
  const c = (change ?? {}) as Record<string, unknown>;
  if ('added' in c || 'removed' in c) {
    return (
      <td colSpan={2}>
        {show(c.added)} added, {show(c.removed)} removed
      </td>
    );
  }
  if (c.changed === true && !('from' in c) && !('to' in c)) return <td colSpan={2}>changed</td>;
  return (
    <>
      <td>{show(c.from)}</td>
      <td>{'to' in c ? show(c.to) : '(removed)'}</td>
    </>
  );
}
