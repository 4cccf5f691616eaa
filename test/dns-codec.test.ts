// The DNS wire format: queries as dns-packet writes them, answers as we check and read them, and a fuzz run
// showing that no byte sequence gets anything out of the parser but a message or an EBADRESP.
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as packet from 'dns-packet';
import {
  CodecError, EDNS_PAYLOAD, TYPE, badName, encodeQuery, formatIPv6, parseMessage, type DnsMessage, type QueryType,
} from '../lib/dns/codec';
import { QueryFailure } from '../lib/dns/errors';
import { extract } from '../lib/dns/records';
import { prng } from './dns-helpers';

const RRTYPES: QueryType[] = ['A', 'AAAA', 'ANY', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'];

/** Every record type we read, as dns-packet writes them (no name compression). */
function fullAnswer(): Buffer {
  const name = 'example.test';
  return packet.encode({
    type: 'response', id: 4242, flags: packet.RECURSION_DESIRED | packet.RECURSION_AVAILABLE,
    questions: [{ type: 'ANY' as packet.RecordType, name }],
    answers: [
      { type: 'A', name, ttl: 60, data: '192.0.2.1' },
      { type: 'AAAA', name, ttl: 60, data: '2001:db8::1' },
      { type: 'CNAME', name: `www.${name}`, ttl: 60, data: name },
      { type: 'MX', name, ttl: 60, data: { preference: 10, exchange: `mail.${name}` } },
      { type: 'NS', name, ttl: 60, data: `ns1.${name}` },
      { type: 'PTR', name, ttl: 60, data: `ptr.${name}` },
      { type: 'TXT', name, ttl: 60, data: ['hello', 'world'] },
      { type: 'SRV', name, ttl: 60, data: { priority: 1, weight: 2, port: 3, target: `sip.${name}` } },
      { type: 'SOA', name, ttl: 60, data: { mname: `ns1.${name}`, rname: `hostmaster.${name}`, serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 } },
      { type: 'CAA', name, ttl: 60, data: { flags: 128, tag: 'issue', value: 'ca.example.net' } },
      { type: 'NAPTR', name, ttl: 60, data: { order: 1, preference: 2, flags: 'S', services: 'SIP+D2U', regexp: '', replacement: `_sip._udp.${name}` } },
    ],
    authorities: [{ type: 'SOA', name, ttl: 30, data: { mname: 'a', rname: 'b', serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 1 } }],
    additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }],
  });
}

/** A message with compressed names (dns-packet does not compress): built by hand. */
function compressedAnswer(): Buffer {
  const labels = (...ls: string[]): Buffer => Buffer.concat([...ls.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0])]);
  const ptr = (off: number): Buffer => Buffer.from([0xc0 | (off >> 8), off & 0xff]);
  const u16 = (n: number): Buffer => { const b = Buffer.alloc(2); b.writeUInt16BE(n); return b; };
  const u32 = (n: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(n); return b; };
  const header = Buffer.concat([u16(7), u16(0x8180), u16(1), u16(3), u16(0), u16(0)]);
  const question = Buffer.concat([labels('example', 'test'), u16(TYPE.MX), u16(1)]);   // name at offset 12
  const rr = (type: number, rdata: Buffer): Buffer => Buffer.concat([ptr(12), u16(type), u16(1), u32(300), u16(rdata.length), rdata]);
  const mxData = Buffer.concat([u16(10), Buffer.from([4]), Buffer.from('mail'), ptr(12)]);
  return Buffer.concat([header, question,
    rr(TYPE.MX, mxData), rr(TYPE.MX, Buffer.concat([u16(20), ptr(12)])), rr(TYPE.CNAME, Buffer.concat([Buffer.from([3]), Buffer.from('www'), ptr(12)]))]);
}

