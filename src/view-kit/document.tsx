import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import { STYLESHEET_PATH } from './stylesheet';

type DocumentProps = {
  title: string;
  /** The layout the stylesheet styles: `console`, `status-page`, `report-page`, `notice-page`. */
  layout: string;
  /** Extra `<head>` elements: feeds, refresh, robots. */
  head?: Child;
  /** A brand colour for links and buttons (the status page's `STATUS_PAGE_ACCENT`). */
  accent?: string;
  children?: Child;
};

/** Every page's frame: one stylesheet, served as a cacheable asset. */
export const Document = ({ title, layout, head, accent, children }: DocumentProps) => (
  <>
    {raw('<!doctype html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {head}
        <title>{title}</title>
        <link rel="stylesheet" href={STYLESHEET_PATH} />
        <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
      </head>
      <body class={layout} style={accent ? `--accent: ${accent}` : undefined}>
        {children}
      </body>
    </html>
  </>
);

/** A page's markup as the string a response body takes. */
export const renderToString = async (node: Child): Promise<string> => String(await node);
