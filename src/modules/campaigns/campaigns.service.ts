import { and, asc, desc, eq, gt, or, sql } from 'drizzle-orm';
import { v7 as uuidv7 } from 'uuid';
import type { Db } from '../../db/database';
import { jsonParam, rowsOf } from '../../db/json-param';
import { withinTransaction } from '../../db/retry-transaction';
import {
  type CampaignChannel,
  type CampaignRow,
  campaignAudit,
  campaigns,
  type EmailSettings,
  emailDeliveries,
  events,
  exposures,
  type LocaleVariant,
} from '../../db/schema';
import type { Deps } from '../../deps';
import { AppError, type FieldError, notFound } from '../../http/app-error';
import { type Page, type PageQuery, toPage } from '../../http/pagination';
import { resolveReasonNames } from '../reasons/resolve-reasons';
import { type CampaignPrecondition, requireCampaignPrecondition } from './campaign-etag';
import type {
  CampaignCreate,
  CampaignPatch,
  CampaignStatus,
  CampaignView,
  EmailSettingsInput,
} from './campaign-input';
import { campaignStatus, lifecycleConflict, statusCondition } from './campaign-status';
import { renderMarkdown } from './markdown';

/** Who made a change, as the audit trail shows it. */
export type Actor = string;

export function toCampaignView(row: CampaignRow, now: Date): CampaignView {
  return {
    id: row.id,
    status: campaignStatus(row, now),
    channels: row.channels,
    title: row.title,
    body: row.bodyMarkdown,
    body_html: row.bodyHtml,
    severity: row.severity,
    cta: row.ctaUrl && row.ctaLabel ? { label: row.ctaLabel, url: row.ctaUrl } : null,
    locales: row.locales,
    starts_at: row.startsAt?.toISOString() ?? null,
    ends_at: row.endsAt?.toISOString() ?? null,
    audience: row.audience,
    event_id: row.eventId,
    target_reasons: row.targetReasons,
    holdout_percent: row.holdoutPercent,
    email: row.email ?? null,
    origin: row.origin,
    origin_id: row.originId,
    published_at: row.publishedAt?.toISOString() ?? null,
    cancelled_at: row.cancelledAt?.toISOString() ?? null,
    version: row.version,
    created_by: row.createdBy,
    created_at: row.createdAt.toISOString(),
    updated_at: row.updatedAt.toISOString(),
  };
}

const renderLocales = (locales: CampaignCreate['locales']): Record<string, LocaleVariant> =>
  Object.fromEntries(
    Object.entries(locales).map(([locale, v]) => [
      locale,
      {
        title: v.title,
        body: v.body,
        body_html: renderMarkdown(v.body),
        cta_label: v.cta_label ?? null,
      },
    ]),
  );

function invalid(errors: FieldError[]): never {
  throw new AppError('validation_failed', 'The campaign is not valid; nothing was saved.', errors);
}

const bodyError = (path: string, message: string): FieldError => ({
  location: 'body',
  path,
  message,
});

async function checkEvent(db: Db, eventId: string | null | undefined): Promise<void> {
  if (!eventId) return;
  const [found] = await db.select({ id: events.id }).from(events).where(eq(events.id, eventId));
  if (!found) invalid([bodyError('event_id', `no event has id ${eventId}`)]);
}

/** The email settings a campaign keeps: defaults filled in, and only with the email channel. */
function emailSettings(
  channels: readonly string[],
  input: EmailSettingsInput | EmailSettings | null | undefined,
  eventId: string | null | undefined,
): EmailSettings | null {
  if (!channels.includes('email')) {
    if (input) invalid([bodyError('email', 'email settings need the email channel')]);
    return null;
  }
  const settings: EmailSettings = {
    template: input?.template ?? 'announcement',
    subject: input?.subject ?? null,
    send_at: input?.send_at ? new Date(input.send_at).toISOString() : null,
    before_event: input?.before_event ?? null,
    local_time: input?.local_time ?? null,
    send_window: input?.send_window ?? null,
  };
  if (settings.before_event && !eventId) {
    invalid([bodyError('email.before_event', 'needs a linked event: set event_id')]);
  }
  return settings;
}

