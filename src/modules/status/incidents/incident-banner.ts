import { eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../../db/database';
import {
  campaigns,
  type Impact,
  incidents,
  type Severity,
  statusComponents,
} from '../../../db/schema';
import type { Deps } from '../../../deps';
import {
  type Audience,
  type AudienceCondition,
  type AudiencePredicate,
  MAX_RULE_CONDITIONS,
} from '../../campaigns/audience';
import type { CampaignCreate, CampaignPatch } from '../../campaigns/campaign-input';
import { campaignStatus } from '../../campaigns/campaign-status';
import {
  type Actor,
  createCampaign,
  patchCampaign,
  stopCampaign,
} from '../../campaigns/campaigns.service';

export const BANNER_SEVERITY: Record<Impact, Severity> = {
  none: 'info',
  minor: 'warning',
  major: 'critical',
  critical: 'critical',
  maintenance: 'maintenance',
};

export type BannerContent = {
  title: string;
  body: string;
  severity: Severity;
  endsAt: Date | null;
  /** Accounts that use these components see it; everyone when none is named. */
  componentIds: string[];
};

/** Publishes the banner of an incident or maintenance and links the two. */
export async function openBanner(
  deps: Deps,
  tx: Db,
  incidentId: string,
  origin: 'incident' | 'maintenance',
  content: BannerContent,
  actor: Actor,
) {
  const banner = bannerFor(deps, content, await audienceOf(tx, content.componentIds));
  const campaign = await createCampaign(deps, banner, actor, { origin, originId: incidentId }, tx);
  await tx.update(incidents).set({ campaignId: campaign.id }).where(eq(incidents.id, incidentId));
}

/** The banner follows its incident: new text and severity, or it stops when the incident does. */
export async function followBanner(
  deps: Deps,
  tx: Db,
  campaignId: string | null,
  actor: Actor,
  finished: boolean,
  change: CampaignPatch,
) {
  if (!campaignId) return;
  if (finished) await stopCampaign(deps, campaignId, actor, tx);
  else await patchCampaign(deps, campaignId, change, actor, tx);
}

/**
 * A reopened incident's or maintenance's banner: a new one, as the last ended when it was
 * resolved or completed, so accounts that saw or dismissed it before see it again. It keeps
 * the title and audience the last one had (ops may have edited them), widened to the
 * components the reopening update adds.
 */
export async function reopenBanner(
  deps: Deps,
  tx: Db,
  reopened: { id: string; kind: 'incident' | 'maintenance' },
  previousCampaignId: string,
  content: Omit<BannerContent, 'title'>,
  actor: Actor,
) {
  const [previous] = await tx
    .select({ title: campaigns.title, audience: campaigns.audience })
    .from(campaigns)
    .where(eq(campaigns.id, previousCampaignId));
  if (!previous) return;
  const audience =
    (await widenedAudience(tx, previousCampaignId, content.componentIds)) ??
    (previous.audience as Audience);
  const banner = bannerFor(deps, { ...content, title: previous.title }, audience);
  const origin = { origin: reopened.kind, originId: reopened.id };
  const campaign = await createCampaign(deps, banner, actor, origin, tx);
  await tx.update(incidents).set({ campaignId: campaign.id }).where(eq(incidents.id, reopened.id));
}

/**
 * The banner's audience once `componentIds` are affected too: the accounts of components an
 * update adds to the incident see its banner, and whoever saw it still does. Undefined when
 * nothing is added, or the audience is not the component rule `openBanner` wrote (everyone,
 * or one ops rewrote by hand, which is theirs to keep).
 */
export async function widenedAudience(
  tx: Db,
  campaignId: string | null,
  componentIds: string[],
): Promise<Audience | undefined> {
  if (!campaignId || componentIds.length === 0) return undefined;
  const [campaign] = await tx
    .select({ audience: campaigns.audience })
    .from(campaigns)
    .where(eq(campaigns.id, campaignId));
  const audience = campaign?.audience as Audience | undefined;
  if (audience?.type !== 'rule' || !('any' in audience)) return undefined;
  const current = componentPredicates(audience.any);
  const added = await componentNames(tx, componentIds);
  const named = new Set((current ?? []).map((name) => name.toLowerCase()));
  const fresh = added.filter((name) => !named.has(name.toLowerCase()));
  if (fresh.length === 0) return undefined;
  if (current) return componentAudience([...current, ...fresh]);
  // Ops mixed in conditions of their own: theirs stay, the new components' groups follow.
  const more = componentAudience(fresh);
  if (more.type !== 'rule' || !('any' in more)) return undefined;
  const any = [...audience.any, ...more.any];
  return any.length <= MAX_RULE_CONDITIONS ? { type: 'rule', any } : undefined;
}

/**
 * After a component is renamed from `previous` to `renamed`, the open incident and maintenance
 * banners whose audience names it name it both ways: accounts the product now lists under the
 * new name see them, and accounts not relisted yet keep seeing them (no one loses an outage
 * banner to a rename). Audiences ops rewrote beyond ORed conditions are theirs to keep.
 */
export async function followRenamedComponent(
  deps: Deps,
  tx: Db,
  previous: string,
  renamed: string,
  actor: Actor,
) {
  // `contains` ignores case: a rename in case only changes no one's banner.
  if (previous.toLowerCase() === renamed.toLowerCase()) return;
  const open = await tx
    .select({ campaign: campaigns })
    .from(incidents)
    .innerJoin(campaigns, eq(campaigns.id, incidents.campaignId))
    .where(isNull(incidents.resolvedAt));
  const now = deps.clock.now();
  for (const { campaign } of open) {
    if (!['active', 'scheduled'].includes(campaignStatus(campaign, now))) continue;
    const audience = audienceNamingAlso(campaign.audience as Audience, previous, renamed);
    if (audience) await patchCampaign(deps, campaign.id, { audience }, actor, tx);
  }
}

/**
 * The audience naming `renamed` too, when it reaches the accounts of `previous` through ORed
 * conditions only (its component rule, or one ops added to); undefined otherwise.
 */
function audienceNamingAlso(
  audience: Audience,
  previous: string,
  renamed: string,
): Audience | undefined {
  if (audience.type !== 'rule' || !('any' in audience)) return undefined;
  if (!audience.any.some((condition) => ored(condition).some(named(previous)))) return undefined;
  const names = componentPredicates(audience.any);
  if (names) return componentAudience([...names, renamed]);
  if (audience.any.length >= MAX_RULE_CONDITIONS) return undefined;
  const also = { attribute: 'components', op: 'contains' as const, value: renamed };
  return { type: 'rule', any: [...audience.any, also] };
}

/** The predicates a condition ORs together: itself, or an `any` group's; none of an `all`. */
const ored = (condition: AudienceCondition): AudiencePredicate[] =>
  'any' in condition ? condition.any : 'all' in condition ? [] : [condition];

const named = (name: string) => (predicate: AudiencePredicate) =>
  predicate.op === 'contains' &&
  predicate.attribute === 'components' &&
  String(predicate.value).toLowerCase() === name.toLowerCase();

function bannerFor(deps: Deps, content: BannerContent, audience: Audience): CampaignCreate {
  return {
    channels: ['banner', 'status'],
    title: content.title,
    body: content.body,
    severity: content.severity,
    cta: { label: 'Status page', url: `${deps.config.publicUrl}/status` },
    locales: {},
    starts_at: null,
    ends_at: content.endsAt?.toISOString() ?? null,
    audience,
    event_id: null,
    target_reasons: [],
    // An outage is never hidden from anyone to measure it.
    holdout_percent: 0,
    publish: true,
  };
}

/**
 * Accounts that list an affected component (or a component of an affected group) among the
 * components they use; everyone when no component was named.
 */
async function audienceOf(db: Db, componentIds: string[]): Promise<Audience> {
  if (componentIds.length === 0) return { type: 'all' };
  return componentAudience(await componentNames(db, componentIds));
}

async function componentNames(db: Db, componentIds: string[]): Promise<string[]> {
  if (componentIds.length === 0) return [];
  const ids = sql`${JSON.stringify(componentIds)}::jsonb`;
  const rows = await db
    .select({ name: statusComponents.name })
    .from(statusComponents)
    .where(
      sql`${statusComponents.id} in (select jsonb_array_elements_text(${ids})::uuid)
          or ${statusComponents.groupId} in (select jsonb_array_elements_text(${ids})::uuid)`,
    );
  return [...new Set(rows.map((r) => r.name))];
}

/**
 * Accounts using any of the components `names`, as an audience the campaign schema accepts
 * (so ops can still edit the banner): flat up to 50 names, then ORed groups of 50 (up to
 * 2,500), and beyond that everyone, which still reaches every one of those accounts.
 */
export function componentAudience(names: string[]): Audience {
  const predicates = names.map((name) => ({
    attribute: 'components',
    op: 'contains' as const,
    value: name,
  }));
  if (predicates.length === 0) return { type: 'all' };
  if (predicates.length <= MAX_RULE_CONDITIONS) return { type: 'rule', any: predicates };
  if (predicates.length > MAX_RULE_CONDITIONS * MAX_RULE_CONDITIONS) return { type: 'all' };
  const groups = [];
  for (let at = 0; at < predicates.length; at += MAX_RULE_CONDITIONS) {
    groups.push({ any: predicates.slice(at, at + MAX_RULE_CONDITIONS) });
  }
  return { type: 'rule', any: groups };
}

/**
 * The component names of a rule `componentAudience` wrote, flat or grouped; undefined when
 * the rule holds anything else.
 */
function componentPredicates(conditions: AudienceCondition[]): string[] | undefined {
  const names: string[] = [];
  for (const condition of conditions) {
    if ('any' in condition) {
      const inner = componentPredicates(condition.any);
      if (!inner) return undefined;
      names.push(...inner);
    } else if (
      'op' in condition &&
      condition.op === 'contains' &&
      condition.attribute === 'components'
    ) {
      names.push(String(condition.value));
    } else return undefined;
  }
  return names;
}
