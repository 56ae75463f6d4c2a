/** The small pages `GET /portal/start` answers when a link does not open the portal. */

export interface PortalPage {
  status: 400 | 410;
  title: string;
  paragraphs: string[];
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

/** A plain, accessible page: one heading, a few sentences, readable at any width and contrast. */
export function renderPortalPage(page: PortalPage): string {
  // Every text here is a constant of this file: nothing from the request is written into the page.
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · Rollcall</title>
<style>
body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:1.0625rem;line-height:1.6;color:#1b1b1b;background:#fff}
main{max-width:36rem;margin:0 auto;padding:3rem 1.25rem}
h1{font-size:1.5rem;line-height:1.3;margin:0 0 1rem}
</style>
</head>
<body>
<main>
<h1>${page.title}</h1>
${page.paragraphs.map((p) => `<p>${p}</p>`).join('\n')}
</main>
</body>
</html>
`;
}
