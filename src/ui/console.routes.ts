import { except } from 'hono/combine';
import { AppError } from '../http/app-error';
import { limitBody } from '../http/body-limit';
import { CONSOLE_POLICY } from '../http/content-security-policies';
import { documentPolicy } from '../http/security-headers';
import { FAVICON_SVG } from '../view-kit/favicon';
import { LOCAL_TIMES_PATH, LOCAL_TIMES_SCRIPT } from '../view-kit/local-times';
import { STYLESHEET, STYLESHEET_PATH } from '../view-kit/stylesheet';
import { accountRoutes } from './accounts.routes';
import { apiKeyRoutes } from './api-keys.routes';
import { campaignEmailRoutes } from './campaign-email.routes';
import { campaignImpactRoutes } from './campaign-impact.routes';
import { campaignRoutes } from './campaigns.routes';
import { consoleErrorPage, createConsoleRouter } from './console-router';
import { readSession } from './console-session';
import { eventRoutes } from './events.routes';
import { IMPORT_PATH, importRoutes } from './import.routes';
import { importRunRoutes } from './import-run.routes';
import { LIVE_PREVIEW_SCRIPT } from './live-preview-script';
import { overviewRoutes } from './overview.routes';
import { PENDING_FORMS_PATH, PENDING_FORMS_SCRIPT } from './pending-forms-script';
import { reasonRoutes } from './reasons.routes';
import { reportRoutes } from './reports.routes';
import { signInRoutes } from './sign-in.routes';
import { spikeRoutes } from './spikes.routes';
import { statusRoutes } from './status.routes';
import { statusComponentRoutes } from './status-components.routes';
import { statusReopenRoutes } from './status-reopen.routes';

/**
 * The console: server-rendered pages under /console, signed in with a session cookie; and the
 * stylesheet every page shares (the public ones too), named by its content.
 */
export const consoleRoutes = createConsoleRouter()
  // Set before the routes: each is wrapped with it as it is added to the app.
  .onError(consoleErrorPage)
  // The import form limits its upload itself, to answer with the form rather than this page.
  .use('/console/*', except(IMPORT_PATH, limitBody))
  .use('/console/*', documentPolicy(CONSOLE_POLICY))
  .route('/', signInRoutes)
  .route('/', overviewRoutes)
  .route('/', campaignRoutes)
  .route('/', campaignEmailRoutes)
  .route('/', campaignImpactRoutes)
  .route('/', statusRoutes)
  .route('/', statusComponentRoutes)
  .route('/', statusReopenRoutes)
  .route('/', reasonRoutes)
  .route('/', eventRoutes)
  .route('/', spikeRoutes)
  .route('/', reportRoutes)
  .route('/', accountRoutes)
  .route('/', importRoutes)
  .route('/', importRunRoutes)
  .route('/', apiKeyRoutes)
  .get(STYLESHEET_PATH, (c) =>
    c.body(STYLESHEET, 200, {
      'Content-Type': 'text/css; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
    }),
  )
  .get(LOCAL_TIMES_PATH, (c) =>
    c.body(LOCAL_TIMES_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=31536000, immutable',
    }),
  )
  .on('GET', ['/favicon.svg', '/favicon.ico'], (c) =>
    c.body(FAVICON_SVG, 200, {
      'Content-Type': 'image/svg+xml',
      'Cache-Control': 'public, max-age=86400',
    }),
  )
  .get('/console/assets/live-preview.js', (c) =>
    c.body(LIVE_PREVIEW_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
    }),
  )
  .get(PENDING_FORMS_PATH, (c) =>
    c.body(PENDING_FORMS_SCRIPT, 200, {
      'Content-Type': 'text/javascript; charset=utf-8',
      'Cache-Control': 'public, max-age=300',
    }),
  )
  // Last: a mistyped console address is a console page saying so, with the bar when signed in.
  .all('/console/*', async (c) => {
    const session = await readSession(c.var.deps, c);
    if (session) c.set('session', session);
    throw new AppError('not_found', `There is no console page at ${c.req.path}.`);
  });
