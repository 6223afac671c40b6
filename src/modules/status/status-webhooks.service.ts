import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { asc, eq, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import { base64url } from '../../base64url';
import type { Db } from '../../db/database';
import { rowsOf } from '../../db/json-param';
import { statusWebhooks } from '../../db/schema';
import type { Deps } from '../../deps';
import { notFound } from '../../http/app-error';
import { incidentJsonById, publicStatus } from './public-status.service';

/** A delivery is given up after this many attempts, about a day and a half of backoff. */
const MAX_ATTEMPTS = 10;
const TIMEOUT_MS = 10_000;
/** A claimed delivery not settled after this long (a crash mid-call) is tried again. */
const LEASE_MS = 5 * 60_000;
const BATCH = 50;

export type StatusWebhookView = {
  id: string;
  url: string;
  created_at: string;
  pending: number;
  delivered: number;
  failed: number;
  last_error: string | null;
};

export async function createStatusWebhook(
  deps: Deps,
  url: string,
): Promise<StatusWebhookView & { secret: string }> {
  const secret = `whsec_${base64url(crypto.getRandomValues(new Uint8Array(32)))}`;
  const id = uuidv7();
  await deps.db.insert(statusWebhooks).values({ id, url, secret, createdAt: deps.clock.now() });
  const [view] = await webhookViews(deps, id);
  if (!view) throw notFound(`Webhook ${id}`);
  return { ...view, secret };
}

export async function listStatusWebhooks(deps: Deps): Promise<StatusWebhookView[]> {
  return webhookViews(deps);
}

export async function deleteStatusWebhook(deps: Deps, id: string): Promise<void> {
  const deleted = await deps.db
    .delete(statusWebhooks)
    .where(eq(statusWebhooks.id, id))
    .returning({ id: statusWebhooks.id });
  if (deleted.length === 0) throw notFound(`Webhook ${id}`);
}

async function webhookViews(deps: Deps, id?: string): Promise<StatusWebhookView[]> {
  const hooks = await deps.db
    .select({ id: statusWebhooks.id, url: statusWebhooks.url, createdAt: statusWebhooks.createdAt })
    .from(statusWebhooks)
    .where(id ? eq(statusWebhooks.id, id) : undefined)
    .orderBy(asc(statusWebhooks.createdAt));
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
      from status_webhook_deliveries group by webhook_id`),
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
 * `Forestall-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, with the
 * endpoint's secret; receivers reject old timestamps to stop replays.
 */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  const mac = hmac(
    sha256,
    new TextEncoder().encode(secret),
    new TextEncoder().encode(`${timestamp}.${body}`),
  );
  return `t=${timestamp},v1=${bytesToHex(mac)}`;
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
 * Posts due deliveries: each is leased first (so two instances do not both send it), then
 * settled as delivered on a 2xx or rescheduled with exponential backoff. Delivery is at least
 * once; `Forestall-Delivery` stays the same across retries so receivers can drop repeats.
 */
export async function deliverStatusWebhooks(deps: Deps): Promise<{ delivered: number }> {
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
  if (due.length === 0) return { delivered: 0 };
  const page = (await publicStatus(deps)).status;
  let delivered = 0;
  for (const delivery of due) {
    const incident = await incidentJsonById(deps, delivery.incident_id, delivery.kind);
    const body = JSON.stringify({
      meta: { generated_at: now.toISOString() },
      page: {
        id: 'forestall',
        status_indicator: page.indicator,
        status_description: page.description,
      },
      [delivery.kind === 'incident' ? 'incident' : 'scheduled_maintenance']: incident,
    });
    const error = await post(delivery, body, Math.floor(now.getTime() / 1000));
    await settle(deps, delivery, error, now);
    if (!error) delivered += 1;
  }
  return { delivered };
}

async function post(delivery: Due, body: string, timestamp: number): Promise<string | null> {
  try {
    const response = await fetch(delivery.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'forestall-status-webhooks',
        'forestall-delivery': `${delivery.webhook_id}:${delivery.incident_update_id}`,
        'forestall-signature': signWebhook(delivery.secret, timestamp, body),
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok ? null : `HTTP ${response.status}`;
  } catch (error) {
    return error instanceof Error ? error.message.slice(0, 200) : 'request failed';
  }
}

async function settle(deps: Deps, delivery: Due, error: string | null, now: Date) {
  const key = sql`webhook_id = ${delivery.webhook_id}
    and incident_update_id = ${delivery.incident_update_id}`;
  if (!error) {
    await deps.db.execute(sql`
      update status_webhook_deliveries
      set delivered_at = ${now.toISOString()}, last_error = null where ${key}`);
    return;
  }
  const giveUp = delivery.attempts >= MAX_ATTEMPTS;
  const retryAt = new Date(now.getTime() + 60_000 * 2 ** Math.min(delivery.attempts, 11));
  await deps.db.execute(sql`
    update status_webhook_deliveries
    set last_error = ${error},
      failed_at = ${giveUp ? now.toISOString() : null},
      next_attempt_at = ${retryAt.toISOString()}
    where ${key}`);
}
