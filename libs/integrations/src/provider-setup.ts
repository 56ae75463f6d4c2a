import type { ScimProvider } from '@rollcall/database';
import type { IntegrationSetupDto } from './integration.dto';

/**
 * How to connect each identity provider, as structured data for a console or a CLI to show (and the README's
 * provider sections say the same). Field names are those of each provider's own screens where they are
 * well known; where a provider's labels vary, the text says what the field is for instead of guessing a label.
 * Never holds a token: the wizard's answer shows it once, beside this.
 */
export function providerSetup(provider: ScimProvider, baseUrl: string): IntegrationSetupDto {
  switch (provider) {
    case 'okta':
      return {
        provider,
        providerName: 'Okta',
        baseUrl,
        baseUrlField: 'Base URL',
        tokenField: 'OAuth Bearer Token',
        steps: [
          {
            title: 'Add the app',
            detail:
              'Admin Console → Applications → Browse App Catalog: search "SCIM 2.0 Test App (OAuth Bearer Token)", ' +
              'Add Integration, give it a name, Done.',
          },
          {
            title: 'Enable the API integration',
            detail: `Provisioning → Configure API Integration → Enable API integration. Base URL: ${baseUrl}. OAuth Bearer Token: the integration's token (rc_scim_…).`,
          },
          {
            title: 'Test and save',
            detail: 'Test API Credentials (Okta looks up a userName with GET /Users), then Save.',
          },
          {
            title: 'Choose what Okta may do',
            detail:
              'Provisioning → To App → Edit: enable Create Users, Update User Attributes and Deactivate Users ' +
              '(and Sync Password if wanted), Save.',
          },
          {
            title: 'Assign',
            detail:
              'Assignments: assign people or groups. Optionally, Push Groups pushes Okta groups as SCIM groups.',
          },
        ],
        notes: [
          'Okta deactivates users (active: false) and never deletes them.',
          'What Okta sent is in the activity log: GET /api/v1/scim-integrations/:id/events.',
        ],
      };
    case 'entra':
      return {
        provider,
        providerName: 'Microsoft Entra ID',
        baseUrl,
        baseUrlField: 'Tenant URL',
        tokenField: 'Secret Token',
        steps: [
          {
            title: 'Create the application',
            detail:
              'Entra admin center → Enterprise applications → New application → Create your own application ' +
              '("Integrate any other application you don\'t find in the gallery (Non-gallery)").',
          },
          {
            title: 'Connect provisioning',
            detail: `Provisioning → Get started, Provisioning Mode: Automatic. Tenant URL: ${baseUrl} (keep ?aadOptscim062020). Secret Token: the integration's token (rc_scim_…). Test Connection, then Save.`,
          },
          {
            title: 'Check the mappings and scope',
            detail:
              'Mappings: keep the user mapping (userName ← userPrincipalName, …) and, for groups, the group ' +
              'mapping. Settings → Scope: "Sync only assigned users and groups".',
          },
          {
            title: 'Assign and start',
            detail: 'Users and groups: assign users and groups, then Start provisioning.',
          },
        ],
        notes: [
          'The base URL carries ?aadOptscim062020, which makes Entra send RFC 7644-compliant PATCH requests.',
          'Entra provisions in cycles (about every 40 minutes), not at once.',
        ],
      };
    case 'onelogin':
      return {
        provider,
        providerName: 'OneLogin',
        baseUrl,
        baseUrlField: 'SCIM Base URL',
        tokenField: 'SCIM Bearer Token',
        steps: [
          {
            title: 'Add the app',
            detail: 'Applications → Add App: search "SCIM Provisioner with SAML (SCIM v2 Enterprise)", Save.',
          },
          {
            title: 'Connect',
            detail: `Configuration: SCIM Base URL: ${baseUrl}. SCIM Bearer Token: the integration's token (rc_scim_…). Enable the API connection, Save.`,
          },
          {
            title: 'Turn provisioning on',
            detail:
              'Provisioning: enable provisioning and choose what OneLogin may do when users are created, ' +
              'deleted or suspended (deactivating rather than deleting keeps them in Rollcall). Save.',
          },
          { title: 'Assign', detail: 'Assign users (Users, or Rules/roles) to the app.' },
        ],
        notes: [
          'The SCIM JSON Template decides which OneLogin field becomes userName: keep it a stable, unique value such as the email.',
        ],
      };
    case 'jumpcloud':
      return {
        provider,
        providerName: 'JumpCloud',
        baseUrl,
        baseUrlField: 'Base URL',
        tokenField: "the bearer token field of the app's SCIM settings",
        steps: [
          {
            title: 'Add the app',
            detail: 'SSO Applications: add a custom application (or open the one you use for sign-in).',
          },
          {
            title: 'Connect',
            detail: `Identity Management: choose SCIM 2.0, Base URL: ${baseUrl}, and the integration's token (rc_scim_…) as the bearer token. Test the connection, then activate.`,
          },
          {
            title: 'Assign',
            detail: 'User Groups: bind the groups whose users should be provisioned to the app.',
          },
        ],
        notes: [],
      };
    case 'google':
      return {
        provider,
        providerName: 'Google Workspace',
        baseUrl,
        baseUrlField: "the app's SCIM endpoint (base URL) field",
        tokenField: "the app's access token (bearer token) field",
        steps: [
          {
            title: 'Check that automatic provisioning is offered',
            detail:
              'Admin console → Apps → Web and mobile apps: open the app. Google Workspace provisions ' +
              'automatically only to apps whose settings offer "Auto-provisioning"; where yours does not, use a ' +
              'directory-sync tool that reads Google Workspace and writes SCIM, with the same URL and token.',
          },
          {
            title: 'Connect',
            detail: `Where the app's auto-provisioning settings ask for an endpoint URL and a token, give ${baseUrl} and the integration's token (rc_scim_…), and map userName to the primary email.`,
          },
          {
            title: 'Scope and turn on',
            detail: 'Choose the groups or organisational units to provision, then turn auto-provisioning on.',
          },
        ],
        notes: [],
      };
    case 'generic':
      return {
        provider,
        providerName: 'Other SCIM 2.0 client',
        baseUrl,
        baseUrlField: 'SCIM base URL (endpoint)',
        tokenField: 'Authorization header: Bearer <token>',
        steps: [
          {
            title: 'Connect',
            detail: `Point the client at ${baseUrl} and send the integration's token (rc_scim_…) in every request as "Authorization: Bearer <token>".`,
          },
          {
            title: 'Check',
            detail:
              'GET /ServiceProviderConfig, /ResourceTypes and /Schemas say what is supported; GET ' +
              '/Users?filter=userName eq "…" is what most clients try first.',
          },
        ],
        notes: [
          'Requests may be application/scim+json or application/json (RFC 7644).',
          'Every write and every failure is in the activity log, with what each write changed, and so is the ' +
            'first request even when it only reads (so you can see that the client connected).',
        ],
      };
  }
}
