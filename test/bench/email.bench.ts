import { sql } from 'drizzle-orm';
import { buildDeps } from '../../src/composition-root';
import { loadConfig } from '../../src/config';
import { jsonParam } from '../../src/db/json-param';
import { emailDeliveries } from '../../src/db/schema';
import { createLogger } from '../../src/logger';
import { CampaignCreateSchema } from '../../src/modules/campaigns/campaign-input';
import { createCampaign } from '../../src/modules/campaigns/campaigns.service';
import { composeEmail, type EmailCampaign } from '../../src/modules/email/compose/compose-email';
import { sendDueEmails } from '../../src/modules/email/delivery/send-due-emails';
import { startFakeResend } from '../helpers/fake-resend';
import { dropBenchDatabase, freshBenchDatabase } from './bench-database';

/**
 * npm run bench:email — a 20,000-recipient campaign sent to the fake Resend at its rate limit
 * of 10 requests/s. Prints the time to hand every email over as a ratio to the rate-limit floor
 * (20,000 / 100 per batch / 10 per second = 20 s; target <= 1.15), how fast emails are composed
 * (React render once per campaign and locale, then per-recipient fill-in), and the peak RSS.
 * Needs Postgres (BENCH_DATABASE_URL, default the local one). BENCH_RECIPIENTS resizes it.
 */

const RECIPIENTS = Number(process.env.BENCH_RECIPIENTS ?? 20_000);
const RATE = 10;
const LOCALES = ['en', 'de', 'fr', 'es'];
const NAME = 'forestall_bench_email';

let peakRss = 0;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 50);

async function main() {
  const database = await freshBenchDatabase(NAME);
  const fake = await startFakeResend({ requestsPerSecond: RATE });
  try {
    const config = loadConfig({
      DATABASE_URL: database.url,
      RESEND_API_KEY: fake.apiKey,
      RESEND_BASE_URL: fake.url,
      RESEND_RATE_LIMIT: String(RATE),
      LOG_LEVEL: 'warn',
    });
    const deps = buildDeps(config, database.db, { logger: createLogger('warn') });
    const accounts = Array.from({ length: RECIPIENTS }, (_, i) => ({
      id: `acct-${i}`,
      locale: LOCALES[i % LOCALES.length],
      time_zone: 'Europe/Berlin',
      email: `person${i}@example.com`,
    }));
    for (let i = 0; i < accounts.length; i += 5_000) {
      const chunk = accounts.slice(i, i + 5_000);
      await database.db.execute(sql`
        insert into accounts (id, locale, time_zone)
        select id, locale, time_zone from jsonb_to_recordset(${jsonParam(chunk)}) as r(id text, locale text, time_zone text)`);
      await database.db.execute(sql`
        insert into account_contacts (account_id, email)
        select id, email from jsonb_to_recordset(${jsonParam(chunk)}) as r(id text, email text)`);
    }

    const planStarted = performance.now();
    const campaign = await createCampaign(
      deps,
      CampaignCreateSchema.parse({
        channels: ['email'],
        title: 'Scheduled maintenance on Sunday',
        body: 'The API is **read-only** from 02:00 to 04:00 UTC. [Details](https://status.example.com)',
        cta: { label: 'Status page', url: 'https://status.example.com' },
        locales: {
          de: {
            title: 'Wartung am Sonntag',
            body: 'Die API ist von 02:00 bis 04:00 UTC **nur lesbar**.',
          },
          fr: {
            title: 'Maintenance dimanche',
            body: 'L’API est en **lecture seule** de 02:00 à 04:00 UTC.',
          },
        },
        audience: { type: 'all' },
        email: { template: 'maintenance' },
        publish: true,
      }),
      'bench',
    );
    const planSeconds = (performance.now() - planStarted) / 1000;

    // Composition alone, as the sender does it for each delivery.
    const deliveries = await database.db.select().from(emailDeliveries);
    const campaignRow = await deps.db.query.campaigns.findFirst({
      where: (c, { eq }) => eq(c.id, campaign.id),
    });
    if (!campaignRow) throw new Error('campaign not stored');
    const composeStarted = performance.now();
    for (const delivery of deliveries) {
      await composeEmail(deps, campaignRow as EmailCampaign, { ...delivery, plan: null });
    }
    const composePerSecond = deliveries.length / ((performance.now() - composeStarted) / 1000);

    const floorSeconds = RECIPIENTS / 100 / RATE;
    const started = performance.now();
    let lastAccepted = started;
    let previous = 0;
    const progress = setInterval(() => {
      if (fake.accepted.length !== previous) lastAccepted = performance.now();
      previous = fake.accepted.length;
    }, 1);
    while (fake.accepted.length < RECIPIENTS) {
      const report = await sendDueEmails(deps, { budgetMs: 600_000 });
      if (report.requests === 0) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    clearInterval(progress);
    const handOverSeconds = (lastAccepted - started) / 1000;
    const counts = fake.countsByRecipient();
    const once = [...counts.values()].every((n) => n === 1) && counts.size === RECIPIENTS;

    console.log(
      `recipients                 ${RECIPIENTS.toLocaleString('en')} (${LOCALES.length} locales), fake Resend at ${RATE} requests/s`,
    );
    console.log(`planning (audience → deliveries) ${planSeconds.toFixed(2)} s`);
    console.log(
      `composing                  ${Math.round(composePerSecond).toLocaleString('en')} emails/s`,
    );
    console.log(
      `rate-limit floor           ${floorSeconds.toFixed(1)} s (${RECIPIENTS} / 100 per batch / ${RATE} per s)`,
    );
    console.log(
      `hand-over time             ${handOverSeconds.toFixed(2)} s  (${fake.stats.requests} requests, ${fake.stats.rateLimited} answered 429)`,
    );
    console.log(
      `ratio to the floor         ${(handOverSeconds / floorSeconds).toFixed(3)}  (target <= 1.15)`,
    );
    console.log(`every recipient once       ${once ? 'yes' : 'NO'}`);
    console.log(`peak RSS                   ${Math.round(peakRss / 1024 / 1024)} MB`);
  } finally {
    clearInterval(sampler);
    await fake.close();
    await database.close();
    await dropBenchDatabase(NAME);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
