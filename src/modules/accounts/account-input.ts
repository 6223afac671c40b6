import { z } from '@hono/zod-openapi';
import { emailAddress } from '../../http/email-input';
import { DOT_SEGMENT_MESSAGE, isDotSegment, oneLineText } from '../../http/text-input';
import { isTimeZone } from '../../lib/time-zone';

export const MAX_ACCOUNTS_PER_BATCH = 5_000;

export const AccountIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  // Every other such id stays one path segment once encoded (encodeURIComponent).
  .refine((id) => !isDotSegment(id), DOT_SEGMENT_MESSAGE)
  .openapi({
    example: 'acct_42',
    description: 'Printable ASCII without spaces, 1 to 200 characters, not "." or "..".',
  });

const isLocale = (value: string) => {
  try {
    return Intl.getCanonicalLocales(value).length === 1;
  } catch {
    return false;
  }
};

export const LocaleSchema = z
  .string()
  .trim()
  .max(35)
  .refine(isLocale, 'must be a BCP 47 language tag such as en or fr-CA')
  .openapi({ example: 'fr-CA' });

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Kept as the request's JSON gave them, not copied: a zod record drops a key named `__proto__`
 * without a word (so that the copy it builds keeps its prototype), yet in JSON that is a key
 * like any other, and audience rules may name it. JSON.parse made it an own data property; it
 * goes to the database as JSON text, and what reads attributes back reads own keys only.
 */
const AttributesSchema = z
  .custom<Record<string, unknown>>(isJsonObject, 'must be an object')
  .superRefine((attributes, ctx) => {
    for (const key of Object.keys(attributes)) {
      if (key.length === 0 || key.length > 100) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'a key has 1 to 100 characters' });
      }
    }
  });

const nullableText = (max: number) => z.string().trim().min(1).max(max).nullish();
/**
 * The product's own names for its plans and regions, which emails show among other words
 * ({{plan}}) and audience rules compare: a line break or a bidirectional override in one is a
 * bug in the sync, told back by field rather than stored. Contacts' names stay as the product's
 * users wrote them: refusing one would fail the whole sync over what someone typed.
 */
const productLabel = () => oneLineText(100).nullish();

export const AccountInputSchema = z
  .object({
    plan: productLabel().openapi({ example: 'enterprise' }),
    region: productLabel().openapi({ example: 'eu-west' }),
    components: z
      .array(z.string().trim().min(1).max(100))
      .max(200)
      .default([])
      .openapi({ description: 'Product components the account uses.', example: ['API'] }),
    locale: LocaleSchema.nullish(),
    time_zone: z
      .string()
      .trim()
      .max(64)
      .refine(isTimeZone, 'must be an IANA time zone such as Europe/Paris')
      .nullish(),
    attributes: AttributesSchema.default({}).openapi({
      type: 'object',
      additionalProperties: {},
      default: {},
      description: 'Anything else audience rules may test (keys of 1 to 100 characters).',
      example: { seats: 40 },
    }),
    churned_at: z.iso
      .datetime({ offset: true })
      .nullish()
      .openapi({
        description:
          'When the account left (churned), if it did: the report compares the share of ' +
          'treated and held-out accounts that churned inside a campaign’s window.',
        example: '2026-03-20T10:00:00Z',
      }),
    downgraded_at: z.iso
      .datetime({ offset: true })
      .nullish()
      .openapi({ description: 'When the account moved to a cheaper plan, if it did.' }),
    contacts: z
      .array(
        z.object({
          email: emailAddress(),
          name: nullableText(200),
          locale: LocaleSchema.nullish(),
        }),
      )
      .max(100)
      .default([]),
  })
  .openapi('AccountInput');

export type AccountInput = z.output<typeof AccountInputSchema>;

export const AccountBatchSchema = z
  .object({
    accounts: z
      .array(AccountInputSchema.extend({ id: AccountIdSchema }))
      .min(1)
      .max(MAX_ACCOUNTS_PER_BATCH),
  })
  .openapi('AccountBatch');

export const AccountSchema = AccountInputSchema.extend({
  id: z.string(),
  plan: z.string().nullable(),
  region: z.string().nullable(),
  locale: z.string().nullable(),
  time_zone: z.string().nullable(),
  churned_at: z.string().nullable(),
  downgraded_at: z.string().nullable(),
  contacts: z.array(
    z.object({ email: z.string(), name: z.string().nullable(), locale: z.string().nullable() }),
  ),
  created_at: z.string(),
  updated_at: z.string(),
}).openapi('Account');

export type AccountView = z.infer<typeof AccountSchema>;
