import { providerName } from '../api';
import { ErrorNote, Heading, Link, TableWrap, Time, useApi, useLoad } from '../ui';

/** Every SCIM integration of the tenant, at a glance. */
const COLUMNS = [
  'Name',
  'Provider',
  'Target group',
  'Enabled',
  'Last request',
  'Failures (24 h)',
  'Users',
  'Groups',
];

export function IntegrationsPage(props: { notice?: string }) {
  const api = useApi();
  const list = useLoad(() => api.integrations(), []);
  return (
    <>
      <Heading>SCIM integrations</Heading>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <p>
        <Link to="/integrations/new" class="button primary">
          New integration
        </Link>
      </p>
      <ErrorNote error={list.error} />
      {list.loading && !list.data && <p role="status">Loading…</p>}
      {list.data && list.data.length === 0 && (
        <p>No integration yet. Create one to connect your identity provider.</p>
      )}
      {list.data && list.data.length > 0 && (
        <TableWrap label="SCIM integrations">
          {/* At phone width the rows stack (styles.css, table.stack): the roles keep it a table to a screen reader. */}
          <table class="stack" role="table">
            <thead role="rowgroup">
              <tr role="row">
                {COLUMNS.map((c) => (
                  <th scope="col" role="columnheader" key={c}>
                    {c}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody role="rowgroup">
              {list.data.map((i) => (
                <tr key={i.id} role="row">
                  <th scope="row" role="rowheader">
                    <Link to={`/integrations/${i.id}`}>{i.name}</Link>
                  </th>
                  <td role="cell" data-label="Provider">
                    {providerName(i.provider)}
                  </td>
                  <td role="cell" data-label="Target group">
                    {i.group.name}
                  </td>
                  <td role="cell" data-label="Enabled">
                    {i.enabled ? 'Yes' : 'No (disabled)'}
                  </td>
                  <td role="cell" data-label="Last request">
                    <Time value={i.lastRequestAt} />
                  </td>
                  <td
                    role="cell"
                    data-label="Failures (24 h)"
                    class={i.failedRequests24h > 0 ? 'num bad' : 'num'}
                  >
                    {i.failedRequests24h}
                  </td>
                  <td role="cell" data-label="Users" class="num">
                    {i.userCount}
                  </td>
                  <td role="cell" data-label="Groups" class="num">
                    {i.groupCount}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
