import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isUnroutableAddress } from '../../src/lib/unroutable-address';

describe('isUnroutableAddress', () => {
  it.each([
    '10.0.0.5',
    '172.16.3.4',
    '192.168.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '100.64.0.1',
    '[fd00::1]',
    'fe80::1',
    '::',
    // What `new URL('http://[::ffff:10.0.0.5]/').hostname` gives: the mapped address in hex.
    new URL('http://[::ffff:10.0.0.5]/').hostname,
    '::ffff:169.254.169.254',
  ])('refuses %s', (address) => {
    expect(isUnroutableAddress(address)).toBe(true);
  });

  it.each([
    '93.184.215.14',
    '[2606:4700::6810:84e5]',
    '127.0.0.1',
    '[::1]',
    'hooks.example.com',
    '',
  ])('allows %s', (address) => {
    expect(isUnroutableAddress(address)).toBe(false);
  });
});

describe('isLoopbackHost', () => {
  it.each([
    '127.0.0.1',
    '127.255.0.9',
    '[::1]',
    new URL('http://127.1/').hostname,
    new URL('http://0x7f000001/').hostname,
    new URL('http://[::ffff:127.0.0.1]/').hostname,
    'localhost',
    'LOCALHOST.',
    'hooks.localhost',
  ])('takes %s for this machine', (host) => {
    expect(isLoopbackHost(host)).toBe(true);
  });

  it.each(['93.184.215.14', '10.0.0.5', '[fd00::1]', 'hooks.example.com', 'localhost.example.com'])(
    'does not take %s for this machine',
    (host) => {
      expect(isLoopbackHost(host)).toBe(false);
    },
  );
});
