import { render } from '@react-email/render';
import { LRUCache } from 'lru-cache';
import { createElement, type ReactElement } from 'react';
import type { CampaignRow, EmailSettings } from '../../../db/schema';
import { displayLine } from '../../../lib/display-line';
import { EMAIL_TEMPLATE_COMPONENTS } from './email-templates';
import { subjectLine } from './subject-line';

/** A rendered email whose per-recipient parts are still `{{placeholders}}`. */
export type EmailContent = { subject: string; html: string; text: string };
/** The content and the locale it is written in. */
export type RenderedEmail = EmailContent & { locale: string };

export const RECIPIENT_VARIABLES = [
  'name',
  'email',
  'account_id',
  'plan',
  'event_time',
  'unsubscribe_url',
] as const;
export type RecipientVariables = Record<(typeof RECIPIENT_VARIABLES)[number], string>;

const placeholder = (name: (typeof RECIPIENT_VARIABLES)[number]) => `{{${name}}}`;
const PLACEHOLDER = /\{\{\s*(name|email|account_id|plan|event_time|unsubscribe_url)\s*\}\}/gi;

/** React once per campaign version, locale and event time (test/bench/README.md, Email). */
const rendered = new LRUCache<string, Promise<RenderedEmail>>({ max: 500 });

type TemplateCampaign = Pick<
  CampaignRow,
  'title' | 'bodyHtml' | 'ctaLabel' | 'ctaUrl' | 'locales'
> & { email: EmailSettings };

export function renderCampaignEmail(
  campaign: TemplateCampaign & Pick<CampaignRow, 'id' | 'version'>,
  locale: string | null,
  withEventTime: boolean,
): Promise<RenderedEmail> {
  const [variantLocale] = localeVariant(campaign.locales, locale);
  const key = `${campaign.id}:${campaign.version}:${variantLocale ?? ''}:${withEventTime}`;
  let content = rendered.get(key);
  if (!content) {
    content = renderCampaignTemplate(campaign, locale, withEventTime);
    content.catch(() => rendered.delete(key));
    rendered.set(key, content);
  }
  return content;
}

/** One render, uncached: for content not saved yet (the console's preview). */
export async function renderCampaignTemplate(
  campaign: TemplateCampaign,
  locale: string | null,
  withEventTime: boolean,
): Promise<RenderedEmail> {
  const [variantLocale, variant] = localeVariant(campaign.locales, locale);
  const title = variant?.title ?? campaign.title;
  const ctaLabel = variant?.cta_label ?? campaign.ctaLabel;
  // The default content's language is not known; the words around it stay English.
  const contentLocale = variantLocale ?? 'en';
  const element = createElement(EMAIL_TEMPLATE_COMPONENTS[campaign.email.template], {
    locale: contentLocale,
    title,
    bodyHtml: variant?.body_html ?? campaign.bodyHtml,
    cta: campaign.ctaUrl && ctaLabel ? { label: ctaLabel, url: campaign.ctaUrl } : null,
    recipientName: placeholder('name'),
    recipientEmail: placeholder('email'),
    accountId: placeholder('account_id'),
    unsubscribeUrl: placeholder('unsubscribe_url'),
    eventTime: withEventTime ? placeholder('event_time') : null,
  });
  const { html, text } = await renderHtmlAndText(element);
  return {
    subject: variant ? title : (campaign.email.subject ?? title),
    html,
    text,
    locale: contentLocale,
  };
}

/** React Email's two parts of a message: the HTML and the plain-text alternative. */
export async function renderHtmlAndText(
  element: ReactElement,
): Promise<{ html: string; text: string }> {
  const [html, text] = await Promise.all([render(element), render(element, { plainText: true })]);
  return { html, text };
}

/**
 * Fills in one recipient, each value first made one line without bidirectional controls (a
 * contact's name is taken as the product sends it; a plan stored before plans were checked
 * may hold anything), so that none can split the subject header, break its sentence in the
 * text part or reverse the words after it in any part; then escaped in the HTML.
 */
export function personalise(content: EmailContent, variables: RecipientVariables): EmailContent {
  const lines = Object.fromEntries(
    Object.entries(variables).map(([name, value]) => [name, displayLine(value)]),
  ) as RecipientVariables;
  const fill = (template: string, encode: (value: string) => string) =>
    // Case-insensitive: the text part upper-cases headings.
    template.replace(PLACEHOLDER, (_, name: string) =>
      encode(lines[name.toLowerCase() as keyof RecipientVariables]),
    );
  return {
    subject: subjectLine(fill(content.subject, (v) => v)),
    html: fill(content.html, escapeHtml),
    text: fill(content.text, (v) => v),
  };
}

/** The recipient's locale, then its language, then the campaign's default (null). */
function localeVariant<V>(
  locales: Record<string, V>,
  locale: string | null,
): [string | null, V | null] {
  if (!locale) return [null, null];
  const wanted = locale.toLowerCase();
  for (const candidate of [wanted, wanted.split('-')[0] ?? '']) {
    const found = Object.entries(locales).find(([key]) => key.toLowerCase() === candidate);
    if (found) return found;
  }
  return [null, null];
}

const escapeHtml = (value: string) =>
  value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
