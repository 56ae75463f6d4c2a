/** The small pages `/portal/start` answers: the step before the portal, and what a link that does not open it says. */

export interface PortalPage {
  status: 200 | 400 | 403 | 410;
  title: string;
  paragraphs: string[];
  /** The form that opens the portal (the link's landing page only). */
  form?: { code: string; button: string };
}

export const LINK_GONE: PortalPage = {
  status: 410,
  title: 'This link has already been used or has expired',
  paragraphs: [
    'For your security, a link to the admin portal works only once, and only for a few minutes after it was made.',
    'Please ask your SaaS provider for a new link.',
  ],
};

export const LINK_MALFORMED: PortalPage = {
  status: 400,
  title: 'This link is not complete',
  paragraphs: [
    'The link you opened is cut short or was changed, so it cannot open the admin portal.',
    'Check that you opened the whole link, or ask your SaaS provider for a new link.',
  ],
};

export const CROSS_SITE: PortalPage = {
  status: 403,
  title: 'This sign-in did not come from the link’s own page',
  paragraphs: [
    'Another site tried to sign this browser in to an admin portal, so nothing was done.',
    'To open the portal, open the link your SaaS provider gave you and choose Continue there.',
  ],
};

/**
 * The page a good link lands on: it names the organisation and asks for one click. A GET only shows it (mail
 * scanners and link previews fetch links before the person does, and must not use them up); the button's POST
 * opens the session.
 */
export function landingPage(code: string, tenantName: string, idleMinutes: number): PortalPage {
  return {
    status: 200,
    title: 'Set up SCIM provisioning',
    paragraphs: [
      `This link opens the admin portal of <strong>${escapeHtml(tenantName)}</strong>, where you connect your ` +
        'identity provider.',
      `It works once: choosing Continue signs this browser in until it has been idle for ${idleMinutes} minutes.`,
    ],
    form: { code, button: 'Continue to the admin portal' },
  };
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]);
}

/** A plain, accessible page: one heading, a few sentences and at most one button, readable at any width. */
export function renderPortalPage(page: PortalPage): string {
  // The texts are this file's constants; what a request or a tenant brings is escaped where it is put in.
  const form = page.form
    ? `<form method="post" action="/portal/start">
<input type="hidden" name="code" value="${escapeHtml(page.form.code)}">
<button type="submit" autofocus>${page.form.button}</button>
</form>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<link rel="icon" href="data:,">
<title>${page.title} · Rollcall</title>
<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1.0625rem;line-height:1.6;color:#1b1b1b;background:#fff}
main{max-width:36rem;margin:0 auto;padding:3rem 1.25rem}
h1{font-size:1.5rem;line-height:1.3;margin:0 0 1rem}
button{font:inherit;font-weight:600;color:#fff;background:#1a56b8;border:0;border-radius:.375rem;padding:.75rem 1.25rem;min-height:44px;cursor:pointer}
button:focus-visible{outline:3px solid #0b2f6b;outline-offset:3px}
</style>
</head>
<body>
<main>
<h1>${page.title}</h1>
${page.paragraphs.map((p) => `<p>${p}</p>`).join('\n')}
${form}
</main>
</body>
</html>
`;
}
