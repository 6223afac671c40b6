import type { Child } from 'hono/jsx';
import type { Role } from '../db/schema';
import { type Flash, Message } from '../view-kit/components';
import { Document } from '../view-kit/document';
import { PostForm } from '../view-kit/fields';
import { LOCAL_TIMES_PATH } from '../view-kit/local-times';
import type { ConsoleSession } from './console-session';

/**
 * Who may open each part of the console (admin always). The routes guard with these and the
 * pages link only where the reader may go, so no link leads to a 403.
 */
export const PAGE_ROLES = {
  overview: ['ops', 'analyst'],
  campaigns: ['ops'],
  status: ['ops'],
  reasons: ['ops', 'analyst'],
  /** The calendar's events, as `GET /v1/events` reads them. */
  events: ['ops', 'analyst'],
  spikes: ['ops', 'analyst'],
  /** Running detection on demand. */
  detection: ['ops'],
  /** Adding, editing and deleting events and importing holidays, as the events API's writes. */
  calendar: ['ops'],
  reports: ['analyst'],
  accounts: ['ops'],
  /** Importing a CSV of tickets. */
  import: ['ops'],
  /** Creating, listing and revoking API keys: admin only. */
  apiKeys: [],
} as const satisfies Record<string, readonly Role[]>;
export type ConsoleArea = keyof typeof PAGE_ROLES;

const NAV: { href: string; label: string; area: ConsoleArea }[] = [
  { href: '/console', label: 'Overview', area: 'overview' },
  { href: '/console/campaigns', label: 'Campaigns', area: 'campaigns' },
  { href: '/console/status', label: 'Status', area: 'status' },
  { href: '/console/reasons', label: 'Contact reasons', area: 'reasons' },
  { href: '/console/events', label: 'Events', area: 'events' },
  { href: '/console/import', label: 'Import', area: 'import' },
  { href: '/console/spikes', label: 'Spikes', area: 'spikes' },
  { href: '/console/reports', label: 'Reports', area: 'reports' },
  { href: '/console/accounts', label: 'Accounts', area: 'accounts' },
  { href: '/console/api-keys', label: 'API keys', area: 'apiKeys' },
];

export const mayUse = (role: Role, roles: readonly Role[]) =>
  role === 'admin' || roles.includes(role);

export const mayOpen = (session: ConsoleSession, area: ConsoleArea) =>
  mayUse(session.principal.role, PAGE_ROLES[area]);

/** A link into an area of the console, or just its text for a reader who may not open it. */
export const AreaLink = (props: {
  session: ConsoleSession;
  area: ConsoleArea;
  href: string;
  children?: Child;
}) =>
  mayOpen(props.session, props.area) ? <a href={props.href}>{props.children}</a> : props.children;

/**
 * Where the reader is: "page" on the area's own page, "true" on a page under it (a campaign, a
 * new campaign's form), so the area stays marked. The overview has no pages under it.
 */
export function navMark(href: string, path: string): 'page' | 'true' | undefined {
  if (href === path) return 'page';
  return href !== '/console' && path.startsWith(`${href}/`) ? 'true' : undefined;
}

/** The console's pages a role may open, the current one marked. */
const Nav = ({ session, path }: { session: ConsoleSession; path: string }) => (
  <nav aria-label="Console">
    {NAV.filter((item) => mayOpen(session, item.area)).map((item) => (
      <>
        <a href={item.href} aria-current={navMark(item.href, path)}>
          {item.label}
        </a>{' '}
      </>
    ))}
  </nav>
);

/** Every console page: the bar with the nav and the signed-in key, then the flash and content. */
export const ConsoleLayout = (props: {
  title: string;
  session: ConsoleSession | null;
  path: string;
  flash?: Flash;
  /** More `<head>` elements (a refresh while work runs). */
  head?: Child;
  children?: Child;
}) => (
  <Document
    title={`${props.title} · forestall console`}
    layout="console"
    head={
      <>
        <script src={LOCAL_TIMES_PATH} defer />
        {props.head}
      </>
    }
  >
    <header class="bar">
      <strong>forestall</strong>
      {props.session ? (
        <>
          <Nav session={props.session} path={props.path} />
          <PostForm action="/console/sign-out" csrf={props.session.csrfToken}>
            <span>
              {props.session.principal.name} ({props.session.principal.role})
            </span>{' '}
            <button type="submit" class="secondary">
              Sign out
            </button>
          </PostForm>
        </>
      ) : (
        ''
      )}
    </header>
    <main>
      {props.flash ? <Message flash={props.flash} /> : ''}
      {props.children}
    </main>
  </Document>
);
