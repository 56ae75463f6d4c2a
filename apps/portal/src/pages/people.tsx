import { useState } from 'preact/hooks';
import { ErrorNote, TableWrap, Time, useApi, useLoad } from '../ui';

const PAGE_SIZE = 25;

/** The people and groups this integration provisioned. */
export function PeoplePage(props: { id: string }) {
  return (
    <>
      <Users id={props.id} />
      <Groups id={props.id} />
    </>
  );
}

function Pager(props: { label: string; page: number; pages: number; onPage: (p: number) => void }) {
  if (props.pages <= 1) return null;
  return (
    <nav class="pager" aria-label={`${props.label}: pages`}>
      <button type="button" disabled={props.page <= 1} onClick={() => props.onPage(props.page - 1)}>
        Previous<span class="visually-hidden"> page of {props.label.toLowerCase()}</span>
      </button>
      <span>
        Page {props.page} of {props.pages}
      </span>
      <button type="button" disabled={props.page >= props.pages} onClick={() => props.onPage(props.page + 1)}>
        Next<span class="visually-hidden"> page of {props.label.toLowerCase()}</span>
      </button>
    </nav>
  );
}

function Users(props: { id: string }) {
  const api = useApi();
  const [page, setPage] = useState(1);
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState('');
  const users = useLoad(
    () => api.users({ integrationId: props.id, q: applied || undefined, page, pageSize: PAGE_SIZE }),
    [props.id, page, applied],
  );
  const pages = users.data ? Math.max(1, Math.ceil(users.data.total / PAGE_SIZE)) : 1;
  return (
    <section aria-labelledby="users-heading">
      <h2 id="users-heading">People{users.data ? ` (${users.data.total})` : ''}</h2>
      <form
        class="inline-form"
        role="search"
        aria-label="People"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setApplied(query.trim());
        }}
      >
        <div class="field">
          <label for="user-search">Search people (userName or name)</label>
          <input
            id="user-search"
            type="search"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Search people</button>
      </form>
      <ErrorNote error={users.error} />
      {users.data && (
        <TableWrap label="People">
          <table>
            <thead>
              <tr>
                <th scope="col">userName</th>
                <th scope="col">Name</th>
                <th scope="col">Active</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {users.data.items.map((u) => (
                <tr key={u.id}>
                  <th scope="row">{u.userName}</th>
                  <td>{u.displayName ?? ''}</td>
                  <td>{u.active ? 'Yes' : 'No (deactivated)'}</td>
                  <td>
                    <Time value={u.createdAt} />
                  </td>
                </tr>
              ))}
              {users.data.items.length === 0 && (
                <tr>
                  <td colSpan={4}>{applied ? 'Nobody matches.' : 'Nobody provisioned yet.'}</td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager label="People" page={page} pages={pages} onPage={setPage} />
    </section>
  );
}

function Groups(props: { id: string }) {
  const api = useApi();
  const [query, setQuery] = useState('');
  const [applied, setApplied] = useState('');
  const [page, setPage] = useState(1);
  const groups = useLoad(
    () => api.groups({ integrationId: props.id, q: applied || undefined, page, pageSize: PAGE_SIZE }),
    [props.id, page, applied],
  );
  const shown = groups.data?.items ?? [];
  const pages = groups.data ? Math.max(1, Math.ceil(groups.data.total / PAGE_SIZE)) : 1;
  return (
    <section aria-labelledby="groups-heading">
      <h2 id="groups-heading">Groups</h2>
      <form
        class="inline-form"
        role="search"
        aria-label="Groups"
        onSubmit={(e) => {
          e.preventDefault();
          setPage(1);
          setApplied(query.trim());
        }}
      >
        <div class="field">
          <label for="group-search">Search groups</label>
          <input
            id="group-search"
            type="search"
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
        </div>
        <button type="submit">Search groups</button>
      </form>
      <ErrorNote error={groups.error} />
      {groups.data && (
        <TableWrap label="Groups">
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Members</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((g) => (
                <tr key={g.id}>
                  <th scope="row">{g.name}</th>
                  <td class="num">{g.memberCount}</td>
                  <td>
                    <Time value={g.createdAt} />
                  </td>
                </tr>
              ))}
              {shown.length === 0 && (
                <tr>
                  <td colSpan={3}>
                    {applied ? 'No group of this integration matches.' : 'No group pushed yet.'}
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </TableWrap>
      )}
      <Pager label="Groups" page={page} pages={pages} onPage={setPage} />
    </section>
  );
}
