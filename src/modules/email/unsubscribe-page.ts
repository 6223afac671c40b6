import { html } from 'hono/html';

const STYLE = `font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 0 1rem;
  line-height: 1.5; color: #1d2430;`;

const page = (title: string, body: ReturnType<typeof html>) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>${title}</title>
  </head>
  <body style="${STYLE}">
    <main><h1>${title}</h1>${body}</main>
  </body>
</html>`;

/** What the link in an email opens: a confirmation, since mail scanners follow links with GET. */
export const confirmPage = (email: string, suppressed: boolean) =>
  suppressed
    ? page(
        'You are unsubscribed',
        html`<p><strong>${email}</strong> receives no more of these emails.</p>`,
      )
    : page(
        'Unsubscribe',
        html`<p>Stop sending these emails to <strong>${email}</strong>?</p>
          <form method="post">
            <input type="hidden" name="List-Unsubscribe" value="One-Click" />
            <button type="submit">Unsubscribe</button>
          </form>`,
      );

export const donePage = (email: string) =>
  page(
    'You are unsubscribed',
    html`<p><strong>${email}</strong> receives no more of these emails.</p>`,
  );

export const invalidLinkPage = () =>
  page(
    'This link does not work',
    html`<p>The unsubscribe link is incomplete or was changed. Use the link from the email itself.</p>`,
  );
