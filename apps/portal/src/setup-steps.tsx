import type { IntegrationDetails } from './api';

/** The provider's set-up steps, from the integration's `setup` (GET /api/v1/scim-integrations/:id). */
export function SetupSteps(props: { setup: IntegrationDetails['setup'] }) {
  const s = props.setup;
  return (
    <section aria-labelledby="setup-heading" class="setup">
      <h2 id="setup-heading">Set up {s.providerName}</h2>
      <p>
        Paste the SCIM base URL into <strong>{s.baseUrlField}</strong> and the token into{' '}
        <strong>{s.tokenField}</strong>.
      </p>
      <ol class="steps">
        {s.steps.map((step) => (
          <li key={step.title}>
            <strong>{step.title}.</strong> {step.detail}
          </li>
        ))}
      </ol>
      {s.notes.length > 0 && (
        <ul class="notes">
          {s.notes.map((n) => (
            <li key={n}>{n}</li>
          ))}
        </ul>
      )}
    </section>
  );
}