function checkWindow(startsAt: Date | null, endsAt: Date | null, now: Date, publishing: boolean) {
  const errors: FieldError[] = [];
  if (endsAt && startsAt && endsAt <= startsAt) {
    errors.push(bodyError('ends_at', 'must be after starts_at'));
  }
  if (publishing && endsAt && endsAt <= now) {
    errors.push(bodyError('ends_at', 'must be in the future to publish'));
  }
  if (errors.length > 0) invalid(errors);
}

export async function createCampaign(
  deps: Deps,
  input: CampaignCreate,
  actor: Actor,
  origin: { origin: string; originId: string } = { origin: 'manual', originId: '' },
  db: Db = deps.db,
): Promise<CampaignView> {
  const now = deps.clock.now();
  const startsAt = input.starts_at ? new Date(input.starts_at) : input.publish ? now : null;
  const endsAt = input.ends_at ? new Date(input.ends_at) : null;
  checkWindow(startsAt, endsAt, now, input.publish);
  await checkEvent(db, input.event_id);
  const row: typeof campaigns.$inferInsert = {
    id: uuidv7(),
    channels: input.channels,
    title: input.title,
    bodyMarkdown: input.body,
    bodyHtml: renderMarkdown(input.body),
    severity: input.severity,
    ctaLabel: input.cta?.label ?? null,
    ctaUrl: input.cta?.url ?? null,
    locales: renderLocales(input.locales),
    startsAt,
    endsAt,
    audience: input.audience,
    eventId: input.event_id ?? null,
    holdoutPercent: input.holdout_percent,
    email: emailSettings(input.channels, input.email, input.event_id),
    origin: origin.origin,
    originId: origin.originId || null,
    publishedAt: input.publish ? now : null,
    createdBy: actor,
    createdAt: now,
    updatedAt: now,
  };
  const write = async (tx: Db) => {
    const targetReasons = await resolveReasonNames(tx, input.target_reasons, 'target_reasons');
    const [created] = await tx
      .insert(campaigns)
      .values({ ...row, targetReasons })
      .returning();
    if (!created) throw new Error('insert into campaigns returned no row');
    const view = toCampaignView(created, now);
    await audit(tx, created.id, now, actor, 'created', diff({}, auditable(view)));
    await deps.afterCampaignChange(deps, tx, created, null);
    return view;
  };
  return withinTransaction(deps.db, db, write);
}

/**
 * Applies a partial change and, optionally, a lifecycle move; audited field by field. With
 * `expected`, the locked campaign must still be what it names (else 412, before its state is
 * judged: a move refused for a state the caller never saw would mislead it).
 */
export async function patchCampaign(
  deps: Deps,
  id: string,
  patch: CampaignPatch,
  actor: Actor,
  db: Db = deps.db,
  expected?: CampaignPrecondition,
): Promise<CampaignView> {
  await checkEvent(db, patch.event_id);
  const work = async (tx: Db) => {
    const named = patch.target_reasons;
    const change: CampaignPatch =
      named === undefined
        ? patch
        : { ...patch, target_reasons: await resolveReasonNames(tx, named, 'target_reasons') };
    const [row] = await tx.select().from(campaigns).where(eq(campaigns.id, id)).for('update');
    if (!row) throw notFound(`Campaign ${id}`);
    // Read once the row is ours: a time read before waiting for the lock can predate an end
    // just committed, and the campaign would look active still.
    const now = deps.clock.now();
    const status = campaignStatus(row, now);
    requireCampaignPrecondition(expected, { id, version: row.version, status });
    const holdoutMoves =
      change.holdout_percent !== undefined && change.holdout_percent !== row.holdoutPercent;
    const reached = status === 'scheduled' && holdoutMoves && (await splitAlready(tx, id, now));
    const conflict = lifecycleConflict(status, change, row, { moves: holdoutMoves, reached });
    if (conflict) throw new AppError('conflict', conflict);
    const next = applyPatch(row, change, status, now);
    const [updated] = await tx
      .update(campaigns)
      .set({ ...next, updatedAt: now })
      .where(eq(campaigns.id, id))
      .returning();
    if (!updated) throw notFound(`Campaign ${id}`);
    const view = toCampaignView(updated, now);
    const changes = diff(auditable(toCampaignView(row, now)), auditable(view));
    await audit(tx, id, now, actor, patch.status ?? 'updated', changes);
    await deps.afterCampaignChange(deps, tx, updated, row);
    return view;
  };
  return withinTransaction(deps.db, db, work);
}

