// The answer cache and query coalescing: TTL expiry, negative caching by the SOA, the size bound, the
// switches, and identical concurrent queries sharing one network query.
import * as assert from 'node:assert/strict';
import { Resolver } from '../lib';
import { TtlCache } from '../lib/dns/cache';
import { ScriptedServer, a, response, soa } from './dns-helpers';
import { sleep } from './helpers';

describe('dns cache and coalescing', function () {
  this.timeout(60000);
  let srv: ScriptedServer;
  let ttl = 60;
  let delay = 0;
  let mode: 'answer' | 'nxdomain' | 'nxdomain-no-soa' | 'nodata' | 'servfail' = 'answer';

  beforeEach(async () => {
    ttl = 60;
    delay = 0;
    mode = 'answer';
    srv = await ScriptedServer.start((q) => {
      const name = q.packet.questions![0].name;
      const out = mode === 'answer' ? response(q, { answers: [a(name, '10.0.0.1', ttl)] })
        : mode === 'nxdomain' ? response(q, { rcode: 3, authorities: [soa('example', 60, ttl)] })
          : mode === 'nxdomain-no-soa' ? response(q, { rcode: 3 })
            : mode === 'nodata' ? response(q, { authorities: [soa('example', ttl, 60)] })
              : response(q, { rcode: 2 });
      if (delay > 0) setTimeout(() => q.reply(out), delay);
      else q.reply(out);
    });
  });
  afterEach(() => srv.close());

  it('an answer is reused for its TTL, with the TTL counting down, then asked again', async () => {
    ttl = 2;
    const r = new Resolver({ servers: [srv.spec] });
    assert.deepEqual(await r.resolve4('a.example', { ttl: true }), [{ address: '10.0.0.1', ttl: 2 }]);
    assert.deepEqual(await r.resolve4('A.Example.'), ['10.0.0.1'], 'names are compared without case or final dot');
    assert.equal(srv.queries.length, 1);
    assert.equal(r.stats().cacheHits, 1);
    await sleep(1100);
    assert.deepEqual(await r.resolve4('a.example', { ttl: true }), [{ address: '10.0.0.1', ttl: 1 }]);
    assert.equal(srv.queries.length, 1);
    await sleep(1000);
    await r.resolve4('a.example');
    assert.equal(srv.queries.length, 2, 'asked again once the TTL ran out');
  });

  it('each type has its own entry; a TTL of 0 is not cached', async () => {
    const r = new Resolver({ servers: [srv.spec] });
    await r.resolve4('a.example');
    await r.resolveMx('a.example');
    assert.equal(srv.queries.length, 2);
    ttl = 0;
    await r.resolve4('zero.example');
    await r.resolve4('zero.example');
    assert.equal(srv.queries.length, 4);
  });

  it('NXDOMAIN is cached for the SOA\'s negative TTL (min of its TTL and MINIMUM)', async () => {
    mode = 'nxdomain';
    ttl = 1;   // SOA MINIMUM 1, SOA TTL 60
    const r = new Resolver({ servers: [srv.spec] });
    await assert.rejects(r.resolve4('gone.example'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolve4('gone.example'), { code: 'ENOTFOUND', message: 'queryA ENOTFOUND gone.example' });
    assert.equal(srv.queries.length, 1);
    await sleep(1100);
    await assert.rejects(r.resolve4('gone.example'), { code: 'ENOTFOUND' });
    assert.equal(srv.queries.length, 2);
  });

  it('NODATA is cached like NXDOMAIN; negative answers without an SOA are not cached', async () => {
    mode = 'nodata';
    ttl = 30;
    const r = new Resolver({ servers: [srv.spec] });
    await assert.rejects(r.resolve4('empty.example'), { code: 'ENODATA' });
    await assert.rejects(r.resolve4('empty.example'), { code: 'ENODATA' });
    assert.equal(srv.queries.length, 1);
    mode = 'nxdomain-no-soa';
    await assert.rejects(r.resolve4('gone.example'), { code: 'ENOTFOUND' });
    await assert.rejects(r.resolve4('gone.example'), { code: 'ENOTFOUND' });
    assert.equal(srv.queries.length, 3);
  });

  it('failures (SERVFAIL) are not cached', async () => {
    mode = 'servfail';
    const r = new Resolver({ servers: [srv.spec], tries: 1 });
    await assert.rejects(r.resolve4('bad.example'), { code: 'ESERVFAIL' });
    await assert.rejects(r.resolve4('bad.example'), { code: 'ESERVFAIL' });
    assert.equal(srv.queries.length, 2);
  });

  it('identical concurrent queries share one network query', async () => {
    delay = 100;
    const r = new Resolver({ servers: [srv.spec] });
    const all = await Promise.all(Array.from({ length: 10 }, () => r.resolve4('same.example')));
    assert.ok(all.every((x) => x[0] === '10.0.0.1'));
    assert.equal(srv.queries.length, 1);
    assert.equal(r.stats().coalesced, 9);
    // Different questions are not shared.
    await Promise.all([r.resolve4('x.example'), r.resolveTxt('x.example'), r.resolve4('y.example')]);
    assert.equal(srv.queries.length, 4);
  });

  it('one caller abandoning a shared query does not stop it for the others; all abandoning stops it', async () => {
    delay = 150;
    const r = new Resolver({ servers: [srv.spec] });
    const ac = new AbortController();
    const first = r.resolve4('shared.example', { signal: ac.signal });
    const second = r.resolve4('shared.example');
    ac.abort();
    await assert.rejects(first, { name: 'AbortError' });
    assert.deepEqual(await second, ['10.0.0.1']);
    assert.equal(srv.queries.length, 1);

    const ac2 = new AbortController();
    const lone = r.resolve4('lone.example', { signal: ac2.signal });
    ac2.abort();
    await assert.rejects(lone, { name: 'AbortError' });
    assert.deepEqual(await r.resolve4('lone.example'), ['10.0.0.1'], 'a later call starts afresh');
  });

  it('switches: cache false asks every time; coalesce false sends every query', async () => {
    const r = new Resolver({ servers: [srv.spec], cache: false });
    await r.resolve4('a.example');
    await r.resolve4('a.example');
    assert.equal(srv.queries.length, 2);
    delay = 50;
    const r2 = new Resolver({ servers: [srv.spec], coalesce: false });
    await Promise.all(Array.from({ length: 5 }, () => r2.resolve4('b.example')));
    assert.equal(srv.queries.length, 7);
    mode = 'nxdomain';
    const r3 = new Resolver({ servers: [srv.spec], cache: { negative: false } });
    await assert.rejects(r3.resolve4('gone.example'), { code: 'ENOTFOUND' });
    await assert.rejects(r3.resolve4('gone.example'), { code: 'ENOTFOUND' });
    assert.equal(srv.queries.length, 9);
  });

  it('the cache is bounded (least recently used goes first) and capped by maxTtl', async () => {
    const r = new Resolver({ servers: [srv.spec], cache: { maxEntries: 2 } });
    for (const n of ['a', 'b', 'a', 'c', 'a', 'b']) await r.resolve4(`${n}.example`);
    // a, b asked; a hit; c asked (b goes, a was used last); a hit; b asked again.
    assert.deepEqual(srv.queries.map((q) => q.packet.questions![0].name), ['a.example', 'b.example', 'c.example', 'b.example']);
    const r2 = new Resolver({ servers: [srv.spec], cache: { maxTtl: 1 } });
    await r2.resolve4('d.example');
    await r2.resolve4('d.example');
    await sleep(1100);
    await r2.resolve4('d.example');
    assert.equal(srv.queries.filter((q) => q.packet.questions![0].name === 'd.example').length, 2);
  });

  it('setServers() drops the cache', async () => {
    const r = new Resolver({ servers: [srv.spec] });
    await r.resolve4('a.example');
    r.setServers([srv.spec]);
    await r.resolve4('a.example');
    assert.equal(srv.queries.length, 2);
  });

  it('TtlCache by itself: expiry, ages and eviction with an injected clock', () => {
    let now = 1000;
    const c = new TtlCache<string>({ maxEntries: 3, maxTtl: 100 }, () => now);
    c.set('x', 'X', 10);
    c.set('y', 'Y', 1000);   // capped at 100 s
    assert.deepEqual(c.get('x'), { value: 'X', age: 0 });
    now += 5500;
    assert.deepEqual(c.get('x'), { value: 'X', age: 5 });
    now += 5000;
    assert.equal(c.get('x'), undefined);
    now += 90000;
    assert.equal(c.get('y'), undefined);
    for (const k of ['1', '2', '3', '4']) c.set(k, k, 50);
    assert.equal(c.size, 3);
    assert.equal(c.get('1'), undefined);
  });
});
