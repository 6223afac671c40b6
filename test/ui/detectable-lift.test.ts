import { describe, expect, it } from 'vitest';
import { DetectableLift } from '../../src/ui/campaign-impact.routes';
import { renderToString } from '../../src/view-kit/document';

/** A campaign's impact page says what its groups can show. */
describe('the detectable lift on a campaign impact page', () => {
  const text = async (lift: number | null) =>
    (await renderToString(DetectableLift({ lift }))).replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');

  it('quotes a lift under 100%, says no effect could show past it, and says nothing without one', async () => {
    expect(await text(0.183)).toContain('detects a lift of 18.3% or more of the contacts');
    const hopeless = await text(3.293);
    expect(hopeless).toContain('too small to show any effect');
    expect(hopeless).not.toContain('%  or more');
    expect(hopeless).not.toContain('329');
    expect(await text(null)).toBe('');
  });
});
