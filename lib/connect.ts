// connect(): resolves the host (with this package's lookup(), lib/dns/lookup.ts, unless the caller gives a
// `lookup`), then tries each address in turn with a socket of that address's family (ConnectEx on Windows,
// bound first to the caller's local address or the family's wildcard).
import * as net from 'node:net';
import { CancelScope } from './cancel';
import { Connection } from './connection';
import { invalidArgType, invalidIpAddress, makeSystemError, missingArgs } from './errors';
import { native } from './native';
import {
  checkBoolean, checkFamily, checkIp, checkNumber, checkObject, checkOpOptions, checkPort, checkString, type HostLookup,
  type OpOptions,
} from './validate';

const tcp = native.tcp;

export interface ConnectOptions extends OpOptions {
  host?: string;
  port: number;
  /** Local address to bind before connecting (its family then decides the destination's). */
  localAddress?: string;
  localPort?: number;
  /** 4 or 6 to use only that family's addresses of `host`; 0 (default) for both. */
  family?: 0 | 4 | 6;
  noDelay?: boolean;
  keepAlive?: boolean;
  /** Idle time in ms before the first keep-alive probe. */
  keepAliveInitialDelay?: number;
  /** Resolver for host names, with dns.lookup's signature (default: this package's `lookup`: the hosts file,
   *  then `localhost`, then DNS with our own resolver; IP literals are never looked up). */
  lookup?: HostLookup;
}

interface Target { address: string; family: 4 | 6 }

/** This package's lookup(), fetched at call time: lib/dns/lookup.ts reaches this module again (its resolver
 *  asks truncated answers over TCP with connect(), lib/dns/tcp.ts), so a top-level import would be a cycle
 *  whose order depends on which module is loaded first. */
function defaultLookup(): HostLookup {
  return (require('./dns/lookup') as typeof import('./dns/lookup')).lookup;
}

/** Every address `lookup` gives for `host`. A lookup that ignores `all` and answers with one address, as
 *  simple custom lookups do, is taken at its word; an answer that is not an IP address rejects with
 *  ERR_INVALID_IP_ADDRESS, as net reports it. Each family is read from the address itself, not from what the
 *  lookup claims, and a second callback is ignored. */
function lookupAll(lookup: HostLookup, host: string, family: 0 | 4 | 6): Promise<Target[]> {
  return new Promise((resolve, reject) => {
    lookup(host, { all: true, family }, (err: NodeJS.ErrnoException | null, addresses: unknown, oneFamily?: number) => {
      if (err) return reject(err);
      const list: unknown[] = Array.isArray(addresses) ? addresses : [{ address: addresses, family: oneFamily }];
      const targets: Target[] = [];
      for (const entry of list) {
        const address = (entry as { address?: unknown } | null)?.address;
        const kind = typeof address === 'string' ? net.isIP(address) : 0;
        if (kind === 0) return reject(invalidIpAddress(String(address)));
        targets.push({ address: address as string, family: kind as 4 | 6 });
      }
      resolve(targets);
    });
  });
}

function familyMismatch(local: Target, host: string, targets: Target[]): Error {
  const what = targets.length > 0 ? `${host} is IPv${targets[0].family}` : `${host} has no IPv${local.family} address`;
  const err = makeSystemError('EAFNOSUPPORT', 'connect', 0, host);
  err.message = `connect EAFNOSUPPORT ${host}: localAddress ${local.address} is IPv${local.family} but ${what}; ` +
    'the local and remote addresses must be of the same family';
  return err;
}

/** Connects to host:port. Bad arguments throw synchronously; everything else rejects. */
export function connect(options: ConnectOptions): Promise<Connection> {
  if (options === null || typeof options !== 'object') throw invalidArgType('options', 'of type object', options);
  const o = checkObject('options', options) as unknown as ConnectOptions;
  // An empty host means no host, as in net.connect(): localhost.
  let host = checkString('options.host', o.host) || 'localhost';
  if (o.port === undefined) throw missingArgs('options.port');
  const port = checkPort('options.port', o.port, false);
  const local = checkIp('options.localAddress', o.localAddress);
  const localPort = o.localPort === undefined ? undefined : checkPort('options.localPort', o.localPort, true);
  const family = checkFamily('options.family', o.family);
  const noDelay = checkBoolean('options.noDelay', o.noDelay);
  const keepAlive = checkBoolean('options.keepAlive', o.keepAlive);
  const keepAliveDelay = o.keepAliveInitialDelay === undefined ? 0
    : checkNumber('options.keepAliveInitialDelay', o.keepAliveInitialDelay, 0, 2 ** 32 - 1);
  if (o.lookup != null && typeof o.lookup !== 'function') throw invalidArgType('options.lookup', 'of type function', o.lookup);
  const lookup = o.lookup ?? undefined;
  const opOpts = checkOpOptions({ signal: o.signal, timeout: o.timeout });

  // Connecting to the unspecified address means this host, as in libuv and Node.
  if (host === '0.0.0.0') host = '127.0.0.1';
  else if (host === '::') host = '::1';

  return connectChecked({ host, port, local, localPort, family, noDelay, keepAlive, keepAliveDelay, lookup, opOpts });
}

