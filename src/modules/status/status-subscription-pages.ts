import { html } from 'hono/html';

const STYLE = `font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto;
  padding: 0 1rem; line-height: 1.5; color: #1d2430;`;

const page = (title: string, body: ReturnType<typeof html>) => html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>${title}</title>
  </head>
  <body style="${STYLE}">
    <main><h1>${title}</h1>${body}<p><a href="/status">Back to the status page</a></p></main>
  </body>
</html>`;

/** Links in emails open a page with a button: mail scanners follow links with GET. */
export const confirmSubscriptionPage = () =>
  page(
    'Confirm status updates',
    html`<p>Get an email whenever an incident or maintenance is posted?</p>
      <form method="post"><button type="submit">Confirm</button></form>`,
  );

export const subscribedPage = (email: string) =>
  page(
    'You are subscribed',
    html`<p><strong>${email}</strong> gets an email with every status update.</p>`,
  );

export const unsubscribeStatusPage = (email: string) =>
  page(
    'Unsubscribe from status updates',
    html`<p>Stop sending status updates to <strong>${email}</strong>?</p>
      <form method="post">
        <input type="hidden" name="List-Unsubscribe" value="One-Click" />
        <button type="submit">Unsubscribe</button>
      </form>`,
  );

export const unsubscribedPage = (email: string) =>
  page('You are unsubscribed', html`<p><strong>${email}</strong> gets no more status updates.</p>`);

export const invalidSubscriptionLinkPage = () =>
  page('This link does not work', html`<p>It may be mistyped or no longer valid.</p>`);
