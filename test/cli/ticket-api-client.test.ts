import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postTicketBatch } from '../../src/cli/ticket-api-client';
import type { TicketInput } from '../../src/modules/tickets/ticket-input';
import { serveTestApp } from '../helpers/serve-app';
import { startTestApp, type TestApp } from '../helpers/test-app';
import { ticket } from '../helpers/tickets';

describe("the importer's batch client", () => {
  let t: TestApp;
  let server: Awaited<ReturnType<typeof serveTestApp>>;
  let posts = 0;
  beforeAll(async () => {
    t = await startTestApp();
    const countPosts = () => {
      posts++;
      return undefined;
    };
    server = await serveTestApp(t, countPosts, { keepGlobalResponse: true });
  });
  afterAll(async () => {
    await server.close();
    await t.close();
  });

  it('reports every bad field of each rejected row, though a refusal lists only the first 100', async () => {
    // Three bad fields a row: a refusal's 100 entries end inside the 34th bad row.
    const bad = { csat: 9, channel: 'c'.repeat(51), sub_reason: 's'.repeat(201) };
    const tickets = Array.from({ length: 160 }, (_, i) =>
      ticket(i, i < 10 ? {} : bad),
    ) as unknown as TicketInput[];
    const api = { url: server.url, apiKey: t.adminKey };
    const { summary, rejected } = await postTicketBatch(api, tickets);

    expect(summary).toMatchObject({ received: 10, inserted: 10 });
    expect(rejected.map((row) => row.index).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 150 }, (_, i) => i + 10),
    );
    for (const { index, errors } of rejected) {
      expect(
        errors.map((e) => e.path.replace(/^tickets\.\d+\./, '')).sort(),
        `row ${index}`,
      ).toEqual(['channel', 'csat', 'sub_reason']);
    }
    // 450 bad fields: a refusal for each 33 whole rows listed, then the good rows.
    expect(posts).toBe(6);
  });
});
