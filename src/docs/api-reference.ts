import { Hono } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../http/app-env';
import { apiReferencePolicy } from '../http/content-security-policies';
import { SWAGGER_UI_DIST } from './swagger-ui-dist.generated';

/** A file of the reference's browser assets, or undefined when there is no such file. */
export type ApiReferenceAssets = (
  name: string,
) => Promise<{ body: Uint8Array<ArrayBuffer>; type: string } | undefined>;

// Where a runtime without the files on disk (Workers) loads the installed version from.
const CDN = `https://unpkg.com/swagger-ui-dist@${SWAGGER_UI_DIST.version}`;

// A file of its own rather than an inline script, so the page's policy allows no inline script.
const START_SCRIPT = `SwaggerUIBundle({ url: '/openapi.json', dom_id: '#api-reference', deepLinking: true });\n`;

/**
 * The interactive API reference at /docs (Swagger UI over /openapi.json). Node serves the
 * reference's assets from the installed package, so /docs works without internet.
 */
export function apiReferenceRoutes(title: string, assets?: ApiReferenceAssets) {
  const base = assets ? '/docs/assets' : CDN;
  const policy = apiReferencePolicy(
    assets
      ? undefined
      : { script: `${CDN}/swagger-ui-bundle.js`, stylesheet: `${CDN}/swagger-ui.css` },
  );
  // The browser runs a file from the CDN only if it is the installed one, byte for byte.
  const checked = (name: keyof typeof SWAGGER_UI_DIST.integrity) =>
    assets ? '' : html` integrity="${SWAGGER_UI_DIST.integrity[name]}" crossorigin="anonymous"`;
  const router = new Hono<AppEnv>();
  router.get('/docs', (c) =>
    c.html(
      html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} reference</title>
    <link rel="stylesheet" href="${base}/swagger-ui.css"${checked('swagger-ui.css')} />
  </head>
  <body>
    <div id="api-reference"></div>
    <script src="${base}/swagger-ui-bundle.js"${checked('swagger-ui-bundle.js')}></script>
    <script src="/docs/start.js"></script>
  </body>
</html>`,
      200,
      { 'Content-Security-Policy': policy },
    ),
  );
  router.get('/docs/start.js', (c) =>
    c.body(START_SCRIPT, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    }),
  );
  if (assets) {
    router.get('/docs/assets/:name', async (c) => {
      const file = await assets(c.req.param('name'));
      if (!file) return c.notFound();
      return c.body(file.body, 200, {
        'content-type': file.type,
        'cache-control': 'public, max-age=86400',
      });
    });
  }
  return router;
}