/**
 * Whether accounts were split into groups already: an email due or gone (the sender records
 * its exposures only once the provider answers), or a held-out account's moment passed.
 * Sends and exposures planned for later are withdrawn and planned anew on a change.
 */
async function splitAlready(tx: Db, campaignId: string, now: Date): Promise<boolean> {
  const rows = rowsOf<{ split: boolean }>(
    await tx.execute(sql`select
      exists (select 1 from ${emailDeliveries} d where d.campaign_id = ${campaignId}
        and d.scheduled_for <= ${now.toISOString()} and d.status <> 'cancelled')
      or exists (select 1 from ${exposures} x where x.campaign_id = ${campaignId}
        and x.first_at <= ${now.toISOString()}) as split`),
  );
  return rows[0]?.split === true;
}

function applyPatch(
  row: CampaignRow,
  patch: CampaignPatch,
  status: CampaignStatus,
  now: Date,
): Partial<typeof campaigns.$inferInsert> {
  const next: Partial<typeof campaigns.$inferInsert> = {};
  if (patch.title !== undefined) next.title = patch.title;
  if (patch.body !== undefined) {
    next.bodyMarkdown = patch.body;
    next.bodyHtml = renderMarkdown(patch.body);
  }
  if (patch.severity !== undefined) next.severity = patch.severity;
  if (patch.cta !== undefined) {
    next.ctaLabel = patch.cta?.label ?? null;
    next.ctaUrl = patch.cta?.url ?? null;
  }
  if (patch.locales !== undefined) next.locales = renderLocales(patch.locales);
  if (patch.channels !== undefined) next.channels = patch.channels;
  if (patch.audience !== undefined) next.audience = patch.audience;
  if (patch.event_id !== undefined) next.eventId = patch.event_id;
  if (patch.target_reasons !== undefined) next.targetReasons = patch.target_reasons;
  if (patch.email !== undefined || patch.channels !== undefined || patch.event_id !== undefined) {
    const channels = next.channels ?? row.channels;
    // Settings kept from before are dropped quietly with the channel; new ones need it.
    const kept = channels.includes('email') ? row.email : null;
    next.email = emailSettings(
      channels,
      patch.email === undefined ? kept : patch.email,
      next.eventId === undefined ? row.eventId : next.eventId,
    );
  }
  // What the campaign's state allows (its moves, an active one's start and holdout) was
  // settled before (lifecycleConflict).
  if (patch.holdout_percent !== undefined) next.holdoutPercent = patch.holdout_percent;
  if (patch.starts_at !== undefined) {
    next.startsAt = new Date(patch.starts_at);
    // A published campaign shows from its start: moved into the past, it would be measured
    // from a start nobody saw. Publishing a draft back-dated is measured from its publication.
    const moved = next.startsAt.getTime() !== row.startsAt?.getTime();
    if (row.publishedAt && moved && next.startsAt < now) {
      invalid([
        bodyError(
          'starts_at',
          'must not be in the past once the campaign is published: it would not have shown ' +
            'then; set a later time, or publish a copy',
        ),
      ]);
    }
  }
  if (patch.ends_at !== undefined) next.endsAt = patch.ends_at ? new Date(patch.ends_at) : null;

  switch (patch.status) {
    case 'scheduled':
      next.publishedAt = now;
      next.startsAt = next.startsAt ?? row.startsAt ?? now;
      break;
    case 'ended':
      next.endsAt = now;
      break;
    case 'cancelled':
      next.cancelledAt = now;
      break;
  }
  const publishing = patch.status === 'scheduled' || status !== 'draft';
  if (patch.status !== 'ended') {
    checkWindow(
      next.startsAt === undefined ? row.startsAt : next.startsAt,
      next.endsAt === undefined ? row.endsAt : next.endsAt,
      now,
      publishing && patch.status !== 'cancelled',
    );
  }
  return next;
}

