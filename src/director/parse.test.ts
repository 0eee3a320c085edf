import { describe, expect, it } from 'vitest';
import { parseSshSetupResult, parseVmList } from './parse.js';

const line = (fields: Record<string, unknown>) => JSON.stringify({ ips: ['10.0.0.1'], job_name: 'redis', index: 0, id: 'a-1', bootstrap: true, ...fields });

describe('parseVmList', () => {
  it('reads the fields BBR reads, skipping blank lines', () => {
    const vms = parseVmList(`${line({})}\n\n${line({ id: 'a-2', index: 1, bootstrap: false, ips: [], active: false })}\n`, 'd');
    expect(vms).toEqual([
      { id: 'a-1', group: 'redis', index: 0, ips: ['10.0.0.1'], bootstrap: true, active: true },
      { id: 'a-2', group: 'redis', index: 1, ips: [], bootstrap: false, active: false },
    ]);
  });

  it.each([
    ['broken JSON', '{"job_name":', /line 1: not JSON/],
    ['an index sent as a string', line({ index: '0' }), /index of redis\/a-1 is "0"/],
    ['a null index', line({ index: null }), /index of redis\/a-1 is null/],
    ['a group name that is a path', line({ job_name: '../etc' }), /job_name "..\/etc" is not a plain name/],
    ['an id with a slash', line({ id: 'a/b' }), /id "a\/b" is not an instance id/],
  ])('refuses %s', (_what, text, message) => {
    expect(() => parseVmList(text, 'd')).toThrow(message);
  });
});

describe('parseSshSetupResult', () => {
  const host = (fields: Record<string, unknown>) => ({ command: 'setup', status: 'success', ip: '10.0.0.1', host_public_key: 'ssh-rsa AAAA root@x\n', id: 'a-1', index: 0, job: 'redis', ...fields });

  it('takes ip or ip:port, port 22 by default', () => {
    const hosts = parseSshSetupResult(JSON.stringify([host({}), host({ id: 'a-2', ip: '10.0.0.2:3457' }), host({ id: 'a-3', ip: 'fd00::5' })]), 'd', 'redis');
    expect(hosts.map((h) => `${h.host} ${h.port}`)).toEqual(['10.0.0.1 22', '10.0.0.2 3457', 'fd00::5 22']);
  });

  it.each([
    ['an empty list', [], /no instance was set up/],
    ['a failed host', [host({ status: 'failure' })], /redis\/a-1 reports status "failure"/],
    ['an empty ip', [host({ ip: '' })], /no IP address for redis\/a-1/],
    ['a host name where an IP belongs', [host({ ip: 'evil.example' })], /"evil.example" as the address of redis\/a-1, which is not an IP address/],
    ['no host key', [host({ host_public_key: '' })], /redis\/a-1 reported no host key/],
  ])('refuses %s', (_what, value, message) => {
    expect(() => parseSshSetupResult(JSON.stringify(value), 'd', 'redis')).toThrow(message);
  });
});
