import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';

/** A page's title, with what it covers and what can be done from it beside. */
export const PageHeader = (props: { title: Child; meta?: Child; children?: Child }) => (
  <header class="page-header">
    <h1>{props.title}</h1>
    {props.meta ? <p class="meta">{props.meta}</p> : ''}
    {props.children}
  </header>
);

/** A titled box on a page; `id` names its heading for the landmark. */
export const Card = (props: { id: string; title: Child; children?: Child }) => (
  <section class="card" aria-labelledby={`${props.id}-h`}>
    <h2 id={`${props.id}-h`}>{props.title}</h2>
    {props.children}
  </section>
);

/** What a list or chart shows when there is nothing to show, and what to do about it. */
export const EmptyState = (props: { children?: Child }) => <p class="empty">{props.children}</p>;

export const Pill = (props: { children?: Child }) => <span class="pill">{props.children}</span>;

/** Something about the data on the page the reader should know before reading it. */
export const Note = (props: { children?: Child }) => <aside class="note">{props.children}</aside>;

/** `link`: where to go about it, shown after the text. */
export type Flash = { ok: boolean; text: string; link?: { href: string; label: string } };

/** The outcome of what was just done, or the problem that stopped it. */
export const Message = ({ flash }: { flash: Flash }) => (
  <p class={`flash ${flash.ok ? 'ok' : 'bad'}`} role={flash.ok ? 'status' : 'alert'}>
    {flash.text}
    {flash.link ? (
      <>
        {' '}
        <a href={flash.link.href}>{flash.link.label}</a>
      </>
    ) : (
      ''
    )}
  </p>
);

export type Column<Row> = {
  header: Child;
  cell: (row: Row) => Child;
  /** Right-aligned, tabular figures. */
  numeric?: boolean;
};

/** Rows under named columns; `empty` stands in for the table when there are no rows. */
export function Table<Row>(props: {
  columns: readonly Column<Row>[];
  rows: readonly Row[];
  empty?: Child;
  caption?: Child;
}) {
  if (props.rows.length === 0 && props.empty !== undefined) {
    return <EmptyState>{props.empty}</EmptyState>;
  }
  const numeric = (column: Column<Row>) => (column.numeric ? 'n' : undefined);
  return (
    <div class="table-scroll">
      <table>
        {props.caption ? <caption>{props.caption}</caption> : ''}
        <thead>
          <tr>
            {props.columns.map((column) => (
              <th class={numeric(column)}>{column.header}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr>
              {props.columns.map((column) => (
                <td class={numeric(column)}>{column.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Links through a list longer than a page: back to its first page, and on to the next. */
export const Pager = (props: { first?: string; next?: string }) =>
  props.first || props.next ? (
    <nav class="pager" aria-label="Pages">
      {props.first ? <a href={props.first}>First page</a> : ''}
      {props.next ? <a href={props.next}>Next page</a> : ''}
    </nav>
  ) : (
    ''
  );

/** A GET form choosing the days a page covers; `children` go beside the button. */
export const PeriodControl = (props: {
  action: string;
  from: string;
  to: string;
  children?: Child;
}) => (
  <form method="get" action={props.action} class="period">
    <div>
      <label for="from">From</label>
      <input type="text" id="from" name="from" value={props.from} placeholder="YYYY-MM-DD" />
    </div>
    <div>
      <label for="to">To</label>
      <input type="text" id="to" name="to" value={props.to} placeholder="YYYY-MM-DD" />
    </div>
    <button type="submit">Show</button>
    {props.children}
  </form>
);

/**
 * A chart drawn on the server (echarts' SSR SVG, which escapes its own text) with its caption.
 * The one place chart markup enters a page.
 */
export const ChartContainer = (props: { svg: string; caption?: Child }) => (
  <figure class="chart">
    {raw(props.svg)}
    {props.caption ? <figcaption>{props.caption}</figcaption> : ''}
  </figure>
);

/**
 * HTML that `renderMarkdown` has already sanitised (campaign and incident bodies). Never pass
 * it anything else: the rest of the kit escapes what it is given.
 */
export const SanitizedHtml = (props: { html: string }) => <>{raw(props.html)}</>;

/**
 * An instant, written in UTC; the pages' local-times script shows it in the reader's own zone
 * (the UTC text stays without JavaScript).
 */
export const Instant = ({ at }: { at: string | null | undefined }) =>
  at ? <time datetime={at}>{`${at.slice(0, 10)} ${at.slice(11, 16)} UTC`}</time> : '—';
