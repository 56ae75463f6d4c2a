import { useEffect, useRef, useState } from 'preact/hooks';
import type { IntegrationDetails, RotatedToken } from '../api';
import { GroupPicker, type GroupChoice } from '../group-picker';
import { LiveStatus } from '../live-status';
import { navigate } from '../router';
import { SetupSteps } from '../setup-steps';
import { CopyField, ErrorNote, Time, useApi, useLoad } from '../ui';

const GRACE_CHOICES: [number, string][] = [
  [0, 'Stop the current token at once'],
  [3600, 'Keep the current token working for 1 hour'],
  [86400, 'Keep the current token working for 24 hours'],
  [604800, 'Keep the current token working for 7 days'],
];

/** The integration's overview: what it is, its connection, and what an admin can change. */
export function OverviewPage(props: {
  i: IntegrationDetails;
  set: (d: IntegrationDetails) => void;
  reload: () => void;
}) {
  const { i } = props;
  return (
    <>
      <p class={i.enabled ? 'badge ok' : 'badge off'} data-testid="enabled-state">
        {i.enabled ? 'Enabled' : 'Disabled: its token is refused (401) until you enable it'}
      </p>
      <dl class="facts">
        <dt>Identity provider</dt>
        <dd>{i.setup.providerName}</dd>
        <dt>Target group</dt>
        <dd>{i.group.name}</dd>
        <dt>Token</dt>
        <dd>
          <code data-testid="token-hint">{i.tokenHint}</code>
        </dd>
        <dt>Token created</dt>
        <dd>
          <Time value={i.tokenCreatedAt} />
        </dd>
        <dt>Token last used</dt>
        <dd>
          <Time value={i.tokenLastUsedAt} />
        </dd>
        <dt>Integration created</dt>
        <dd>
          <Time value={i.createdAt} />
        </dd>
        <dt>Users / groups provisioned</dt>
        <dd>
          {i.userCount} / {i.groupCount}
        </dd>
        <dt>Failed requests (24 h)</dt>
        <dd>{i.failedRequests24h}</dd>
      </dl>
      <CopyField id="scim-base-url" label="SCIM base URL" value={i.scimBaseUrl} />
      <LiveStatus integration={i} onDetails={props.set} />
      <RotateToken i={i} onRotated={props.reload} />
      <EnableToggle i={i} set={props.set} />
      <ChangeGroup i={i} set={props.set} />
      <details class="setup-details">
        <summary>How to set up {i.setup.providerName}</summary>
        <SetupSteps setup={i.setup} />
      </details>
      {/* A rotation changes the token, not the integration's row: either one reloads the history. */}
      <History id={i.id} version={`${i.updatedAt} ${i.tokenHint}`} />
      <DeleteIntegration i={i} />
    </>
  );
}

function RotateToken(props: { i: IntegrationDetails; onRotated: () => void }) {
  const api = useApi();
  const [grace, setGrace] = useState(3600);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [rotated, setRotated] = useState<RotatedToken | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (rotated) heading.current?.focus();
  }, [rotated]);
  const rotate = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setRotated(await api.rotateToken(props.i.id, grace));
      props.onRotated();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="rotate-heading">
      <h2 id="rotate-heading">Rotate the token</h2>
      {rotated ? (
        <div class="credentials">
          <h3 ref={heading} tabIndex={-1}>
            New token
          </h3>
          <CopyField id="rotated-token" label="New secret token" value={rotated.token} secret />
          <p class="warning" role="note">
            <strong>The new token is shown only this once.</strong> Paste it into {props.i.setup.providerName}
            's {props.i.setup.tokenField} now.{' '}
            {rotated.previousTokenValidUntil ? (
              <>
                The previous token keeps working until{' '}
                <time dateTime={rotated.previousTokenValidUntil}>
                  {new Date(rotated.previousTokenValidUntil).toLocaleString()}
                </time>
                .
              </>
            ) : (
              'The previous token has stopped working.'
            )}
          </p>
          <button type="button" onClick={() => setRotated(null)}>
            Done
          </button>
        </div>
      ) : (
        <form onSubmit={(e) => void rotate(e)}>
          <p class="hint">
            A new token replaces the current one. Give your identity provider time to switch:
          </p>
          <div class="field">
            <label for="grace">Grace period</label>
            <select id="grace" value={grace} onChange={(e) => setGrace(Number(e.currentTarget.value))}>
              {GRACE_CHOICES.map(([s, label]) => (
                <option key={s} value={s}>
                  {label}
                </option>
              ))}
            </select>
          </div>
          <ErrorNote error={error} />
          <button type="submit" disabled={busy}>
            {busy ? 'Rotating…' : 'Rotate token'}
          </button>
        </form>
      )}
    </section>
  );
}

