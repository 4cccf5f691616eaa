// lookup(): dns.lookup's results from a hosts file and the resolver (the fixture DNS server), families,
// all/order, search suffixes, errors, and use as the `lookup` option of net.connect and of our connect().
import * as assert from 'node:assert/strict';
import * as dns from 'node:dns';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as util from 'node:util';
import { Resolver, connect, createLookup, dnsStats, listen, lookup, type LookupAddress, type LookupFunction } from '../lib';
import { fixtureDns } from './dns-helpers';
import { platformIt } from './helpers';

const HOSTS = `# test hosts file
10.9.0.1   myhost.local myhost   # two names
fd00::1    myhost
10.9.0.2   MixedCase.Example
127.0.0.1  example.test loopback.hosts
::1        loopback.hosts
not-an-address  ignored
`;

describe('dns lookup', function () {
  this.timeout(60000);
  let dir: string;
  let hostsFile: string;
  let resolver: Resolver;
  let lk: LookupFunction;

  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'iocp-net-dns-'));
    hostsFile = path.join(dir, 'hosts');
    fs.writeFileSync(hostsFile, HOSTS);
    resolver = new Resolver({ servers: [await fixtureDns()], timeout: 2000 });
    lk = createLookup({ resolver, hostsFile, search: [], ndots: 1 });
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the hosts file: names without case, all names of a line, both families in file order', async () => {
    assert.deepEqual(await lk('myhost'), { address: '10.9.0.1', family: 4 });
    assert.deepEqual(await lk('myhost', { all: true }), [{ address: '10.9.0.1', family: 4 }, { address: 'fd00::1', family: 6 }]);
    assert.deepEqual(await lk('MYHOST.local.'), { address: '10.9.0.1', family: 4 });
    assert.deepEqual(await lk('mixedcase.example'), { address: '10.9.0.2', family: 4 });
    assert.deepEqual(await lk('myhost', { family: 6 }), { address: 'fd00::1', family: 6 });
    assert.deepEqual(await lk('myhost', { family: 'IPv6' }), { address: 'fd00::1', family: 6 });
    assert.deepEqual(await lk('myhost', 4), { address: '10.9.0.1', family: 4 });
  });

  it('order: verbatim keeps the order, ipv4first and ipv6first sort by family', async () => {
    assert.deepEqual((await lk('myhost', { all: true, order: 'ipv6first' })).map((x) => x.family), [6, 4]);
    assert.deepEqual((await lk('myhost', { all: true, order: 'ipv4first' })).map((x) => x.family), [4, 6]);
    assert.deepEqual((await lk('myhost', { all: true, verbatim: false })).map((x) => x.family), [4, 6]);
    assert.deepEqual(await lk('myhost', { order: 'ipv6first' }), { address: 'fd00::1', family: 6 });
  });

  it('the hosts file wins; a family it lacks comes from DNS', async () => {
    assert.deepEqual(await lk('example.test', { family: 4 }), { address: '127.0.0.1', family: 4 });
    assert.deepEqual(await lk('example.test', { family: 6 }), { address: '2001:db8::1', family: 6 });
  });

  it('asks DNS for A and AAAA: all addresses, IPv4 first (verbatim), CNAMEs followed', async () => {
    const all = await lk('example.test', { all: true, family: 0 });
    // From the hosts file (127.0.0.1): the hosts file wins for the whole name.
    assert.deepEqual(all, [{ address: '127.0.0.1', family: 4 }]);
    const viaDns = createLookup({ resolver, hostsFile: false });
    const got = await viaDns('example.test', { all: true });
    assert.deepEqual(got.filter((x) => x.family === 4).map((x) => x.address).sort(), ['192.0.2.1', '192.0.2.2']);
    assert.deepEqual(got.filter((x) => x.family === 6), [{ address: '2001:db8::1', family: 6 }]);
    assert.deepEqual(got.map((x) => x.family), [4, 4, 6]);
    assert.deepEqual(await viaDns('www.example.test', { all: true }), [{ address: '192.0.2.80', family: 4 }, { address: '2001:db8::80', family: 6 }]);
    assert.deepEqual(await viaDns('v6only.example.test'), { address: '2001:db8::6', family: 6 });
    assert.deepEqual(await viaDns('v4only.example.test', { all: true }), [{ address: '192.0.2.4', family: 4 }]);
  });

  it('search suffixes and ndots, as resolv.conf(5)', async () => {
    const withSearch = createLookup({ resolver, hostsFile: false, search: ['nothing.test', 'example.test'], ndots: 1 });
    assert.deepEqual(await withSearch('www', { family: 4 }), { address: '192.0.2.80', family: 4 });
    assert.deepEqual(await withSearch('mail', { family: 4 }), { address: '192.0.2.25', family: 4 });
    assert.deepEqual(await withSearch('mail.example.test', { family: 4 }), { address: '192.0.2.25', family: 4 });
    // 'www' as it is: outside the fixture zone, so dnsmasq refuses it (no upstream): a temporary failure.
    await assert.rejects(withSearch('www.', { family: 4 }), { code: 'EAI_AGAIN' }, 'a final dot means no search');
  });

  it('errors as dns.lookup: ENOTFOUND (errno EAI_NONAME), EAI_AGAIN when the servers fail', async () => {
    const viaDns = createLookup({ resolver, hostsFile: false });
    const err = await viaDns('nope.test').then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException & { hostname?: string });
    assert.ok(err);
    assert.equal(err.code, 'ENOTFOUND');
    assert.equal(err.syscall, 'getaddrinfo');
    assert.equal(err.hostname, 'nope.test');
    assert.equal(err.message, 'getaddrinfo ENOTFOUND nope.test');
    assert.equal(util.getSystemErrorName(err.errno!), 'EAI_NONAME');
    await assert.rejects(viaDns('v6only.example.test', { family: 4 }), { code: 'ENOTFOUND' });
    const dead = createLookup({ resolver: new Resolver({ servers: ['127.0.0.1:1'], timeout: 300, tries: 1 }), hostsFile: false });
    const again = await dead('whatever.test').then(() => undefined, (e: unknown) => e as NodeJS.ErrnoException);
    assert.equal(again?.code, 'EAI_AGAIN');
    assert.equal(util.getSystemErrorName(again!.errno!), 'EAI_AGAIN');
  });

  it('IP literals, empty names and localhost as Node treats them', async () => {
    assert.deepEqual(await lk('192.0.2.7', { family: 6 }), { address: '192.0.2.7', family: 4 });
    assert.deepEqual(await lk('::1', { all: true }), [{ address: '::1', family: 6 }]);
    assert.deepEqual(await lk(''), { address: null, family: 4 });
    assert.deepEqual(await lk('', { all: true }), []);
    const noHosts = createLookup({ resolver, hostsFile: false });
    assert.deepEqual(await noHosts('localhost', { all: true }), [{ address: '127.0.0.1', family: 4 }, { address: '::1', family: 6 }]);
    assert.deepEqual(await noHosts('api.localhost', { family: 6 }), { address: '::1', family: 6 });
  });

  it('callback forms: (name, cb), (name, family, cb), (name, { all }, cb)', async () => {
    const one = await new Promise<unknown[]>((resolve) => lk('myhost', (...args: unknown[]) => resolve(args)));
    assert.deepEqual(one, [null, '10.9.0.1', 4]);
    const six = await new Promise<unknown[]>((resolve) => lk('myhost', 6, (...args: unknown[]) => resolve(args)));
    assert.deepEqual(six, [null, 'fd00::1', 6]);
    const all = await new Promise<unknown[]>((resolve) => lk('myhost', { all: true }, (...args: unknown[]) => resolve(args)));
    assert.deepEqual(all, [null, [{ address: '10.9.0.1', family: 4 }, { address: 'fd00::1', family: 6 }]]);
    const err = await new Promise<unknown[]>((resolve) => lk('nope.test', (...args: unknown[]) => resolve(args)));
    assert.equal((err[0] as { code: string }).code, 'ENOTFOUND');
  });

  it('bad arguments throw synchronously with Node\'s codes', () => {
    assert.throws(() => lk(5 as unknown as string), { code: 'ERR_INVALID_ARG_TYPE' });
    assert.throws(() => lk('x', { family: 5 }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => lk('x', { order: 'random' as 'verbatim' }), { code: 'ERR_INVALID_ARG_VALUE' });
    assert.throws(() => lk('x', {}, 'not a function' as unknown as () => void), { code: 'ERR_INVALID_ARG_TYPE' });
    // hints as dns.lookup checks them: a number made only of ADDRCONFIG, V4MAPPED and ALL.
    assert.throws(() => lk('x', { hints: '1' as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE' });
    for (const hints of [-1, 1, 1 << 20]) {
      assert.throws(() => lk('x', { hints }), { code: 'ERR_INVALID_ARG_VALUE', message: `The argument 'hints' is invalid. Received ${hints >>> 0}` });
    }
  });

  it('accepts the hints dns.lookup accepts', async () => {
    for (const hints of [0, dns.ADDRCONFIG, dns.V4MAPPED | dns.ALL, dns.ADDRCONFIG | dns.V4MAPPED | dns.ALL]) {
      assert.deepEqual(await lk('127.0.0.1', { hints }), { address: '127.0.0.1', family: 4 });
    }
  });

  it('is the lookup option of net.connect (with and without autoSelectFamily)', async () => {
    const server = net.createServer((s) => s.end('hi'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const viaDns = createLookup({ resolver, hostsFile: false });
    try {
      for (const [host, fn] of [['loopback.hosts', lk], ['loopback.example.test', viaDns]] as const) {
        for (const autoSelectFamily of [true, false]) {
          const text = await new Promise<string>((resolve, reject) => {
            const s = net.connect({ host, port, family: 4, autoSelectFamily, lookup: fn }, () => {
              assert.equal(s.remoteAddress, '127.0.0.1');
            });
            let data = '';
            s.on('data', (d) => { data += d.toString(); });
            s.on('end', () => resolve(data));
            s.on('error', reject);
          });
          assert.equal(text, 'hi', `${host} autoSelectFamily=${autoSelectFamily}`);
        }
      }
    } finally {
      server.close();
    }
  });

  it('is the lookup option of our own connect()', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const viaDns = createLookup({ resolver, hostsFile: false });
    try {
      for (const [host, fn] of [['loopback.hosts', lk], ['loopback.example.test', viaDns]] as const) {
        const accepted = server.accept();
        const conn = await connect({ host, port: server.address().port, family: 4, lookup: fn });
        assert.equal(conn.remoteAddress, '127.0.0.1');
        await conn.close();
        await (await accepted).close();
      }
    } finally {
      await server.close();
    }
  });

  it('our connect() resolves names with this package\'s lookup by default, never dns.lookup; IP literals and localhost ask no DNS', async () => {
    // node:dns itself (not the TypeScript namespace copy), so that the spy replaces what dns.lookup callers see.
    const nodeDns = require('node:dns') as { lookup: unknown };
    const saved = nodeDns.lookup;
    let nodeLookups = 0;
    nodeDns.lookup = (...args: unknown[]): unknown => { nodeLookups++; return (saved as (...a: unknown[]) => unknown)(...args); };
    const server = await listen({ host: '127.0.0.1', port: 0 });
    const port = server.address().port;
    const connectTo = async (host: string, extra: { lookup?: LookupFunction } = {}): Promise<void> => {
      const accepted = server.accept();
      const conn = await connect({ host, port, family: 4, ...extra });
      assert.equal(conn.remoteAddress, '127.0.0.1', host);
      await conn.close();
      await (await accepted).close();
    };
    try {
      const before = dnsStats().queries;
      // *.localhost is loopback by RFC 6761 in our lookup (no hosts-file line, no query); getaddrinfo would ask DNS.
      for (const host of ['127.0.0.1', 'localhost', 'iocp-net-connect.localhost']) await connectTo(host);
      assert.equal(nodeLookups, 0, 'dns.lookup was not called');
      assert.equal(dnsStats().queries, before, 'no DNS query for IP literals and localhost names');
      // A name only the fixture server knows, through a resolver we give: the caller's lookup wins, and it is ours.
      const uncached = new Resolver({ servers: resolver.getServers(), cache: false, timeout: 2000 });
      await connectTo('loopback.example.test', { lookup: createLookup({ resolver: uncached, hostsFile: false }) });
      assert.ok(dnsStats().queries > before, 'the fixture name was asked of our resolver');
      // And a name from a hosts file, through a caller's lookup.
      await connectTo('loopback.hosts', { lookup: lk });
      assert.equal(nodeLookups, 0);
    } finally {
      nodeDns.lookup = saved;
      await server.close();
    }
  });

  platformIt('linux', 'with the system configuration, gives what dns.lookup gives for names in /etc/hosts', async () => {
    const expected = await dns.promises.lookup('localhost', { all: true, order: 'verbatim' });
    const got: LookupAddress[] = await lookup('localhost', { all: true, order: 'verbatim' });
    assert.deepEqual(got, expected);
  });
});
