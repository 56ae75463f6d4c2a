import { SearchableTable, Time, useApi } from '../ui';

/** The people and groups this integration provisioned. */
export function PeoplePage(props: { id: string }) {
  const api = useApi();
  const integrationId = props.id;
  return (
    <>
      <SearchableTable
        id="users"
        title="People"
        searchLabel="Search people (userName or name)"
        searchButton="Search people"
        columns={['userName', 'Name', 'Active', 'Created']}
        load={(q) => api.users({ integrationId, ...q })}
        row={(u) => (
          <>
            <th scope="row">{u.userName}</th>
            <td>{u.displayName ?? ''}</td>
            <td>{u.active ? 'Yes' : 'No (deactivated)'}</td>
            <td>
              <Time value={u.createdAt} />
            </td>
          </>
        )}
        empty={{ none: 'Nobody provisioned yet.', noMatch: 'Nobody matches.' }}
      />
      <SearchableTable
        id="groups"
        title="Groups"
        searchLabel="Search groups"
        searchButton="Search groups"
        columns={['Name', 'Members', 'Created']}
        load={(q) => api.groups({ integrationId, ...q })}
        row={(g) => (
          <>
            <th scope="row">{g.name}</th>
            <td class="num">{g.memberCount}</td>
            <td>
              <Time value={g.createdAt} />
            </td>
          </>
        )}
        empty={{ none: 'No group pushed yet.', noMatch: 'No group of this integration matches.' }}
      />
    </>
  );
}
