import { OpenAPIHono } from '@hono/zod-openapi';
import { countOf } from '../lib/count-words';
import type { AppEnv } from './app-env';
import { AppError, fieldErrors } from './app-error';
import './bound-messages';

const LOCATIONS: Record<string, string> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

/** Every router shares one validation hook, so every 400 looks the same. */
export function createRouter() {
  const router = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const location = LOCATIONS[result.target] ?? result.target;
      const errors = fieldErrors(result.error.issues, location);
      const fields = countOf(errors.length, 'invalid field');
      throw new AppError('validation_failed', `${fields} in the request ${location}.`, errors);
    },
  });
  const openapi = router.openapi;
  router.openapi = ((route, handler, hook) =>
    openapi(route, keepAnswer(handler), hook)) as typeof router.openapi;
  return router;
}

type Handler = Parameters<OpenAPIHono<AppEnv>['openapi']>[1];

/**
 * Keeps the handler's answer on the request. Once the request's deadline has answered 503,
 * Hono drops what the handler returns when it finishes after all; `idempotent` must still
 * store it, or a retry with the same key would run the work again.
 */
function keepAnswer(handler: Handler): Handler {
  const kept: Handler = async (c, next) => {
    const answer: unknown = await handler(c, next);
    if (answer instanceof Response) c.set('handlerAnswer', answer);
    return answer as Response;
  };
  return kept;
}