interface CheckedConnect {
  host: string; port: number; local: Target | undefined; localPort: number | undefined; family: 0 | 4 | 6;
  noDelay: boolean | undefined; keepAlive: boolean | undefined; keepAliveDelay: number; lookup: HostLookup | undefined;
  opOpts: OpOptions;
}

// A socket whose local port the kernel chose can connect to itself: when nothing listens on the destination
// port of this machine, the kernel may pick that very port as the source, and TCP's simultaneous open then
// joins the socket to itself ("connected", and every read waits forever). The Windows backend binds to port 0
// before ConnectEx, so its source ports come from the pool listeners' ports come from (Linux gives bind()
// odd ports and connect() even ones, which is why the native Linux backend, binding only for an explicit
// localAddress and then with IP_BIND_ADDRESS_NO_PORT, practically never meets this); under Wine a test that
// connected to ports whose listener had just closed did. As Go's net package does (selfConnect), such a
// connection is closed and the connect tried again; a third one in a row is reported as what it means,
// ECONNREFUSED. A caller who named the local port asked for that pair and gets it.
const SELF_CONNECT_TRIES = 3;

/** Internal (not exported by the package): the tests replace `connectedToItself`, because whether the kernel
 *  picks the destination's own port cannot be arranged from outside. */
export const selfConnect = {
  connectedToItself(sock: ReturnType<typeof tcp.open>): boolean {
    const [local, remote] = tcp.addresses(sock);
    return local[1] === remote[1] && local[0] === remote[0];
  },
};

async function connectChecked(c: CheckedConnect): Promise<Connection> {
  const { host, port, local, localPort, family, noDelay, keepAlive, keepAliveDelay, lookup } = c;
  const scope = new CancelScope(c.opOpts);
  try {
    if (scope.reason !== undefined) throw scope.error({ syscall: 'connect', address: host, port });
    const wanted = local?.family ?? family;
    let targets: Target[];
    const literal = net.isIP(host);
    if (literal !== 0) {
      targets = [{ address: host, family: literal as 4 | 6 }];
    } else {
      // A lookup cannot be cancelled, but the caller need not wait for it.
      targets = await scope.race(lookupAll(lookup ?? defaultLookup(), host, wanted), { syscall: 'connect', address: host, port });
    }
    if (local !== undefined && (targets.length === 0 || targets.some((t) => t.family !== local.family))) {
      const same = targets.filter((t) => t.family === local.family);
      if (literal !== 0 || same.length === 0) throw familyMismatch(local, host, targets);
      targets = same;
    }
    if (family !== 0) targets = targets.filter((t) => t.family === family);
    if (targets.length === 0) throw makeSystemError('ENOTFOUND', 'getaddrinfo', 0, host);

    let lastError: unknown;
    for (const target of targets) {
      for (let attempt = 1; attempt <= SELF_CONNECT_TRIES; attempt++) {
        const sock = tcp.open(target.family);
        try {
          await scope.run(() => tcp.connect(sock, target.address, port, local?.address, localPort), () => tcp.cancelConnect(sock),
            { syscall: 'connect', address: target.address, port });
          if (localPort === undefined && selfConnect.connectedToItself(sock)) {
            lastError = makeSystemError('ECONNREFUSED', 'connect', 0, target.address, port);  // if it keeps happening
            await tcp.close(sock);
            continue;
          }
          if (noDelay) tcp.setNoDelay(sock, true);
          if (keepAlive) tcp.setKeepAlive(sock, true, keepAliveDelay);
          return new Connection(sock);
        } catch (err) {
          lastError = err;
          await tcp.close(sock);
          if (scope.reason !== undefined) throw err;
          break;  // this address refused or failed: on to the next
        }
      }
    }
    throw lastError;
  } finally {
    scope.dispose();
  }
}
