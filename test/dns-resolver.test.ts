// The resolver against a real DNS server (dnsmasq with the fixture zone of test/fixtures/dns/dnsmasq.conf),
// with Node's own dns.promises.Resolver asked the same questions of the same server as the reference: the
// same results (as sets: dnsmasq varies the order of a record set between answers) and the same errors.
import * as assert from 'node:assert/strict';
import * as dns from 'node:dns';
import { Resolver, dnsStats } from '../lib';
import { fixtureDns } from './dns-helpers';

type Method = 'resolve4' | 'resolve6' | 'resolveAny' | 'resolveCaa' | 'resolveCname' | 'resolveMx' | 'resolveNaptr' |
  'resolveNs' | 'resolvePtr' | 'resolveSoa' | 'resolveSrv' | 'resolveTxt' | 'reverse';

async function outcome(f: () => Promise<unknown>): Promise<unknown> {
  try {
    const r = await f();
    // A record set's order is the server's choice; compare as sets.
    return Array.isArray(r) ? r.map((x) => JSON.stringify(x)).sort() : r;
  } catch (err) {
    const e = err as { code?: string; syscall?: string; hostname?: string; message?: string };
    return { code: e.code, syscall: e.syscall, hostname: e.hostname, message: e.message };
  }
}

describe('dns resolver against a real server (dnsmasq)', function () {
  this.timeout(60000);
  let server: string;
  let ours: Resolver;
  let node: dns.promises.Resolver;

  before(async () => {
    server = await fixtureDns();
    ours = new Resolver({ servers: [server], cache: false, timeout: 2000, tries: 2 });
    node = new dns.promises.Resolver({ timeout: 2000, tries: 2 });
    node.setServers([server]);
  });

  const cases: Array<[Method, string, { ttl: true }?]> = [
    ['resolve4', 'example.test'], ['resolve4', 'example.test', { ttl: true }], ['resolve6', 'example.test', { ttl: true }],
    ['resolve4', 'www.example.test', { ttl: true }], ['resolve6', 'www.example.test'], ['resolve4', 'EXAMPLE.Test.'],
    ['resolveCname', 'www.example.test'], ['resolveCname', 'web.example.test'], ['resolveCname', 'example.test'],
    ['resolveMx', 'example.test'], ['resolveMx', 'www.example.test'], ['resolveMx', 'mail.example.test'],
    ['resolveTxt', 'example.test'], ['resolveTxt', 'www.example.test'], ['resolveCaa', 'example.test'],
    ['resolveNaptr', 'example.test'], ['resolveNs', 'example.test'], ['resolveNs', 'www.example.test'],
    ['resolveSoa', 'example.test'], ['resolveSoa', 'www.example.test'], ['resolveSrv', '_sip._tcp.example.test'],
    ['resolvePtr', '1.2.0.192.in-addr.arpa'], ['reverse', '192.0.2.1'], ['reverse', '2001:db8::53'], ['reverse', '192.0.2.99'],
    ['reverse', '192.0.2'], ['resolveAny', 'example.test'], ['resolveAny', 'sip.example.test'], ['resolveAny', 'nope.test'],
    ['resolve4', 'nope.test'], ['resolve6', 'v4only.example.test'], ['resolve4', 'v6only.example.test'],
    ['resolve4', 'outside.example'], ['resolve4', 'a..test'], ['resolve4', `${'a'.repeat(64)}.test`], ['resolve4', 'bücher.test'],
    ['resolve4', 'big.test'],
  ];
  for (const [method, name, opts] of cases) {
    it(`${method}(${JSON.stringify(name)}${opts ? ', { ttl: true }' : ''}) gives what Node's resolver gives`, async () => {
      const call = (r: Resolver | dns.promises.Resolver) =>
        () => (r as unknown as Record<Method, (n: string, o?: object) => Promise<unknown>>)[method](name, opts);
      const [mine, theirs] = await Promise.all([outcome(call(ours)), outcome(call(node))]);
      assert.deepEqual(mine, theirs);
    });
  }

  it('resolve(name, rrtype) is the same as the resolveXxx method; bad rrtypes throw as Node\'s', async () => {
    assert.deepEqual((await ours.resolve('example.test')).sort(), ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(await ours.resolve('example.test', 'SOA'), await ours.resolveSoa('example.test'));
    assert.deepEqual((await ours.resolve('example.test', 'MX')).map((m) => m.priority).sort(), [10, 20]);
    for (const bad of ['XX', 'a', 'TLSA']) {
      assert.throws(() => ours.resolve('example.test', bad), { code: 'ERR_INVALID_ARG_VALUE' });
    }
    assert.throws(() => ours.resolve4(5 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE', message: /"name" argument/ });
  });

  it('the big record set comes back complete over TCP after a truncated UDP answer', async () => {
    const before = ours.stats().tcpQueries;
    const all = await ours.resolve4('big.test');
    assert.equal(all.length, 100);
    assert.equal(new Set(all).size, 100);
    assert.equal(ours.stats().tcpQueries, before + 1);
    assert.equal(ours.stats().tcpFailures, 0);
  });

  it('without TCP fallback, the truncated answer is used as it is (fewer records)', async () => {
    const r = new Resolver({ servers: [server], cache: false, tcp: false });
    const some = await r.resolve4('big.test');
    assert.ok(some.length > 0 && some.length < 100, `${some.length} records`);
    assert.equal(r.stats().tcpQueries, 0);
  });

  it('getServers/setServers as Node\'s (ports, IPv6 brackets, duplicates, errors)', () => {
    const list = ['127.0.0.1', '127.0.0.1:53', '[::1]:5353', '::1', '[::1]', '10.0.0.1:1053', '2001:db8::1'];
    const r = new Resolver({ servers: [server] });
    r.setServers(list);
    const n = new dns.promises.Resolver();
    n.setServers(list);
    assert.deepEqual(r.getServers(), n.getServers());
    assert.throws(() => r.setServers(['foo']), { code: 'ERR_INVALID_IP_ADDRESS', message: 'Invalid IP address: foo' });
    assert.throws(() => r.setServers('1.2.3.4' as unknown as string[]), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => new Resolver({ timeout: 'x' as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE', message: /"options.timeout" property/ });
    assert.throws(() => new Resolver({ tries: 0 }), { code: 'ERR_OUT_OF_RANGE' });
  });

  it('cancel() rejects the queries in progress with ECANCELLED, as Node\'s', async () => {
    const r = new Resolver({ servers: [server], cache: false });
    const p = r.resolve4('example.test');
    const q = r.resolveMx('example.test');
    r.cancel();
    await assert.rejects(p, { code: 'ECANCELLED', syscall: 'queryA', hostname: 'example.test', message: 'queryA ECANCELLED example.test' });
    await assert.rejects(q, { code: 'ECANCELLED', syscall: 'queryMx' });
    assert.equal((await r.resolve4('example.test')).length, 2, 'the resolver still works afterwards');
  });

  it('an AbortSignal abandons one call', async () => {
    const r = new Resolver({ servers: [server], cache: false });
    const ac = new AbortController();
    const p = r.resolve4('example.test', { signal: ac.signal });
    ac.abort();
    await assert.rejects(p, { name: 'AbortError', code: 'ABORT_ERR' });
  });

  it('many concurrent queries on few sockets: all answered, each socket replaced after udpMaxQueries', async () => {
    const r = new Resolver({ servers: [server], cache: false, coalesce: false, udpMaxQueries: 10 });
    const names = ['example.test', 'www.example.test', 'mail.example.test', 'sip.example.test', 'host.example.test'];
    const results = await Promise.all(Array.from({ length: 100 }, (_, i) => r.resolve4(names[i % names.length])));
    assert.equal(results.length, 100);
    const s = r.stats();
    assert.equal(s.accepted, 100);
    assert.ok(s.socketsOpened >= 10, `${s.socketsOpened} sockets for 100 queries at 10 per socket`);
    assert.ok(dnsStats().accepted >= s.accepted, 'the process-wide totals include every resolver');
  });
});
