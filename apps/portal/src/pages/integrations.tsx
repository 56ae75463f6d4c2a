import { providerName } from '../api';
import { ErrorNote, Heading, Link, TableWrap, Time, useApi, useLoad } from '../ui';

/** Every SCIM integration of the tenant, at a glance. */
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
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Provider</th>
                <th scope="col">Target group</th>
                <th scope="col">Enabled</th>
                <th scope="col">Last request</th>
                <th scope="col">Failures (24 h)</th>
                <th scope="col">Users</th>
                <th scope="col">Groups</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((i) => (
                <tr key={i.id}>
                  <th scope="row">
                    <Link to={`/integrations/${i.id}`}>{i.name}</Link>
                  </th>
                  <td>{providerName(i.provider)}</td>
                  <td>{i.group.name}</td>
                  <td>{i.enabled ? 'Yes' : 'No (disabled)'}</td>
                  <td>
                    <Time value={i.lastRequestAt} />
                  </td>
                  <td class={i.failedRequests24h > 0 ? 'num bad' : 'num'}>{i.failedRequests24h}</td>
                  <td class="num">{i.userCount}</td>
                  <td class="num">{i.groupCount}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      )}
    </>
  );
}
