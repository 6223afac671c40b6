import { describe, expect, it } from 'vitest';
import { hostCheckedFetch, webhookAddressRefusal } from '../../src/lib/webhook-address';

describe('webhookAddressRefusal', () => {
  it.each([
    ['10.0.0.5', false, 'a private address'],
    ['[::ffff:a00:5]', true, 'a private address'],
    ['169.254.169.254', true, 'a private address'],
    ['127.0.0.1', false, 'a loopback address'],
    ['localhost', false, 'a loopback address'],
    ['[::1]', false, 'a loopback address'],
    ['127.0.0.1', true, null],
    ['hooks.example.com', false, null],
    ['93.184.215.14', false, null],
  ] as const)('judges %s (loopback allowed: %s) as %s', (host, allowLoopback, refusal) => {
    expect(webhookAddressRefusal(host, allowLoopback)).toBe(refusal);
  });
});

describe('hostCheckedFetch', () => {
  const recording = (allowLoopback: boolean) => {
    const sent: string[] = [];
    const send = hostCheckedFetch(allowLoopback, async (input) => {
      sent.push(String(input));
      return new Response(null, { status: 204 });
    });
    return { sent, send };
  };

  it('sends nothing to an address the rule refuses, however the URL writes it', async () => {
    const { sent, send } = recording(false);
    for (const [url, error] of [
      ['http://10.0.0.5/hooks', '10.0.0.5 is a private address'],
      ['http://[::ffff:169.254.169.254]/x', '[::ffff:a9fe:a9fe] is a private address'],
      ['http://0x7f000001:8080/hooks', '127.0.0.1 is a loopback address'],
      ['http://LOCALHOST./hooks', 'localhost. is a loopback address'],
    ]) {
      await expect(send(url as string, { method: 'POST' })).rejects.toThrow(error);
    }
    expect(sent).toEqual([]);
  });

  it('passes a name, a public address and, when allowed, loopback on to the sender', async () => {
    const { sent, send } = recording(true);
    for (const url of ['https://hooks.example.com/a', 'http://93.184.215.14/b', 'http://[::1]/c']) {
      expect((await send(url)).status).toBe(204);
    }
    expect(sent).toEqual([
      'https://hooks.example.com/a',
      'http://93.184.215.14/b',
      'http://[::1]/c',
    ]);
  });
});
