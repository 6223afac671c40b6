import { describe, expect, it } from 'vitest';
import { ServiceWarnings } from '../../../src/modules/reports/report-page';
import { renderToString } from '../../../src/view-kit/document';

/** The report and a campaign's impact page say companion warnings the same way. */
describe('service warnings', () => {
  it('names the campaign where there is one, says the message alone where not, and shows nothing without warnings', async () => {
    const text = async (warnings: { title?: string; message: string }[]) =>
      (await renderToString(ServiceWarnings({ warnings }))).replace(/<[^>]+>/g, ' ');
    const report = await text([{ title: 'New invoices', message: 'CSAT fell.' }]);
    expect(report).toContain('Fewer contacts, worse figures than held-out accounts');
    expect(report.replace(/\s+/g, ' ')).toContain('New invoices : CSAT fell.');
    const page = await text([{ message: 'Re-contacts rose.' }]);
    expect(page.replace(/\s+/g, ' ')).toContain(' Re-contacts rose. ');
    expect(page).not.toContain(':');
    expect(await text([])).toBe('');
  });
});
