// DNS load client (started by bench/dns/run.ts): keeps --inflight queries outstanding, each a loop that
// asks the next name as soon as its answer came, and prints answers/s as one JSON line (common/window.ts:
// warm-up, measured window, and a failure when nothing completes for --stall s).
//   --impl iocp-resolver   iocp-net Resolver.resolve4 (--cache 0|1)
//          node-resolver   dns.promises.Resolver.resolve4 (c-ares; it has no cache)
//          iocp-lookup     iocp-net createLookup({ resolver }) with { all: true } (A and AAAA, hosts file first)
//          node-lookup     dns.lookup with { all: true } (getaddrinfo on the libuv thread pool, /etc/resolv.conf)
//   --server 127.0.0.1:PORT (resolvers and iocp-lookup), --names N: n0.bench.test ... n(N-1).bench.test,
//   asked in turn and round again; --host NAME: ask only NAME (the hosts-file rows use localhost).
// A failed query counts as an error, not an answer; the first error's message goes into the result.
import * as dns from 'node:dns';
import { Resolver, createLookup } from '../../lib';
import { fail, num, str } from '../common/args';
import { measure } from '../common/window';

const impl = str('impl', ''), server = str('server', ''), host = str('host', '');
const names = num('names', 10000), inflight = num('inflight', 100), cache = num('cache', 0) === 1;

// --udp-max-queries N: passed to the iocp-net Resolver (default: its own, 100), to see what socket turnover costs.
const udpMax = str('udp-max-queries', '') === '' ? {} : { udpMaxQueries: num('udp-max-queries', 100) };

let answers = 0, errors = 0, firstError: string | undefined;
let next = 0;
const name = (): string => (host !== '' ? host : `n${next++ % names}.bench.test`);

function ask(): () => Promise<unknown> {
  switch (impl) {
    case 'iocp-resolver': {
      // Defaults otherwise (udpMaxQueries 100: a new UDP socket on a new port every 100 queries).
      const r = new Resolver({ servers: [server], cache, timeout: 2000, tries: 2, ...udpMax });
      return () => r.resolve4(name());
    }
    case 'node-resolver': {
      const r = new dns.promises.Resolver({ timeout: 2000, tries: 2 });
      r.setServers([server]);
      return () => r.resolve4(name());
    }
    case 'iocp-lookup': {
      const resolver = new Resolver({ servers: [server], cache, timeout: 2000, tries: 2 });
      const lk = createLookup({ resolver, search: [], ndots: 1 });
      return () => lk(name(), { all: true });
    }
    case 'node-lookup':
      return () => dns.promises.lookup(name(), { all: true });
    default:
      return fail(`unknown --impl ${impl}`);
  }
}

async function loop(q: () => Promise<unknown>): Promise<void> {
  for (let i = 1; ; i++) {
    // An answer from a cache or the hosts file can settle without any I/O, so a loop of them would run in
    // microtasks forever and starve the timers of the measured window: every side yields alike now and then.
    if ((i & 63) === 0) await new Promise((r) => setImmediate(r));
    try {
      await q();
      answers++;
    } catch (err) {
      errors++;
      firstError ??= err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : String(err);
      // Every query failing at once (e.g. no server) would spin: fail the run instead.
      if (errors > 1000 && errors > answers) fail(`most queries fail: ${firstError}`);
    }
  }
}

async function main(): Promise<void> {
  const q = ask();
  // A first answer before the clock starts: the set-up works and the server is there.
  await q();
  for (let i = 0; i < inflight; i++) void loop(q);
  const errors0 = errors;
  await measure(() => answers, 'answers/s', 1, {
    impl, cache, inflight, names: host !== '' ? 1 : names, host: host || undefined,
    get errors() { return errors - errors0; }, get firstError() { return firstError; },
    threadpool: impl === 'node-lookup' ? Number(process.env.UV_THREADPOOL_SIZE ?? 4) : undefined,
  });
  process.exit(0);
}

main().catch((err) => fail('failed', err));
