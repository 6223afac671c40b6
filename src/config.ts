import { z } from 'zod';
import { parseAddressRange } from './http/client-address';
import { distinctMailboxes } from './lib/email-key';
import { isTimeZone } from './lib/time-zone';
import { isLoopbackHost } from './lib/unroutable-address';

/** The only module that reads the environment; everything else receives a parsed `Config`. */

export type EnvSource = Record<string, unknown>;

const DEFAULT_DATABASE_URL = 'file://./data/forestall';

const isCurrency = (code: string) =>
  /^[A-Z]{3}$/.test(code) && Intl.supportedValuesOf('currency').includes(code);

const optionalString = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

/** A comma-separated list, blanks dropped; unset is empty. */
const commaList = z
  .string()
  .trim()
  .default('')
  .transform((value) =>
    value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  );

/** `true` or `false`; unset is false. */
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', ''], { message: 'must be true or false' }))
  .default('false')
  .transform((value) => value === 'true');

const timeZone = z
  .string()
  .trim()
  .refine(isTimeZone, { message: 'must be an IANA time zone such as Europe/Berlin or UTC' });

const databaseUrl = z
  .string()
  .trim()
  .refine((value) => /^(memory|file|postgres|postgresql):\/\//.test(value), {
    message: 'must start with memory://, file://, postgres:// or postgresql://',
  });

const envSchema = z.object({
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  HOST: z.string().trim().min(1).default('0.0.0.0'),
  DATABASE_URL: optionalString.pipe(databaseUrl.optional()),
  DATABASE_POOL_MAX: z.coerce.number().int().min(2).max(100).default(10),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  ANALYTICS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  PUBLIC_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  WEBHOOKS_ALLOW_LOOPBACK: flag,
  TRUSTED_PROXIES: commaList.pipe(
    z.array(
      z.string().transform((text, ctx) => {
        const range = parseAddressRange(text);
        if (!range)
          ctx.addIssue({ code: 'custom', message: `${text} is not an IP address or CIDR range` });
        return range ?? z.NEVER;
      }),
    ),
  ),
  WORKSPACE_TIME_ZONE: timeZone.default('UTC'),
  ADMIN_API_KEY: optionalString.pipe(
    z.string().min(24, 'must be at least 24 characters so it cannot be guessed').optional(),
  ),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .max(100 * 1024 * 1024)
    .default(5 * 1024 * 1024),
  ZENDESK_WEBHOOK_SECRET: optionalString,
  ZENDESK_REASON_FROM: z
    .string()
    .trim()
    .regex(/^(tag|field):[\w.-]+$/, 'must be tag:<prefix> or field:<name>, e.g. tag:reason_')
    .default('tag:reason_'),
  SPIKE_ALPHA: z.coerce.number().gt(0).max(1).default(0.1),
  SLACK_WEBHOOK_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  IMPORT_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1024 * 1024 * 1024),
  CORS_ORIGINS: commaList.pipe(
    z.array(
      z
        .url({ protocol: /^https?$/ })
        .refine(
          (origin) => new URL(origin).origin === origin,
          'must be an origin like https://app.example.com (no path or trailing slash)',
        ),
    ),
  ),
  COST_PER_TICKET: z
    .string()
    .trim()
    .regex(/^\d{1,7}(\.\d{1,2})?$/, 'must be an amount such as 9.00 (workspace currency)')
    .default('9.00')
    .transform((amount) => Math.round(Number(amount) * 100)),
  CURRENCY: z
    .string()
    .trim()
    .toUpperCase()
    .refine(isCurrency, 'must be an ISO 4217 currency code such as USD or EUR')
    .default('USD'),
  IMPACT_WINDOW_DAYS: z.coerce.number().int().min(1).max(180).default(14),
  STATUS_PAGE_NAME: z.string().trim().min(1).max(100).default('Status'),
  STATUS_PAGE_LOGO_URL: optionalString.pipe(z.url({ protocol: /^https?$/ }).optional()),
  STATUS_PAGE_ACCENT: z
    .string()
    .trim()
    .regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour such as #1d4ed8')
    .default('#1d4ed8'),
  NOTICE_TOKEN_TTL_SECONDS: z.coerce.number().int().min(60).max(86_400).default(900),
  NOTICE_ACCOUNTS_CACHE_MB: z.coerce.number().int().min(0).max(65_536).default(1_024),
  EMAIL_FROM: z
    .string()
    .trim()
    .regex(
      /^([^<>]+<[^\s@<>]+@[^\s@<>]+>|[^\s@<>]+@[^\s@<>]+)$/,
      'must be an address, e.g. Acme <notices@acme.com>',
    )
    .default('forestall <notices@forestall.localhost>'),
  EMAIL_LEASE_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
  EMAIL_POLL_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
  RESEND_API_KEY: optionalString,
  RESEND_BASE_URL: optionalString.pipe(
    z
      .url({ protocol: /^https?$/ })
      .refine((url) => !url.endsWith('/'), 'must not end with a slash')
      .optional(),
  ),
  RESEND_RATE_LIMIT: z.coerce.number().min(0.1).max(1000).default(2),
  RESEND_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  RESEND_WEBHOOK_SECRET: optionalString.pipe(
    z.string().startsWith('whsec_', 'must be the whsec_… signing secret from Resend').optional(),
  ),
  // Sent to as given (a mail server may read the local part's case), each mailbox once.
  REPORT_DIGEST_TO: commaList.pipe(
    z.array(z.email('must be comma-separated email addresses')).transform(distinctMailboxes),
  ),
  NOTICE_TOKEN_SECRET: optionalString.pipe(
    z.string().min(32, 'must be at least 32 characters').optional(),
  ),
});

