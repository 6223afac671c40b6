import MarkdownIt from 'markdown-it';
import * as xssModule from 'xss';
import { commonJsExports } from '../../lib/common-js-exports';

const xss = commonJsExports(xssModule, 'FilterXSS');

// Raw HTML in Markdown is escaped, not passed through; the sanitiser is the second wall.
const markdown = new MarkdownIt({ html: false, linkify: true, breaks: false });

const sanitizer = new xss.FilterXSS({
  whiteList: {
    p: [],
    br: [],
    strong: [],
    em: [],
    code: [],
    pre: [],
    ul: [],
    ol: [],
    li: [],
    blockquote: [],
    h3: [],
    h4: [],
    a: ['href', 'title', 'rel', 'target'],
  },
  stripIgnoreTag: true,
  stripIgnoreTagBody: ['script', 'style'],
  onTagAttr(tag, name, value) {
    if (tag === 'a' && name === 'href') {
      return /^(https?:|mailto:)/i.test(value) ? `href="${xss.escapeAttrValue(value)}"` : '';
    }
    return undefined;
  },
});

/** Markdown from ops, as HTML safe to put in a product page, a status page or an email. */
export function renderMarkdown(source: string): string {
  const html = markdown
    .render(source)
    .replace(/<h[12]>/g, '<h3>')
    .replace(/<\/h[12]>/g, '</h3>');
  return sanitizer
    .process(html)
    .replace(/<a href=/g, '<a rel="noopener noreferrer" target="_blank" href=')
    .trim();
}
