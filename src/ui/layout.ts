import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import type { Role } from '../db/schema';
import type { ConsoleSession } from './console-session';

export type Markup = HtmlEscapedString | Promise<HtmlEscapedString>;

const STYLE = `
  :root { color-scheme: light; font-family: system-ui, sans-serif; color: #1d2430; }
  body { margin: 0; line-height: 1.45; }
  a { color: #1d4ed8; }
  header.bar { display: flex; gap: 1.5rem; align-items: center; padding: .6rem 1.5rem; background: #111827; color: #fff; }
  header.bar a { color: #fff; text-decoration: none; padding: .25rem .4rem; border-radius: .25rem; }
  header.bar a[aria-current="page"] { background: #374151; }
  header.bar form { margin-left: auto; }
  main { max-width: 68rem; margin: 1.5rem auto; padding: 0 1.5rem; }
  h1 { font-size: 1.5rem; margin-top: 0; }
  section.card { border: 1px solid #d5dae1; border-radius: .5rem; padding: 1rem 1.25rem; margin-bottom: 1.25rem; }
  .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 1.25rem; }
  table { border-collapse: collapse; width: 100%; font-size: .92rem; }
  th, td { text-align: left; padding: .35rem .5rem; border-bottom: 1px solid #e4e7eb; vertical-align: top; }
  label { display: block; font-weight: 600; margin-top: .75rem; }
  .hint { font-weight: 400; color: #4a5566; font-size: .85rem; }
  input[type=text], input[type=password], input[type=number], input[type=url], input[type=datetime-local], select, textarea {
    width: 100%; box-sizing: border-box; padding: .45rem; border: 1px solid #8b95a3; border-radius: .3rem; font: inherit; }
  textarea { min-height: 6rem; }
  fieldset { border: 1px solid #d5dae1; border-radius: .4rem; margin-top: .75rem; }
  fieldset label { display: inline-block; font-weight: 400; margin-right: 1rem; }
  button { font: inherit; padding: .45rem .9rem; border-radius: .3rem; border: 1px solid #1d4ed8; background: #1d4ed8; color: #fff; cursor: pointer; margin-top: .75rem; }
  button.secondary { background: #fff; color: #1d4ed8; }
  button.danger { background: #b91c1c; border-color: #b91c1c; }
  :focus-visible { outline: 3px solid #f59e0b; outline-offset: 2px; }
  .error { color: #b91c1c; font-size: .88rem; margin: .2rem 0 0; }
  [aria-invalid="true"] { border-color: #b91c1c !important; }
  .flash { padding: .75rem 1rem; border-radius: .4rem; margin-bottom: 1rem; }
  .flash.ok { background: #dcfce7; } .flash.bad { background: #fee2e2; }
  .empty { color: #4a5566; font-style: italic; }
  .pill { display: inline-block; padding: 0 .45rem; border-radius: 1rem; background: #e5e7eb; font-size: .8rem; }
  .banner { border-left: 4px solid #1d4ed8; padding: .6rem .9rem; background: #eff6ff; border-radius: .3rem; }
  .banner.critical { border-color: #b91c1c; background: #fef2f2; } .banner.warning { border-color: #b45309; background: #fffbeb; }
  .banner.maintenance { border-color: #6d28d9; background: #f5f3ff; }
  iframe.email { width: 100%; height: 30rem; border: 1px solid #d5dae1; border-radius: .4rem; }
`;

const NAV: { href: string; label: string; roles: Role[] }[] = [
  { href: '/console', label: 'Overview', roles: ['ops', 'analyst'] },
  { href: '/console/campaigns', label: 'Campaigns', roles: ['ops'] },
  { href: '/console/status', label: 'Status', roles: ['ops'] },
  { href: '/console/reasons', label: 'Contact reasons', roles: ['ops', 'analyst'] },
  { href: '/console/reports', label: 'Reports', roles: ['analyst'] },
];

export const mayUse = (role: Role, roles: readonly Role[]) =>
  role === 'admin' || roles.includes(role);

export function page(
  options: {
    title: string;
    session: ConsoleSession | null;
    path: string;
    flash?: { ok: boolean; text: string };
  },
  content: Markup,
) {
  const { session } = options;
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${options.title} · forestall console</title>
    <style>${raw(STYLE)}</style>
  </head>
  <body>
    <header class="bar">
      <strong>forestall</strong>
      ${
        session
          ? html`<nav aria-label="Console">${NAV.filter((item) =>
              mayUse(session.principal.role, item.roles),
            ).map(
              (item) =>
                html`<a href="${item.href}" ${item.href === options.path ? raw('aria-current="page"') : ''}>${item.label}</a> `,
            )}</nav>
            <form method="post" action="/console/sign-out">
              ${csrfField(session)}
              <span>${session.principal.name} (${session.principal.role})</span>
              <button type="submit" class="secondary">Sign out</button>
            </form>`
          : ''
      }
    </header>
    <main>
      ${options.flash ? html`<p class="flash ${options.flash.ok ? 'ok' : 'bad'}" role="${options.flash.ok ? 'status' : 'alert'}">${options.flash.text}</p>` : ''}
      ${content}
    </main>
  </body>
</html>`;
}

export const csrfField = (session: ConsoleSession) =>
  html`<input type="hidden" name="_csrf" value="${session.csrfToken}" />`;
