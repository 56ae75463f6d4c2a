import { useState } from 'preact/hooks';
import { type CreatedIntegration, PROVIDERS, type Provider, providerName } from '../api';
import { GroupPicker, type GroupChoice } from '../group-picker';
import { LiveStatus } from '../live-status';
import { SetupSteps } from '../setup-steps';
import { CopyField, ErrorNote, Heading, Link, useApi } from '../ui';

type Step = 'provider' | 'details' | 'result';

/** The seed's wizard: identity provider, then name and target group, then the URL, the token and the steps. */
export function WizardPage() {
  const api = useApi();
  const [step, setStep] = useState<Step>('provider');
  const [provider, setProvider] = useState<Provider | null>(null);
  const [name, setName] = useState('');
  const [group, setGroup] = useState<GroupChoice>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<CreatedIntegration | null>(null);

  if (step === 'provider') {
    return (
      <>
        <Heading focusKey="provider">New integration · step 1 of 3: your identity provider</Heading>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!provider) return setError(new Error('Choose your identity provider'));
            setError(null);
            if (!name) setName(providerName(provider));
            setStep('details');
          }}
        >
          <fieldset class="providers">
            <legend>Which identity provider will provision your users?</legend>
            {PROVIDERS.map((p) => (
              <div class="choice card" key={p.id}>
                <input
                  type="radio"
                  name="provider"
                  id={`provider-${p.id}`}
                  value={p.id}
                  checked={provider === p.id}
                  onChange={() => setProvider(p.id)}
                />
                <label for={`provider-${p.id}`}>{p.name}</label>
              </div>
            ))}
          </fieldset>
          <ErrorNote error={error} />
          <div class="actions">
            <button type="submit" class="primary">
              Next
            </button>
            <Link to="/">Cancel</Link>
          </div>
        </form>
      </>
    );
  }

  if (step === 'details' && provider) {
    const submit = async (e: Event) => {
      e.preventDefault();
      if (!group) return setError(new Error('Choose the target group, or name a new one'));
      setBusy(true);
      setError(null);
      try {
        const result = await api.createIntegration({
          name: name.trim(),
          provider,
          ...(group.kind === 'new' ? { newGroupName: group.name } : { groupId: group.id }),
        });
        setCreated(result);
        setStep('result');
      } catch (err) {
        setError(err);
      } finally {
        setBusy(false);
      }
    };
    return (
      <>
        <Heading focusKey="details">New integration · step 2 of 3: name and target group</Heading>
        <form onSubmit={(e) => void submit(e)}>
          <p>
            Identity provider: <strong>{providerName(provider)}</strong>
          </p>
          <div class="field">
            <label for="integration-name">Name</label>
            <input
              id="integration-name"
              value={name}
              required
              maxLength={200}
              onInput={(e) => setName(e.currentTarget.value)}
            />
          </div>
          <GroupPicker
            idPrefix="wizard"
            value={group}
            onChange={setGroup}
            allowNew
            defaultNewName={`${providerName(provider)} users`}
          />
          <ErrorNote error={error} />
          <div class="actions">
            <button type="submit" class="primary" disabled={busy}>
              {busy ? 'Creating…' : 'Create integration'}
            </button>
            <button type="button" onClick={() => setStep('provider')}>
              Back
            </button>
          </div>
        </form>
      </>
    );
  }

  if (step === 'result' && created) {
    return (
      <>
        <Heading focusKey="result">Step 3 of 3: connect {created.setup.providerName}</Heading>
        <p>
          <strong>{created.name}</strong> is ready. Users it provisions join{' '}
          <strong>{created.group.name}</strong>.
        </p>
        <div class="credentials">
          <CopyField id="scim-base-url" label="SCIM base URL" value={created.scimBaseUrl} />
          <CopyField id="scim-token" label="Secret token" value={created.token} secret />
          <p class="warning" role="note">
            <strong>The token is shown only this once.</strong> Copy it into {created.setup.providerName} now:
            after you leave this page only its hint ({created.tokenHint}) is shown. If it is lost, rotate the
            token.
          </p>
        </div>
        <SetupSteps setup={created.setup} />
        <LiveStatus integration={created} />
        <p>
          <Link to={`/integrations/${created.id}`} class="button">
            Go to the integration
          </Link>
        </p>
      </>
    );
  }
  return null;
}
