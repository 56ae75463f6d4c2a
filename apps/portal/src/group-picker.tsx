import { useEffect, useState } from 'preact/hooks';
import type { Group } from './api';
import { ErrorNote, useApi } from './ui';

export type GroupChoice =
  { kind: 'new'; name: string } | { kind: 'existing'; id: string; name: string } | null;

const SHOWN = 20;

/**
 * The target group: a new group named here, or an existing one found by searching the tenant's groups
 * (GET /api/v1/groups?q=). Groups that an identity provider pushed belong to it and are left out.
 */
export function GroupPicker(props: {
  idPrefix: string;
  value: GroupChoice;
  onChange: (choice: GroupChoice) => void;
  allowNew: boolean;
  defaultNewName: string;
  excludeId?: string;
}) {
  const api = useApi();
  const [kind, setKind] = useState<'new' | 'existing'>(props.allowNew ? 'new' : 'existing');
  const [newName, setNewName] = useState(props.defaultNewName);
  const [query, setQuery] = useState('');
  const [result, setResult] = useState<{ items: Group[]; total: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const p = props.idPrefix;

  useEffect(() => {
    if (kind === 'new') props.onChange(newName.trim() ? { kind: 'new', name: newName.trim() } : null);
  }, [kind, newName]);

  useEffect(() => {
    if (kind !== 'existing') return;
    let live = true;
    // Wait for a pause in typing before searching.
    const timer = window.setTimeout(() => {
      api.groups({ q: query.trim() || undefined, pageSize: SHOWN + 1 }).then(
        (page) => {
          if (!live) return;
          const items = page.items.filter((g) => !g.ownerIntegration && g.id !== props.excludeId);
          setResult({ items: items.slice(0, SHOWN), total: page.total });
          setError(null);
        },
        (e: unknown) => live && setError(e),
      );
    }, 200);
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [kind, query]);

  return (
    <fieldset class="group-picker">
      <legend>Target group</legend>
      <p class="hint" id={`${p}-group-hint`}>
        Every user this integration provisions becomes a member of this group.
      </p>
      {props.allowNew && (
        <div class="choice">
          <input
            type="radio"
            id={`${p}-kind-new`}
            name={`${p}-kind`}
            checked={kind === 'new'}
            onChange={() => setKind('new')}
          />
          <label for={`${p}-kind-new`}>Create a new group</label>
        </div>
      )}
      <div class="choice">
        <input
          type="radio"
          id={`${p}-kind-existing`}
          name={`${p}-kind`}
          checked={kind === 'existing'}
          onChange={() => {
            setKind('existing');
            props.onChange(null);
          }}
        />
        <label for={`${p}-kind-existing`}>Use an existing group</label>
      </div>
      {kind === 'new' && (
        <div class="field">
          <label for={`${p}-new-group`}>New group's name</label>
          <input
            id={`${p}-new-group`}
            value={newName}
            maxLength={256}
            required
            onInput={(e) => setNewName(e.currentTarget.value)}
          />
        </div>
      )}
      {kind === 'existing' && (
        <div class="field">
          <label for={`${p}-group-search`}>Search groups</label>
          <input
            id={`${p}-group-search`}
            type="search"
            value={query}
            autoComplete="off"
            onInput={(e) => setQuery(e.currentTarget.value)}
          />
          <ErrorNote error={error} />
          {result && (
            <fieldset class="group-results">
              <legend>
                {result.items.length === 0
                  ? 'No group matches'
                  : `Groups${result.total > SHOWN ? ` (first ${SHOWN} of ${result.total}: refine the search)` : ''}`}
              </legend>
              {result.items.map((g) => (
                <div class="choice" key={g.id}>
                  <input
                    type="radio"
                    id={`${p}-group-${g.id}`}
                    name={`${p}-group`}
                    checked={props.value?.kind === 'existing' && props.value.id === g.id}
                    onChange={() => props.onChange({ kind: 'existing', id: g.id, name: g.name })}
                  />
                  <label for={`${p}-group-${g.id}`}>
                    {g.name} <span class="muted">({g.memberCount} members)</span>
                  </label>
                </div>
              ))}
            </fieldset>
          )}
        </div>
      )}
    </fieldset>
  );
}
