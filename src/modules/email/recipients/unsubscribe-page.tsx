import type { Child } from 'hono/jsx';
import { Document, renderToString } from '../../../view-kit/document';

const Page = (props: { title: string; children?: Child }) => (
  <Document
    title={props.title}
    layout="notice-page"
    head={<meta name="robots" content="noindex" />}
  >
    <main>
      <h1>{props.title}</h1>
      {props.children}
    </main>
  </Document>
);

const unsubscribed = (email: string) => (
  <Page title="You are unsubscribed">
    <p>
      <strong>{email}</strong> receives no more of these emails.
    </p>
  </Page>
);

/** What the link in an email opens: a confirmation, since mail scanners follow links with GET. */
export const confirmPage = (email: string, suppressed: boolean) =>
  renderToString(
    suppressed ? (
      unsubscribed(email)
    ) : (
      <Page title="Unsubscribe">
        <p>
          Stop sending these emails to <strong>{email}</strong>?
        </p>
        <form method="post">
          <input type="hidden" name="List-Unsubscribe" value="One-Click" />
          <button type="submit">Unsubscribe</button>
        </form>
      </Page>
    ),
  );

export const donePage = (email: string) => renderToString(unsubscribed(email));

export const invalidLinkPage = () =>
  renderToString(
    <Page title="This link does not work">
      <p>The unsubscribe link is incomplete or was changed. Use the link from the email itself.</p>
    </Page>,
  );
