import type { Child } from 'hono/jsx';
import type { Role } from '../db/schema';
import type { ConsoleSession } from './console-session';
import { type Flash, Message } from './kit/components';
import { Document } from './kit/document';
import { PostForm } from './kit/fields';

const NAV: { href: string; label: string; roles: Role[] }[] = [
  { href: '/console', label: 'Overview', roles: ['ops', 'analyst'] },
  { href: '/console/campaigns', label: 'Campaigns', roles: ['ops'] },
  { href: '/console/status', label: 'Status', roles: ['ops'] },
  { href: '/console/reasons', label: 'Contact reasons', roles: ['ops', 'analyst'] },
  { href: '/console/spikes', label: 'Spikes', roles: ['ops', 'analyst'] },
  { href: '/console/reports', label: 'Reports', roles: ['analyst'] },
];

export const mayUse = (role: Role, roles: readonly Role[]) =>
  role === 'admin' || roles.includes(role);

/** The console's pages a role may open, the current one marked. */
const Nav = ({ session, path }: { session: ConsoleSession; path: string }) => (
  <nav aria-label="Console">
    {NAV.filter((item) => mayUse(session.principal.role, item.roles)).map((item) => (
      <>
        <a href={item.href} aria-current={item.href === path ? 'page' : undefined}>
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
  children?: Child;
}) => (
  <Document title={`${props.title} · forestall console`} layout="console">
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
