import { useEffect, useRef, useState } from 'preact/hooks';
import type { ActivityEvent, IntegrationDetails } from './api';
import { errorText, Time, useApi } from './ui';

/** How often the page asks whether the identity provider has called yet. */
export const POLL_MS = 2000;
/**
 * Once connected, how many polls may look for the first request's event. The activity log records every
 * integration's first request, even a read, by the time it is answered; lastRequestAt (the token's last use) may
 * show a moment sooner. The event is missing only when the log no longer holds it (past its retention).
 */
const FIRST_EVENT_POLLS = 3;

/**
 * "Waiting for the first request from your identity provider", turning into "Connected" with the first
 * request's summary, without a reload. It polls the documented details endpoint (lastRequestAt) and the
 * activity log every 2 s while the page is visible: the settings API has no push channel and the portal adds
 * no endpoint, a poll is one cheap indexed read, and it works through every proxy.
 */
export function LiveStatus(props: {
  integration: IntegrationDetails;
  onDetails?: (d: IntegrationDetails) => void;
}) {
  const api = useApi();
  const id = props.integration.id;
  const [lastRequestAt, setLastRequestAt] = useState(props.integration.lastRequestAt);
  const [first, setFirst] = useState<ActivityEvent | null>(null);
  const [error, setError] = useState<string | null>(null);
  const onDetails = useRef(props.onDetails);
  onDetails.current = props.onDetails;

  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    let polls = 0;
    let connectedAt: string | null = props.integration.lastRequestAt;
    const poll = async () => {
      if (document.hidden) return;
      try {
        if (!connectedAt) {
          const details = await api.integration(id);
          if (!live) return;
          onDetails.current?.(details);
          connectedAt = details.lastRequestAt;
          setLastRequestAt(connectedAt);
        }
        if (connectedAt) {
          polls++;
          const page = await api.events(id, { limit: 200 });
          if (!live) return;
          const oldest = page.nextCursor ? null : page.items[page.items.length - 1];
          if (oldest) setFirst(oldest);
          if (oldest || page.nextCursor || polls >= FIRST_EVENT_POLLS) return true;
        }
        setError(null);
      } catch (e) {
        if (live) setError(errorText(e));
      }
      return false;
    };
    const loop = async () => {
      const done = await poll();
      if (live && !done) timer = window.setTimeout(() => void loop(), POLL_MS);
    };
    void loop();
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, [id]);

  const provider = props.integration.setup.providerName;
  return (
    <section class={`live ${lastRequestAt ? 'connected' : 'waiting'}`} aria-labelledby="live-heading">
      <h2 id="live-heading">Connection</h2>
      <div role="status" aria-live="polite" aria-atomic="true" data-testid="live-status">
        {lastRequestAt ? (
          <>
            <p class="live-title">
              <span class="dot" aria-hidden="true" /> Connected
            </p>
            <p>
              {provider} reached Rollcall. Last request: <Time value={lastRequestAt} />.
            </p>
            {first && (
              <p class="first-request" data-testid="first-request">
                First request: <code>{first.method}</code> <code>{first.path}</code>
                {first.resourceName ? ` (${first.resourceName})` : ''}, answered {first.status}
                {first.outcome === 'read' ? '' : ` (${first.outcome})`} at <Time value={first.time} />.
              </p>
            )}
          </>
        ) : (
          <>
            <p class="live-title">
              <span class="dot pulse" aria-hidden="true" /> Waiting for the first request from your identity
              provider…
            </p>
            <p class="hint">
              This updates by itself as soon as {provider} calls Rollcall (for example with Test API
              Credentials or its first provisioning).
            </p>
          </>
        )}
      </div>
      {error && (
        <p class="error" role="alert">
          Could not check the connection: {error}
        </p>
      )}
    </section>
  );
}
