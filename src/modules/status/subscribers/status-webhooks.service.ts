import { and, asc, eq, gt, sql } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../../db/database';
import { arrayParam, rowsOf } from '../../../db/json-param';
import { statusWebhooks } from '../../../db/schema';
import type { Deps } from '../../../deps';
import { AppError, notFound } from '../../../http/app-error';
import { type Page, type PageQuery, toPage } from '../../../http/pagination';
import { webhookAddressRefusal } from '../../../lib/webhook-address';
import { incidentJsonById, type PublicStatus, publicStatus } from '../public/public-status.service';
import type { StatusWebhookView } from '../status-schemas';

/** A delivery is given up after this many attempts: 2 minutes doubling, about 17 hours. */
const MAX_ATTEMPTS = 10;
const TIMEOUT_MS = 10_000;
/** Deliveries claimed, and sent at once, at a time. */
const BATCH = 20;
/** A run claims batch after batch for this long: an outage's update reaches every endpoint now. */
const RUN_MS = 40_000;
/**
 * A claimed delivery not settled after this long (a crash mid-call) is tried again; longer than
 * a batch whose endpoints all time out, so no other run takes a delivery still being sent.
 */
const LEASE_MS = TIMEOUT_MS + 60_000;

const REFUSALS = {
  'a private address': 'must not point at a private, link-local or reserved address',
  'a loopback address':
    'must not point at a loopback address (this machine) unless PUBLIC_URL is local or ' +
    'WEBHOOKS_ALLOW_LOOPBACK=true',
};

/** The webhook rule, for the address written in the URL; names are checked once resolved. */
function refuseAddress(deps: Deps, url: string) {
  const refused = webhookAddressRefusal(new URL(url).hostname, deps.config.webhooksAllowLoopback);
  if (!refused) return;
  throw new AppError('validation_failed', 'The webhook was not added.', [
    { location: 'body', path: 'url', message: REFUSALS[refused] },
  ]);
}

export async function createStatusWebhook(
  deps: Deps,
  url: string,
): Promise<StatusWebhookView & { secret: string }> {
  refuseAddress(deps, url);
  const key = crypto.getRandomValues(new Uint8Array(32));
  const secret = `whsec_${btoa(String.fromCharCode(...key))}`;
  const id = uuidv7();
  await deps.db.insert(statusWebhooks).values({ id, url, secret, createdAt: deps.clock.now() });
  const [view] = await webhookViews(deps, { id });
  if (!view) throw notFound(`Webhook ${id}`);
  return { ...view, secret };
}

/** A page of endpoints in the order they were added, each with its deliveries counted. */
export async function listStatusWebhooks(
  deps: Deps,
  query: PageQuery,
): Promise<Page<StatusWebhookView>> {
  const views = await webhookViews(deps, {
    after: query.cursor,
    limit: query.limit + 1,
  });
  return toPage(views, query.limit);
}

export async function deleteStatusWebhook(deps: Deps, id: string): Promise<void> {
  const deleted = await deps.db
    .delete(statusWebhooks)
    .where(eq(statusWebhooks.id, id))
    .returning({ id: statusWebhooks.id });
  if (deleted.length === 0) throw notFound(`Webhook ${id}`);
}

async function webhookViews(
  deps: Deps,
  which: { id?: string; after?: string; limit?: number },
): Promise<StatusWebhookView[]> {
  // Ids are UUIDv7: their order is the order endpoints were added.
  const hooks = await deps.db
    .select({ id: statusWebhooks.id, url: statusWebhooks.url, createdAt: statusWebhooks.createdAt })
    .from(statusWebhooks)
    .where(
      and(
        which.id ? eq(statusWebhooks.id, which.id) : undefined,
        which.after ? gt(statusWebhooks.id, which.after) : undefined,
      ),
    )
    .orderBy(asc(statusWebhooks.id))
    .limit(which.limit ?? 1);
  if (hooks.length === 0) return [];
  const counts = rowsOf<{
    webhook_id: string;
    pending: number;
    delivered: number;
    failed: number;
    last_error: string | null;
  }>(
    await deps.db.execute(sql`
      select webhook_id::text,
        count(*) filter (where delivered_at is null and failed_at is null)::int as pending,
        count(*) filter (where delivered_at is not null)::int as delivered,
        count(*) filter (where failed_at is not null)::int as failed,
        (array_agg(last_error order by next_attempt_at desc)
          filter (where last_error is not null))[1] as last_error
      from status_webhook_deliveries
      where webhook_id = any(${arrayParam(
        hooks.map((hook) => hook.id),
        'uuid',
      )})
      group by webhook_id`),
  );
  const byHook = new Map(counts.map((row) => [row.webhook_id, row]));
  return hooks.map((hook) => {
    const count = byHook.get(hook.id);
    return {
      id: hook.id,
      url: hook.url,
      created_at: hook.createdAt.toISOString(),
      pending: count?.pending ?? 0,
      delivered: count?.delivered ?? 0,
      failed: count?.failed ?? 0,
      last_error: count?.last_error ?? null,
    };
  });
}

