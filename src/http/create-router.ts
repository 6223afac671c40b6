import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './app-env';
import { AppError, fieldErrors } from './app-error';

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
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (result.success) return;
      const location = LOCATIONS[result.target] ?? result.target;
      const errors = fieldErrors(result.error.issues, location);
      const fields = `${errors.length} invalid field${errors.length === 1 ? '' : 's'}`;
      throw new AppError('validation_failed', `${fields} in the request ${location}.`, errors);
    },
  });
}