describe('dns codec', () => {
  it('encodes a query with RD, one question and an EDNS0 OPT record of 1,232 bytes', () => {
    const q = packet.decode(encodeQuery(0xbeef, 'example.test', 'MX', true));
    assert.equal(q.id, 0xbeef);
    assert.equal(q.type, 'query');
    assert.equal(q.flag_rd, true);
    assert.deepEqual(q.questions, [{ name: 'example.test', type: 'MX', class: 'IN' }]);
    assert.equal(q.additionals?.length, 1);
    const opt = q.additionals?.[0] as packet.OptAnswer;
    assert.equal(opt.type, 'OPT');
    assert.equal(opt.udpPayloadSize, EDNS_PAYLOAD);
    const any = packet.decode(encodeQuery(1, 'example.test', 'ANY', false));
    assert.equal(any.additionals?.length, 0);
    assert.equal(any.questions?.[0].type, 'ANY');
  });

  it('writes queries byte for byte as dns-packet would (names, root, trailing dot, every type, with and without EDNS0)', () => {
    const names = ['example.test', 'example.test.', '.', '', 'a', 'xn--bcher-kva.example', 'bücher.example', `${'a'.repeat(63)}.b`, '_sip._tcp.example.test'];
    const types: QueryType[] = ['A', 'AAAA', 'ANY', 'CAA', 'CNAME', 'MX', 'NAPTR', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'];
    for (const name of names) {
      for (const type of types) {
        for (const edns of [false, true]) {
          const expected = packet.encode({
            type: 'query', id: 0x1234, flags: packet.RECURSION_DESIRED,
            questions: [{ type: type as packet.RecordType, name, class: 'IN' }],
            additionals: edns
              ? [{ type: 'OPT', name: '.', udpPayloadSize: EDNS_PAYLOAD, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [] }]
              : [],
          });
          assert.deepEqual(encodeQuery(0x1234, name, type, edns), expected, `${name} ${type} edns=${edns}`);
        }
      }
    }
  });

  it('rejects names that cannot be sent (EBADNAME), accepts the root and a trailing dot', () => {
    for (const bad of ['a..b', `${'a'.repeat(64)}.test`, `${'abc.'.repeat(64)}test`, 'a b.test', 'tab\t.test', '..']) {
      assert.ok(badName(bad) !== undefined, bad);
    }
    for (const good of ['', '.', 'example.test', 'example.test.', '_sip._tcp.example.test', `${'a'.repeat(63)}.test`]) {
      assert.equal(badName(good), undefined, good);
    }
  });

  it('reads every record type it knows, with names decompressed', () => {
    const m = parseMessage(fullAnswer());
    assert.equal(m.id, 4242);
    assert.equal(m.qr, true);
    assert.equal(m.rcode, 0);
    assert.deepEqual(m.edns, { udpPayloadSize: 1232, version: 0, flags: 0 });
    assert.equal(m.additionals.length, 0);
    assert.deepEqual(m.answers.map((r) => r.data), [
      '192.0.2.1', '2001:db8::1', 'example.test', { preference: 10, exchange: 'mail.example.test' }, 'ns1.example.test',
      'ptr.example.test', ['hello', 'world'], { priority: 1, weight: 2, port: 3, target: 'sip.example.test' },
      { mname: 'ns1.example.test', rname: 'hostmaster.example.test', serial: 1, refresh: 2, retry: 3, expire: 4, minimum: 5 },
      { flags: 128, tag: 'issue', value: 'ca.example.net' },
      { order: 1, preference: 2, flags: 'S', services: 'SIP+D2U', regexp: '', replacement: '_sip._udp.example.test' },
    ]);
    const c = parseMessage(compressedAnswer());
    assert.deepEqual(c.answers.map((r) => [r.name, r.type, r.ttl, r.data]), [
      ['example.test', TYPE.MX, 300, { preference: 10, exchange: 'mail.example.test' }],
      ['example.test', TYPE.MX, 300, { preference: 20, exchange: 'example.test' }],
      ['example.test', TYPE.CNAME, 300, 'www.example.test'],
    ]);
  });

  it('writes IPv6 addresses exactly as inet_ntop does (Node\'s SocketAddress as the reference)', () => {
    const rnd = prng(6);
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.alloc(16);
      for (let g = 0; g < 8; g++) {
        const r = rnd();
        const v = r < 0.55 ? 0 : r < 0.6 ? 0xffff : r < 0.65 ? 1 : Math.floor(rnd() * 0x10000);
        b.writeUInt16BE(v, g * 2);
      }
      const full = Array.from({ length: 8 }, (_, g) => b.readUInt16BE(g * 2).toString(16)).join(':');
      assert.equal(formatIPv6(b), new net.SocketAddress({ address: full, family: 'ipv6' }).address, full);
    }
  });

  it('rejects malformed messages with EBADRESP: short, lying counts, bad pointers, records past the end', () => {
    const good = fullAnswer();
    const cases: Array<[string, Buffer]> = [
      ['empty', Buffer.alloc(0)],
      ['short header', good.subarray(0, 11)],
      ['cut in the middle', good.subarray(0, good.length - 7)],
      ['answer count too large', (() => { const b = Buffer.from(good); b.writeUInt16BE(0xffff, 6); return b; })()],
      ['forward pointer', Buffer.concat([good.subarray(0, 12), Buffer.from([0xc0, 0x20, 0, 1, 0, 1])])],
      ['self pointer', (() => { const b = Buffer.from(good.subarray(0, 12)); b.writeUInt16BE(1, 4); b.writeUInt16BE(0, 6); b.writeUInt16BE(0, 8); b.writeUInt16BE(0, 10); return Buffer.concat([b, Buffer.from([0xc0, 12, 0, 1, 0, 1])]); })()],
      ['label type 01', (() => { const b = Buffer.from(good); b[12] = 0x40; return b; })()],
      ['A record of 5 bytes', Buffer.from('00018180000000010000000000000100010000003c00050102030405', 'hex')],
      ['TXT string past its record', Buffer.from('00018180000000010000000000001000010000003c0003' + '05616263', 'hex')],
      ['MX name past its record', Buffer.from('00018180000000010000000000000f00010000003c0003000a' + '01', 'hex')],
    ];
    for (const [what, buf] of cases) {
      assert.throws(() => parseMessage(buf), (e: unknown) => e instanceof CodecError && e.code === 'EBADRESP', what);
    }
  });

  it('fuzz: random bytes and mutated answers give a message or EBADRESP, fast and of bounded size', function () {
    this.timeout(120000);
    const seed = Number(process.env.IOCP_NET_FUZZ_SEED ?? 20240601);
    console.log(`      fuzz seed ${seed} (repeat with IOCP_NET_FUZZ_SEED=${seed})`);
    const rnd = prng(seed);
    const int = (n: number): number => Math.floor(rnd() * n);
    const corpus = [fullAnswer(), compressedAnswer(), encodeQuery(1, 'example.test', 'A', true)];
    let parsed = 0, rejected = 0;
    let slow: Array<{ ms: number; buf: Buffer }> = [];   // the slowest inputs, timed again at the end

    const check = (buf: Buffer): void => {
      const t = process.hrtime.bigint();
      let m: DnsMessage | undefined;
      try {
        m = parseMessage(buf);
      } catch (e) {
        if (!(e instanceof CodecError) || e.code !== 'EBADRESP') throw new Error(`escaped: ${String(e)} on ${buf.toString('hex')}`);
        rejected++;
      }
      if (m !== undefined) {
        parsed++;
        const records = m.answers.length + m.authorities.length + m.additionals.length;
        assert.ok(records * 11 <= buf.length, 'more records than the message can hold');
        assert.ok(JSON.stringify(m).length <= 300 * buf.length + 1000, 'output not linear in the input');
        // Building results from whatever parsed must fail only with a DNS error code too.
        for (const type of RRTYPES) {
          try {
            extract(m, m.questions[0]?.name ?? 'example.test', type, true);
          } catch (e) {
            if (!(e instanceof QueryFailure)) throw new Error(`extract(${type}) threw ${String(e)} on ${buf.toString('hex')}`);
          }
        }
      }
      const ms = Number(process.hrtime.bigint() - t) / 1e6;
      if (slow.length < 5 || ms > slow[slow.length - 1].ms) {
        slow.push({ ms, buf: Buffer.from(buf) });
        slow = slow.sort((x, y) => y.ms - x.ms).slice(0, 5);
      }
    };

    for (let i = 0; i < 5000; i++) {
      const b = Buffer.alloc(int(600));
      for (let j = 0; j < b.length; j++) b[j] = int(256);
      if (b.length >= 6 && rnd() < 0.5) b.writeUInt16BE(int(4), 4);   // plausible question counts reach deeper
      check(b);
    }
    for (let i = 0; i < 20000; i++) {
      const b = Buffer.from(corpus[int(corpus.length)]);
      const edits = 1 + int(6);
      let out = b;
      for (let e = 0; e < edits; e++) {
        const kind = int(6);
        if (kind === 0) out[int(out.length)] = int(256);                                     // any byte
        else if (kind === 1) out[int(out.length)] ^= 1 << int(8);                            // one bit
        else if (kind === 2) out = out.subarray(0, int(out.length + 1));                     // cut
        else if (kind === 3) out = Buffer.concat([out, Buffer.from([int(256), int(256), int(256)])]);   // grow
        else if (kind === 4 && out.length > 2) { const p = int(out.length - 1); out[p] = 0xc0 | int(4); out[p + 1] = int(256); }   // pointer
        else if (out.length >= 12) out.writeUInt16BE(int(0x10000), 4 + 2 * int(4));           // a count
      }
      check(out);
    }
    // A wall-clock spike can be the scheduler or the garbage collector: the slowest inputs are timed again,
    // and an input that is really slow to parse is slow every time.
    const retimed = slow.map(({ buf }) => {
      let best = Infinity;
      for (let k = 0; k < 5; k++) {
        const t = process.hrtime.bigint();
        try { parseMessage(buf); } catch { /* timed either way */ }
        best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e6);
      }
      return best;
    });
    const worst = Math.max(...retimed);
    console.log(`      ${parsed} parsed, ${rejected} rejected with EBADRESP; slowest parse ${slow[0].ms.toFixed(2)} ms, ` +
      `${worst.toFixed(3)} ms when timed again`);
    assert.ok(parsed > 1000 && rejected > 1000, 'the corpus should exercise both outcomes');
    assert.ok(worst < 50, `an input takes ${worst} ms to parse`);
  });
});
