import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { neutraliseFormula } from '../../../src/lib/csv-cell';
import { startTestApp, type TestApp } from '../../helpers/test-app';

describe('CSV that forestall writes', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it.each([
    ['=HYPERLINK("http://evil.example","x")', `'=HYPERLINK("http://evil.example","x")`],
    ['+1+1', `'+1+1`],
    ['-2+3', `'-2+3`],
    ['@SUM(A1)', `'@SUM(A1)`],
    ['\tcmd', `'\tcmd`],
    ['Billing', 'Billing'],
  ])('neutralises the text cell %j', (cell, written) => {
    expect(neutraliseFormula(cell)).toBe(written);
  });

  it('writes a ticket reason that looks like a formula as text in the report CSV', async () => {
    const reason = '=HYPERLINK("http://evil.example","refund")';
    const ingested = await t.request('/v1/tickets', {
      method: 'POST',
      json: {
        tickets: [{ source: 'crm', external_id: '1', reason, created_at: '2026-03-02T08:00:00Z' }],
      },
    });
    expect(ingested.status).toBe(200);
    const response = await t.request(
      '/v1/reports/prevented-contacts?from=2026-03-01&to=2026-03-28&format=csv',
    );
    expect(response.status).toBe(200);
    const rows = parse(await response.text(), { columns: true }) as Record<string, string>[];
    const labels = rows.filter((row) => row.section === 'reason').map((row) => row.label);
    expect(labels).toContain(`'${reason}`);
    for (const row of rows) {
      for (const value of Object.values(row)) {
        // Numbers (negative ones too) stay numbers; no text cell starts like a formula.
        if (!/^-?\d+(\.\d+)?(e-?\d+)?$/.test(value)) expect(value).not.toMatch(/^[=+\-@\t\r]/);
      }
    }
  });
});
