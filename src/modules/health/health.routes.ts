import { z } from '@hono/zod-openapi';
import { DATABASE_RETRY_AFTER_SECONDS } from '../../db/database-errors';
import { pingDatabase } from '../../db/ping';
import { AppError } from '../../http/app-error';
import { createRouter } from '../../http/create-router';
import { defineRoute, json, problemResponse } from '../../http/define-route';

const READY_TIMEOUT_MS = 2_000;

const healthRoute = defineRoute({
  access: 'public',
  method: 'get',
  path: '/health',
  tags: ['Health'],
  summary: 'Liveness: the process is up',
  responses: {
    200: {
      description: 'Up',
      content: json(z.object({ status: z.literal('ok') })),
    },
  },
});

const readyRoute = defineRoute({
  access: 'public',
  method: 'get',
  path: '/ready',
  tags: ['Health'],
  summary: 'Readiness: the database answers a round-trip and the notices caches are warm',
  responses: {
    200: {
      description: 'Ready',
      content: json(
        z.object({
          status: z.literal('ready'),
          database: z.literal('ok'),
          notices: z.literal('warm'),
        }),
      ),
    },
    503: problemResponse('The database did not answer, or the notices caches are warming.'),
  },
});

export const healthRoutes = createRouter()
  .openapi(healthRoute, (c) => c.json({ status: 'ok' as const }, 200))
  .openapi(readyRoute, async (c) => {
    try {
      await pingDatabase(c.var.deps.db, READY_TIMEOUT_MS);
    } catch (error) {
      c.var.deps.logger.warn('readiness check failed', {
        request_id: c.var.requestId,
        error: error instanceof Error ? error.message : String(error),
      });
      throw new AppError(
        'not_ready',
        'The database did not answer a round-trip.',
        undefined,
        DATABASE_RETRY_AFTER_SECONDS,
      );
    }
    if (!c.var.deps.readiness.noticesWarm) {
      throw new AppError(
        'not_ready',
        'The notices caches are still warming.',
        undefined,
        DATABASE_RETRY_AFTER_SECONDS,
      );
    }
    return c.json(
      { status: 'ready' as const, database: 'ok' as const, notices: 'warm' as const },
      200,
    );
  });