function EnableToggle(props: { i: IntegrationDetails; set: (d: IntegrationDetails) => void }) {
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      const updated = await api.updateIntegration(props.i.id, { enabled: !props.i.enabled });
      props.set(updated);
      setMessage(updated.enabled ? 'Enabled: the token works again.' : 'Disabled: the token is refused now.');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="enable-heading">
      <h2 id="enable-heading">{props.i.enabled ? 'Pause provisioning' : 'Resume provisioning'}</h2>
      <p class="hint">
        Disabling refuses the token and keeps everything the integration provisioned. Enable it again and the
        same token works.
      </p>
      <ErrorNote error={error} />
      <button type="button" onClick={() => void toggle()} disabled={busy}>
        {props.i.enabled ? 'Disable integration' : 'Enable integration'}
      </button>
      <p role="status" class="copied">
        {message}
      </p>
    </section>
  );
}

function ChangeGroup(props: { i: IntegrationDetails; set: (d: IntegrationDetails) => void }) {
  const api = useApi();
  const [choice, setChoice] = useState<GroupChoice>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState('');
  const [open, setOpen] = useState(false);
  const save = async (e: Event) => {
    e.preventDefault();
    if (!choice) return setError(new Error('Choose a group, or name a new one'));
    setBusy(true);
    setError(null);
    try {
      const groupId = choice.kind === 'new' ? (await api.createGroup(choice.name)).id : choice.id;
      const updated = await api.updateIntegration(props.i.id, { groupId });
      props.set(updated);
      setOpen(false);
      setMessage(`Target group changed to ${updated.group.name}; its users moved there.`);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="group-heading">
      <h2 id="group-heading">Target group</h2>
      <p>
        Users of this integration are members of <strong>{props.i.group.name}</strong>. Changing it moves them
        from the old group to the new one.
      </p>
      <p role="status" class="copied">
        {message}
      </p>
      {open ? (
        <form onSubmit={(e) => void save(e)}>
          <GroupPicker
            idPrefix="change"
            value={choice}
            onChange={setChoice}
            allowNew
            defaultNewName=""
            excludeId={props.i.group.id}
          />
          <ErrorNote error={error} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              Change target group
            </button>
            <button type="button" onClick={() => setOpen(false)}>
              Cancel
            </button>
          </div>
        </form>
      ) : (
        <button type="button" onClick={() => setOpen(true)}>
          Change target group…
        </button>
      )}
    </section>
  );
}

function History(props: { id: string; version: string }) {
  const api = useApi();
  const log = useLoad(() => api.auditLog({ targetId: props.id, limit: 10 }), [props.id, props.version]);
  return (
    <section aria-labelledby="history-heading">
      <h2 id="history-heading">Changes to this integration</h2>
      <ErrorNote error={log.error} />
      {log.data && (
        <ul class="history">
          {log.data.items.map((e) => (
            <li key={e.id}>
              <Time value={e.time} />: {e.action.replace(/^integration\./, '').replace(/_/g, ' ')}
              {e.actor.kind === 'admin' && e.actor.tokenHint ? '' : ` (by the ${e.actor.kind})`}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function DeleteIntegration(props: { i: IntegrationDetails }) {
  const api = useApi();
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const { i } = props;
  const remove = async () => {
    setBusy(true);
    setError(null);
    try {
      await api.deleteIntegration(i.id);
      dialog.current?.close();
      navigate(`/?deleted=${encodeURIComponent(i.name)}`);
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby="delete-heading" class="danger-zone">
      <h2 id="delete-heading">Delete</h2>
      <p class="hint">To pause provisioning without losing anything, disable the integration instead.</p>
      <button type="button" class="danger" onClick={() => dialog.current?.showModal()}>
        Delete integration…
      </button>
      <dialog ref={dialog} aria-labelledby="delete-dialog-heading" aria-describedby="delete-dialog-what">
        <h2 id="delete-dialog-heading">Delete “{i.name}”?</h2>
        <div id="delete-dialog-what">
          <p>This deletes, for good:</p>
          <ul>
            <li>
              the integration “{i.name}” and its token ({i.tokenHint}), which stops working at once;
            </li>
            <li>
              the {i.userCount} {i.userCount === 1 ? 'user' : 'users'} and {i.groupCount}{' '}
              {i.groupCount === 1 ? 'group' : 'groups'} it provisioned, with their memberships;
            </li>
            <li>its activity log.</li>
          </ul>
          <p>The target group “{i.group.name}” stays.</p>
        </div>
        <ErrorNote error={error} />
        <div class="actions">
          <button type="button" class="danger" disabled={busy} onClick={() => void remove()}>
            Delete “{i.name}”
          </button>
          <button type="button" autoFocus onClick={() => dialog.current?.close()}>
            Cancel
          </button>
        </div>
      </dialog>
    </section>
  );
}
