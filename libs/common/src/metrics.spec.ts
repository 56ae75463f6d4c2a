import { Histogram, Registry } from 'prom-client';
import { Metrics, REQUEST_SECONDS_BUCKETS } from './metrics';

/** The lines of one metric family (HELP and TYPE aside) in Prometheus text. */
function family(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('#') && new RegExp(`^${name}(_bucket|_sum|_count)?[{ ]`).test(line));
}

describe(Metrics.name, () => {
  it('prints the request duration histogram exactly as prom-client’s own Histogram would', async () => {
    const metrics = new Metrics();
    const reference = new Registry();
    const histogram = new Histogram({
      name: 'rollcall_http_request_duration_seconds',
      help: 'reference',
      labelNames: ['route', 'method'],
      buckets: REQUEST_SECONDS_BUCKETS,
      registers: [reference],
    });
    const observations: [string, string, number][] = [
      ['/scim/v2/Users', 'POST', 0.0004],
      ['/scim/v2/Users', 'POST', 0.001], // on a bound: counted in it (le is "less than or equal")
      ['/scim/v2/Users', 'POST', 0.0031],
      ['/scim/v2/Users', 'GET', 0.52],
      ['/scim/v2/Users/:id', 'PATCH', 12], // past the last bound: only in +Inf
      ['unmatched', 'GET', 0.002],
    ];
    for (const [route, method, seconds] of observations) {
      metrics.requestAnswered(route, method, 200, 'okta', seconds);
      histogram.observe({ route, method }, seconds);
    }
    const name = 'rollcall_http_request_duration_seconds';
    expect(family(await metrics.text(), name)).toEqual(family(await reference.metrics(), name));
    expect(family(await metrics.text(), name)).toHaveLength(4 * (REQUEST_SECONDS_BUCKETS.length + 3));
  });

  it('leaves a refusal (429) out of the durations, whose pause is deliberate, but counts it', async () => {
    const metrics = new Metrics();
    metrics.requestAnswered('/scim/v2/Users', 'GET', 429, 'okta', 0.51);
    metrics.requestAnswered('/scim/v2/Users', 'GET', 200, 'okta', 0.004);
    const lines = (await metrics.text()).split('\n');
    expect(lines).toContain(
      'rollcall_http_requests_total{route="/scim/v2/Users",method="GET",status="429",provider="okta"} 1',
    );
    expect(lines).toContain(
      'rollcall_http_request_duration_seconds_count{route="/scim/v2/Users",method="GET"} 1',
    );
    expect(lines).toContain(
      'rollcall_http_request_duration_seconds_sum{route="/scim/v2/Users",method="GET"} 0.004',
    );
  });

  it('counts requests by route, method, status and provider, and never counts one twice across scrapes', async () => {
    const metrics = new Metrics();
    metrics.requestAnswered('/scim/v2/Users', 'POST', 201, 'okta', 0.002);
    metrics.requestAnswered('/scim/v2/Users', 'POST', 201, 'okta', 0.002);
    metrics.requestAnswered('/scim/v2/Users', 'POST', 409, 'entra', 0.002);
    metrics.requestAnswered('/api/v1/groups', 'GET', 200, 'none', 0.002);
    const lines = () => metrics.text().then((text) => family(text, 'rollcall_http_requests_total'));
    expect(await lines()).toEqual([
      'rollcall_http_requests_total{route="/scim/v2/Users",method="POST",status="201",provider="okta"} 2',
      'rollcall_http_requests_total{route="/scim/v2/Users",method="POST",status="409",provider="entra"} 1',
      'rollcall_http_requests_total{route="/api/v1/groups",method="GET",status="200",provider="none"} 1',
    ]);
    metrics.requestAnswered('/scim/v2/Users', 'POST', 201, 'okta', 0.002);
    expect((await lines())[0]).toBe(
      'rollcall_http_requests_total{route="/scim/v2/Users",method="POST",status="201",provider="okta"} 3',
    );
    expect((await lines()).slice(1)).toEqual([
      'rollcall_http_requests_total{route="/scim/v2/Users",method="POST",status="409",provider="entra"} 1',
      'rollcall_http_requests_total{route="/api/v1/groups",method="GET",status="200",provider="none"} 1',
    ]);
  });

  it('shows every refusal and event series from the start, at 0, so that rates and alerts see them', async () => {
    const text = await new Metrics().text();
    for (const line of [
      'rollcall_rate_limited_total{api="scim",reason="rate"} 0',
      'rollcall_rate_limited_total{api="scim",reason="in-flight"} 0',
      'rollcall_rate_limited_total{api="settings",reason="rate"} 0',
      'rollcall_rate_limited_total{api="settings",reason="in-flight"} 0',
      'rollcall_admission_queue_timeouts_total{api="scim"} 0',
      'rollcall_scim_events_written_total{kind="change"} 0',
      'rollcall_scim_events_written_total{kind="unchanged"} 0',
      'rollcall_scim_events_written_total{kind="failure"} 0',
      'rollcall_scim_events_written_total{kind="refusal_summary"} 0',
      'rollcall_scim_events_written_total{kind="first_read"} 0',
      'rollcall_scim_event_write_errors_total{kind="failure"} 0',
      'rollcall_db_pool_wait_seconds_count 0',
    ]) {
      expect(text.split('\n')).toContain(line);
    }
  });

  it('reads the pool’s gauges when scraped', async () => {
    const metrics = new Metrics();
    let usage = { total: 3, idle: 1, waiting: 0, max: 20 };
    metrics.observePool(() => usage);
    expect((await metrics.text()).split('\n')).toEqual(
      expect.arrayContaining([
        'rollcall_db_pool_connections 3',
        'rollcall_db_pool_idle_connections 1',
        'rollcall_db_pool_waiting 0',
        'rollcall_db_pool_max_connections 20',
      ]),
    );
    usage = { total: 20, idle: 0, waiting: 7, max: 20 };
    metrics.poolWaited(0.03);
    const lines = (await metrics.text()).split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        'rollcall_db_pool_connections 20',
        'rollcall_db_pool_waiting 7',
        'rollcall_db_pool_wait_seconds_bucket{le="0.025"} 0',
        'rollcall_db_pool_wait_seconds_bucket{le="0.05"} 1',
        'rollcall_db_pool_wait_seconds_count 1',
      ]),
    );
  });

  it('keeps each application’s counts apart', async () => {
    const a = new Metrics();
    const b = new Metrics();
    a.rateLimitedRequest('scim', 'in-flight');
    a.scimEventsWritten('change', 2);
    expect(await a.text()).toContain('rollcall_rate_limited_total{api="scim",reason="in-flight"} 1');
    expect(await a.text()).toContain('rollcall_scim_events_written_total{kind="change"} 2');
    expect(await b.text()).toContain('rollcall_rate_limited_total{api="scim",reason="in-flight"} 0');
    expect(await b.text()).toContain('rollcall_scim_events_written_total{kind="change"} 0');
  });
});