/** In the transaction that posts an update: one delivery owed to every endpoint. */
export async function queueStatusWebhooks(db: Db, incidentUpdateId: string, now: Date) {
  await db.execute(sql`
    insert into status_webhook_deliveries (webhook_id, incident_update_id, next_attempt_at)
    select id, ${incidentUpdateId}, ${now.toISOString()} from status_webhooks
    on conflict do nothing`);
}

/**
 * Standard Webhooks headers (`webhook-id`, `webhook-timestamp`, `webhook-signature`), so any
 * of its libraries verifies a delivery with the endpoint's `whsec_` secret; the id stays the
 * same across retries so receivers can drop repeats.
 */
export function webhookHeaders(secret: string, id: string, sentAt: Date, body: string) {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(sentAt.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, sentAt, body),
  };
}

type Due = {
  webhook_id: string;
  incident_update_id: string;
  url: string;
  secret: string;
  attempts: number;
  incident_id: string;
  kind: 'incident' | 'maintenance';
};

/**
 * Posts due deliveries, a batch at a time, each batch's at once (one slow endpoint does not hold
 * the others), until none is due or the run has had `RUN_MS`. Each is leased first (so two
 * instances do not both send it), then settled as delivered on a 2xx or rescheduled with
 * exponential backoff; at least once. No batch is claimed once `stop` is aborted.
 */
export async function deliverStatusWebhooks(
  deps: Deps,
  stop?: AbortSignal,
): Promise<{ delivered: number }> {
  const started = performance.now();
  let delivered = 0;
  while (performance.now() - started < RUN_MS && !stop?.aborted) {
    const batch = await deliverBatch(deps);
    delivered += batch.delivered;
    if (batch.claimed < BATCH) break;
  }
  return { delivered };
}

async function deliverBatch(deps: Deps): Promise<{ claimed: number; delivered: number }> {
  const now = deps.clock.now();
  const due = rowsOf<Due>(
    await deps.db.execute(sql`
      with claimed as (
        update status_webhook_deliveries d
        set attempts = d.attempts + 1,
          next_attempt_at = ${new Date(now.getTime() + LEASE_MS).toISOString()}
        where (d.webhook_id, d.incident_update_id) in (
          select webhook_id, incident_update_id from status_webhook_deliveries
          where delivered_at is null and failed_at is null
            and next_attempt_at <= ${now.toISOString()}
          order by next_attempt_at limit ${BATCH} for update skip locked)
        returning d.webhook_id, d.incident_update_id, d.attempts)
      select c.webhook_id::text, c.incident_update_id::text, c.attempts, w.url, w.secret,
        i.id::text as incident_id, i.kind
      from claimed c
      join status_webhooks w on w.id = c.webhook_id
      join incident_updates u on u.id = c.incident_update_id
      join incidents i on i.id = u.incident_id`),
  );
  if (due.length === 0) return { claimed: 0, delivered: 0 };
  const status = await publicStatus(deps);
  const outcomes = await Promise.all(
    due.map(async (delivery) => {
      const body = await payload(deps, status, delivery);
      const sentAt = deps.clock.now();
      const error = await post(deps, delivery, body, sentAt);
      return (await settle(deps, delivery, error, sentAt)) && !error;
    }),
  );
  return { claimed: due.length, delivered: outcomes.filter(Boolean).length };
}

/** Statuspage's webhook shape: `meta`, `page`, and the incident (maintenance included). */
async function payload(deps: Deps, status: PublicStatus, delivery: Due): Promise<string> {
  const incident = await incidentJsonById(deps, delivery.incident_id, delivery.kind, status);
  return JSON.stringify({
    meta: { unsubscribe: null, documentation: `${deps.config.publicUrl}/docs` },
    page: {
      id: status.page.id,
      status_indicator: status.status.indicator,
      status_description: status.status.description,
    },
    incident,
  });
}

/** Posts one delivery; the error to record, or null when the endpoint took it. */
async function post(deps: Deps, delivery: Due, body: string, sentAt: Date) {
  const id = `${delivery.webhook_id}.${delivery.incident_update_id}`;
  try {
    const response = await deps.webhookFetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'forestall-status-webhooks',
        ...webhookHeaders(delivery.secret, id, sentAt, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    // fetch reports a refused or failed connection as "fetch failed", with the reason beneath.
    const reason = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    return reason instanceof Error ? reason.message.slice(0, 200) : 'request failed';
  }
}

/** Records the outcome unless another run took the delivery over; true when recorded. */
async function settle(deps: Deps, delivery: Due, error: string | null, now: Date) {
  const held = sql`webhook_id = ${delivery.webhook_id}
    and incident_update_id = ${delivery.incident_update_id} and attempts = ${delivery.attempts}
    and delivered_at is null`;
  const giveUp = delivery.attempts >= MAX_ATTEMPTS;
  const retryAt = new Date(now.getTime() + 60_000 * 2 ** delivery.attempts);
  const settled = error
    ? await deps.db.execute(sql`
        update status_webhook_deliveries
        set last_error = ${error},
          failed_at = ${giveUp ? now.toISOString() : null},
          next_attempt_at = ${retryAt.toISOString()}
        where ${held} returning 1`)
    : await deps.db.execute(sql`
        update status_webhook_deliveries
        set delivered_at = ${now.toISOString()}, last_error = null
        where ${held} returning 1`);
  return rowsOf(settled).length > 0;
}