const publicUrlOf = (env: z.output<typeof envSchema>) =>
  (env.PUBLIC_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, '');

/** The environment, validated, in the shape the app reads. */
const configSchema = envSchema.transform((env) => ({
  port: env.PORT,
  host: env.HOST,
  databaseUrl: env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
  databasePoolMax: env.DATABASE_POOL_MAX,
  /** Postgres cancels a statement that runs longer (0: never); a job's too. */
  databaseStatementTimeoutMs: env.DATABASE_STATEMENT_TIMEOUT_MS,
  /** A request not answered by then gets a 503 (streamed imports excepted). */
  requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
  /** Heavy reads (reports, series, patterns, occurrences) an instance runs at once. */
  analyticsConcurrency: env.ANALYTICS_CONCURRENCY,
  publicUrl: publicUrlOf(env),
  /**
   * Status webhooks may go to this machine (loopback) only on a local deployment, one whose
   * public URL is unset or itself loopback, or when WEBHOOKS_ALLOW_LOOPBACK says so.
   */
  webhooksAllowLoopback:
    env.WEBHOOKS_ALLOW_LOOPBACK || isLoopbackHost(new URL(publicUrlOf(env)).hostname),
  /** Proxies whose X-Forwarded-For is believed, to know a client's address (rate limits). */
  trustedProxies: env.TRUSTED_PROXIES,
  workspaceTimeZone: env.WORKSPACE_TIME_ZONE,
  adminApiKey: env.ADMIN_API_KEY,
  logLevel: env.LOG_LEVEL,
  bodyLimitBytes: env.BODY_LIMIT_BYTES,
  importMaxBytes: env.IMPORT_MAX_BYTES,
  slackWebhookUrl: env.SLACK_WEBHOOK_URL,
  /** Spike alerts' false-discovery rate over each week's reasons (Benjamini–Hochberg). */
  spikeAlpha: env.SPIKE_ALPHA,
  zendesk: { webhookSecret: env.ZENDESK_WEBHOOK_SECRET, reasonFrom: env.ZENDESK_REASON_FROM },
  /** Origins whose pages may call the notices API from the browser. */
  corsOrigins: env.CORS_ORIGINS,
  /** The name on the public status page and its JSON `page`. */
  statusPageName: env.STATUS_PAGE_NAME,
  /** The status page's branding: a logo above its name and the colour of its links. */
  statusPageBrand: { logoUrl: env.STATUS_PAGE_LOGO_URL, accent: env.STATUS_PAGE_ACCENT },
  /** What one support contact costs, in cents of the workspace currency. */
  costPerTicketCents: env.COST_PER_TICKET,
  /** The workspace currency (ISO 4217): of COST_PER_TICKET and every amount reported. */
  currency: env.CURRENCY,
  /** Days after a campaign ends that its measurement window still runs. */
  impactWindowDays: env.IMPACT_WINDOW_DAYS,
  noticeTokens: { ttlSeconds: env.NOTICE_TOKEN_TTL_SECONDS, secret: env.NOTICE_TOKEN_SECRET },
  /** Memory for the notices API's account records, per instance (about 2.5M accounts a GiB). */
  noticeAccountsCacheBytes: env.NOTICE_ACCOUNTS_CACHE_MB * 2 ** 20,
  /** Leaders who get the weekly prevented-contacts digest. */
  reportDigestTo: env.REPORT_DIGEST_TO,
  email: {
    from: env.EMAIL_FROM,
    /** How long a claimed batch is ours before another sender may send it again. */
    leaseSeconds: env.EMAIL_LEASE_SECONDS,
    /** Node only: how often due emails are looked for between the minute jobs (0: only those). */
    pollSeconds: env.EMAIL_POLL_SECONDS,
    resend: env.RESEND_API_KEY
      ? {
          apiKey: env.RESEND_API_KEY,
          baseUrl: env.RESEND_BASE_URL,
          requestsPerSecond: env.RESEND_RATE_LIMIT,
          timeoutMs: env.RESEND_TIMEOUT_MS,
        }
      : null,
    webhookSecret: env.RESEND_WEBHOOK_SECRET,
  },
}));

