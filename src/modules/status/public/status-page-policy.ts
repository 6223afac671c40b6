import type { Config } from '../../../config';

/**
 * What the status pages may load: their own script and stylesheet, the configured logo, and
 * style attributes (the accent colour). Framing is left open: sites embed status pages.
 */
export const statusPagePolicy = (brand: Config['statusPageBrand']) =>
  [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    `img-src 'self'${brand.logoUrl ? ` ${new URL(brand.logoUrl).origin}` : ''}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
