import type { Deps } from './deps';
import { type ApiReferenceAssets, apiReferenceRoutes } from './docs/api-reference';
import { AppError } from './http/app-error';
import { CONSOLE_POLICY } from './http/content-security-policies';
import { createRouter } from './http/create-router';
import { privateAnswers } from './http/private-answers';
import { answerableError, renderProblem } from './http/problem';
import { requestId } from './http/request-id';
import { safeUrlText } from './http/request-input';
import { logRequest } from './http/request-log';
import { securityHeaders } from './http/security-headers';
import { crossOriginMiddleware, moduleRouters } from './modules';
import { cursorSeal } from './modules/auth/cursor-seal';
import { guardAccess } from './modules/auth/require-role';
import { consoleErrorPage } from './ui/console-router';

export const API_TITLE = 'forestall API';
export const API_VERSION = '0.1.0';
const CONSOLE_PATH = /^\/console(\/|$)/;

/**
 * Builds the whole HTTP app over injected deps; Node and Workers call this the same way.
 * Node hands over the API reference's assets, which Workers load from a CDN instead.
 */
export function createApp(deps: Deps, options: { apiReferenceAssets?: ApiReferenceAssets } = {}) {
  const app = createRouter();

  app.use('*', requestId);
  app.use('*', securityHeaders);
  app.use('*', privateAnswers);
  app.use('*', async (c, next) => {
    c.set('deps', deps);
    c.set('guard', guardAccess);
    c.set('cursorSeal', cursorSeal);
    await next();
  });
  for (const [path, middleware] of crossOriginMiddleware) app.use(path, middleware);
  app.use('*', safeUrlText);
  // Skipped altogether when info lines are not written: the notices API feels every step.
  app.use('*', async (c, next) => {
    if (!deps.logger.writes('info')) return next();
    const started = performance.now();
    await next();
    logRequest(deps.logger, c.var.requestId, c.req.method, c.req.path, c.res.status, started);
  });
  for (const router of moduleRouters(deps.config)) app.route('/', router);

  app.openAPIRegistry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (`fst_…`) created with POST /v1/api-keys.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'accountToken', {
    type: 'http',
    scheme: 'bearer',
    description:
      'A short-lived browser token (`fnt_…`) for one account, from POST /v1/accounts/{id}/token.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: API_TITLE,
      version: API_VERSION,
      description: 'Prevent support contacts instead of answering them.',
    },
    servers: [{ url: deps.config.publicUrl }],
  });
  app.route('/', apiReferenceRoutes(API_TITLE, options.apiReferenceAssets));
  // Someone who opens the address forestall printed lands where there is something to do.
  app.get('/', (c) => c.redirect('/console'));

  app.notFound((c) =>
    renderProblem(c, new AppError('not_found', `No route for ${c.req.method} ${c.req.path}.`)),
  );
  app.onError(async (error, c) => {
    // Refused before the console's router (a URL with text it cannot carry): a console page
    // still, under the console's policy, not problem JSON a browser shows as raw text.
    if (CONSOLE_PATH.test(c.req.path)) {
      const page = await consoleErrorPage(error, c);
      page.headers.set('Content-Security-Policy', CONSOLE_POLICY);
      return page;
    }
    return renderProblem(
      c,
      answerableError(deps.logger, error, {
        requestId: c.var.requestId,
        method: c.req.method,
        path: c.req.path,
      }),
    );
  });

  return app;
}

export type App = ReturnType<typeof createApp>;