export type Config = z.output<typeof configSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: { variable: string; message: string }[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}`,
    );
    this.name = 'ConfigError';
  }
}

/**
 * Where a Worker's defaults differ from Node's: an isolate has 128 MB for everything, so the
 * notices API's account records get a share of that, not the gigabyte a Node process gives them.
 */
export const WORKER_DEFAULTS: EnvSource = { NOTICE_ACCOUNTS_CACHE_MB: '32' };

/** Parses configuration from `process.env` on Node, or a Worker's bindings. */
export function loadConfig(source: EnvSource): Config {
  const parsed = configSchema.safeParse(onlyStrings(source));
  if (!parsed.success) throw toConfigError(parsed.error);
  return parsed.data;
}

export function loadConfigFromProcessEnv(): Config {
  return loadConfig(process.env);
}

function toConfigError(error: z.ZodError): ConfigError {
  return new ConfigError(
    error.issues.map((issue) => ({
      variable: String(issue.path[0] ?? '(environment)'),
      message: issue.message,
    })),
  );
}

/**
 * Variables as text. A Worker's `[vars]` may be TOML numbers or booleans (`PORT = 3001`),
 * read as written; other bindings (a Hyperdrive object, a KV namespace) are not variables.
 */
function onlyStrings(source: EnvSource): Record<string, string> {
  const strings: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) {
    if (typeof value === 'string') strings[key] = value;
    else if (typeof value === 'number' || typeof value === 'boolean') strings[key] = String(value);
  }
  return strings;
}

const cliSchema = z
  .object({
    FORESTALL_URL: z
      .url({ protocol: /^https?$/ })
      .default('http://localhost:3000')
      .transform((url) => url.replace(/\/+$/, '')),
    FORESTALL_API_KEY: optionalString,
  })
  .transform((env) => ({ url: env.FORESTALL_URL, apiKey: env.FORESTALL_API_KEY }));

export type CliConfig = z.output<typeof cliSchema>;

/** For commands that talk to a running forestall (e.g. `npm run import`). */
export function loadCliConfig(source: EnvSource = process.env): CliConfig {
  const parsed = cliSchema.safeParse(onlyStrings(source));
  if (!parsed.success) throw toConfigError(parsed.error);
  return parsed.data;
}
