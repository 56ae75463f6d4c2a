import { useEffect, useRef, useState } from 'preact/hooks';
import type { ActivityEvent, CursorPage, IntegrationDetails } from './api';
import { errorText, Time, useApi } from './ui';

/** How often the page asks whether the identity provider has called yet. */
export const POLL_MS = 2000;
/** The first request is shown while the log holds at most this many events: soon after connecting. */
const FIRST_PAGE = 20;

/**
 * "Waiting for the first request from your identity provider", turning into "Connected" with the first
 * request's summary, without a reload. The settings API has no push channel and the portal adds no endpoint, so
 * it polls, only while the page is visible:
 *
 * - Waiting: the parent has just loaded the details (or created the integration), so the first poll waits
 *   POLL_MS. Each poll reads the events endpoint with `limit: 1`, one indexed row: an integration's first
 *   request, read or write, is in the activity log before it is answered (ADR 0007), so an event means
 *   "connected".
 * - The first request is the log's oldest event, and the API lists newest first only. When that one-row page
 *   has no next page, its event is the first request. Otherwise one page of FIRST_PAGE events is read, once:
 *   its last event is the first request when the log ends there; a longer log connected well before (the
 *   Activity tab has its first request) and none is shown. Never a walk through the log.
 * - On connecting it reads the details once more, for the last request's time and for the parent (onDetails).
 *   Connected already when it appears, it only looks for the first request, at once.
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
    const connected = props.integration.lastRequestAt !== null;
    const oldest = async (newest?: CursorPage<ActivityEvent>) => {
      const page = newest && !newest.nextCursor ? newest : await api.events(id, { limit: FIRST_PAGE });
      return page.nextCursor ? null : (page.items.at(-1) ?? null);
    };
    /** One poll; true when there is nothing more to ask. */
    const poll = async (): Promise<boolean> => {
      if (connected) {
        const event = await oldest();
        if (live) setFirst(event);
        return true;
      }
      const newest = await api.events(id, { limit: 1 });
      if (newest.items.length === 0) return false;
      const [event, details] = await Promise.all([oldest(newest), api.integration(id)]);
      if (!live) return true;
      setFirst(event);
      setLastRequestAt(details.lastRequestAt ?? newest.items[0].time);
      onDetails.current?.(details);
      return true;
    };
    const loop = async () => {
      let done = false;
      if (!document.hidden) {
        try {
          done = await poll();
          if (live) setError(null);
        } catch (e) {
          if (live) setError(errorText(e));
        }
      }
      if (live && !done) timer = window.setTimeout(() => void loop(), POLL_MS);
    };
    if (connected) void loop();
    else timer = window.setTimeout(() => void loop(), POLL_MS);
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
