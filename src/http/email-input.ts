import { z } from '@hono/zod-openapi';

const NON_ASCII = /[^\p{ASCII}]/u;

/**
 * An email address whose domain may be internationalised (ada@bücher.de), kept with the domain
 * in its ASCII form (ada@xn--bcher-kva.de), which every mail server and Resend take. A local part
 * outside ASCII needs SMTPUTF8 from every server on the way, which is not promised, so it is
 * refused by name rather than accepted and lost.
 */
export const emailAddress = () =>
  z
    .string()
    .trim()
    .transform((value, ctx) => {
      const at = value.lastIndexOf('@');
      if (at < 0) return value;
      const local = value.slice(0, at);
      if (NON_ASCII.test(local)) {
        ctx.addIssue({
          code: 'custom',
          message:
            'must have only ASCII letters, digits and punctuation before the @ ' +
            '(an internationalised domain after it is fine)',
        });
        return z.NEVER;
      }
      const domain = value.slice(at + 1);
      return NON_ASCII.test(domain) ? `${local}@${asciiDomain(domain)}` : value;
    })
    .pipe(
      z
        .email()
        .max(254, 'must be at most 254 characters, the longest address mail servers deliver to')
        .refine(
          withinPartLimits,
          'must have at most 64 characters before the @ and at most 63 in each dot-separated ' +
            'part of the domain (RFC 5321, RFC 1035)',
        ),
    )
    .openapi({ type: 'string', format: 'email', maxLength: 254 });

/** Longer parts pass the address's pattern, and no mail server or Resend takes them. */
function withinPartLimits(address: string): boolean {
  const at = address.lastIndexOf('@');
  return (
    at <= 64 &&
    address
      .slice(at + 1)
      .split('.')
      .every((label) => label.length <= 63)
  );
}

/** What a URL parser would take for the end of a host name (a path, port, query...). */
const NOT_IN_A_NAME = /[\s/?#:@\\%[\]]/;

/**
 * The domain's IDNA (punycode) form, or the domain as it was when it is not a valid name (the
 * email check then refuses it). The URL parser drops whatever follows a host name, so a domain
 * holding such a character is not given to it: `ada@evil.com#ü` would become `ada@evil.com`.
 */
function asciiDomain(domain: string): string {
  if (NOT_IN_A_NAME.test(domain)) return domain;
  try {
    return new URL(`http://${domain}`).hostname || domain;
  } catch {
    return domain;
  }
}
