/**
 * Every Content-Security-Policy forestall sends, each stated once. Each document gets the
 * least it needs; none runs a script of its own page (no inline script, nothing injected).
 */

const policy = (...directives: string[]) => directives.join('; ');

/** No `<base>`: injected markup cannot point the page's relative URLs elsewhere. */
const NO_BASE = "base-uri 'none'";
const NOT_FRAMED = "frame-ancestors 'none'";
/** Loads nothing the policy does not name. */
const NOTHING_BY_DEFAULT = "default-src 'none'";
/** Loads what forestall itself serves, scripts only as its own files. */
const OWN_FILES = ["default-src 'self'", "script-src 'self'"];
const NO_PLUGINS = "object-src 'none'";
const POSTS_BACK = "form-action 'self'";
const POSTS_NOWHERE = "form-action 'none'";

/**
 * Console pages: their own scripts and images. Inline styles are allowed: the charts are drawn
 * on the server as SVG with a `<style>` of their own, and the email previews are `srcdoc`
 * frames, which take this policy, styled by attributes as emails are.
 */
export const CONSOLE_POLICY = policy(
  ...OWN_FILES,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self'",
  NO_PLUGINS,
  NO_BASE,
  POSTS_BACK,
  NOT_FRAMED,
);

/**
 * The public status pages (and the subscription pages beside them): their own script and
 * stylesheet, the configured logo, and style attributes (the accent colour). Any site may
 * frame the status pages (help centres embed them): said here, and `securityHeaders` then sends no
 * `X-Frame-Options`, which browsers that know no frame-ancestors would obey alone.
 * The subscription pages, whose buttons confirm or unsubscribe, are never framed.
 */
export const statusPagePolicy = (logoUrl: string | undefined, framing: 'framed' | 'not framed') =>
  policy(
    ...OWN_FILES,
    "style-src 'self'",
    "style-src-attr 'unsafe-inline'",
    `img-src 'self'${logoUrl ? ` ${new URL(logoUrl).origin}` : ''}`,
    NO_PLUGINS,
    NO_BASE,
    POSTS_BACK,
    framing === 'framed' ? 'frame-ancestors *' : NOT_FRAMED,
  );

/**
 * An email opened from forestall's own origin: styled by its own attributes and `<style>`,
 * with images from anywhere as in a mail client, and never a script, a form or a frame.
 */
export const EMAIL_PREVIEW_POLICY = policy(
  NOTHING_BY_DEFAULT,
  "style-src 'unsafe-inline'",
  'img-src https: data:',
  NO_BASE,
  POSTS_NOWHERE,
  NOT_FRAMED,
);

/** The unsubscribe pages load only forestall's stylesheet and post only back to themselves. */
export const UNSUBSCRIBE_PAGE_POLICY = policy(
  NOTHING_BY_DEFAULT,
  "style-src 'self'",
  "img-src 'self'",
  NO_BASE,
  POSTS_BACK,
  NOT_FRAMED,
);

/** The printable report: its stylesheet comes from /assets, its charts are inline SVG. */
export const REPORT_PAGE_POLICY = policy(
  NOTHING_BY_DEFAULT,
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  NO_BASE,
  POSTS_NOWHERE,
  NOT_FRAMED,
);

/**
 * The API reference (Swagger UI, /docs): its bundle and stylesheet from forestall or, on
 * Workers, those two files of the pinned package on the CDN (not the package's other
 * scripts, nor other packages), and its start script beside the page; the icons its
 * stylesheet draws as data: images; requests to its own origin only, /openapi.json and "Try it
 * out" (the API answers no other origin anyway). No inline style: React sets styles through
 * the DOM, which the policy does not govern (the browser test expands operations and schemas).
 */
export const apiReferencePolicy = (cdn: { script: string; stylesheet: string } | undefined) =>
  policy(
    NOTHING_BY_DEFAULT,
    `script-src 'self'${cdn ? ` ${cdn.script}` : ''}`,
    `style-src 'self'${cdn ? ` ${cdn.stylesheet}` : ''}`,
    "img-src 'self' data:",
    "connect-src 'self'",
    NO_BASE,
    POSTS_NOWHERE,
    NOT_FRAMED,
  );