/** The fields whose changes the audit trail records. */
function auditable(view: CampaignView): Record<string, unknown> {
  const { id, version, created_at, updated_at, body_html, status, created_by, ...rest } = view;
  return { ...rest, locales: Object.keys(rest.locales).length > 0 ? rest.locales : undefined };
}

export function diff(
  before: Record<string, unknown>,
  after: Record<string, unknown>,
): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const from = before[key] ?? null;
    const to = after[key] ?? null;
    if (JSON.stringify(from) !== JSON.stringify(to)) changes[key] = { from, to };
  }
  return changes;
}

export async function audit(
  db: Db,
  campaignId: string,
  at: Date,
  actor: Actor,
  action: string,
  changes: Record<string, { from: unknown; to: unknown }>,
) {
  await db.insert(campaignAudit).values({ id: uuidv7(), campaignId, at, actor, action, changes });
}

/** Ends an active campaign, withdraws one not started yet; a finished one stays as it is. */
export async function stopCampaign(deps: Deps, id: string, actor: Actor, db: Db): Promise<void> {
  const [row] = await db.select().from(campaigns).where(eq(campaigns.id, id));
  if (!row) return;
  const status = campaignStatus(row, deps.clock.now());
  if (status === 'active') await patchCampaign(deps, id, { status: 'ended' }, actor, db);
  if (status === 'scheduled' || status === 'draft') {
    await patchCampaign(deps, id, { status: 'cancelled' }, actor, db);
  }
}

export async function getCampaign(deps: Deps, id: string): Promise<CampaignView> {
  const [row] = await deps.db.select().from(campaigns).where(eq(campaigns.id, id));
  if (!row) throw notFound(`Campaign ${id}`);
  return toCampaignView(row, deps.clock.now());
}

export async function listCampaigns(
  deps: Deps,
  query: {
    limit: number;
    cursor?: string;
    status?: CampaignStatus;
    /** Only campaigns with at least one of these channels. */
    channels?: readonly CampaignChannel[];
  },
): Promise<Page<CampaignView>> {
  const now = deps.clock.now();
  const rows = await deps.db
    .select()
    .from(campaigns)
    .where(
      and(
        query.cursor ? sql`${campaigns.id} < ${query.cursor}` : undefined,
        query.status ? statusCondition(query.status, now) : undefined,
        query.channels
          ? or(...query.channels.map((c) => sql`${campaigns.channels} @> ${jsonParam([c])}`))
          : undefined,
      ),
    )
    .orderBy(desc(campaigns.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit);
  return { data: page.data.map((row) => toCampaignView(row, now)), next_cursor: page.next_cursor };
}

/** A campaign's audit trail, oldest first; the cursor is the last entry's (time-ordered) id. */
export async function listCampaignAudit(deps: Deps, id: string, query: PageQuery) {
  await getCampaign(deps, id);
  const rows = await deps.db
    .select()
    .from(campaignAudit)
    .where(
      and(
        eq(campaignAudit.campaignId, id),
        query.cursor ? gt(campaignAudit.id, query.cursor) : undefined,
      ),
    )
    .orderBy(asc(campaignAudit.id))
    .limit(query.limit + 1);
  const page = toPage(rows, query.limit);
  return {
    data: page.data.map((row) => ({
      at: row.at.toISOString(),
      actor: row.actor,
      action: row.action,
      changes: row.changes,
    })),
    next_cursor: page.next_cursor,
  };
}
