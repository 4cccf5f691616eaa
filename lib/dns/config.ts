// System resolver configuration, and the server-list syntax of dns.setServers()/getServers().
//
// Linux: /etc/resolv.conf (nameserver, domain, search, options ndots:/timeout:/attempts:/rotate), with the
// LOCALDOMAIN and RES_OPTIONS environment overrides glibc honours, and /etc/hosts.
// Windows: the DNS servers of the adapters that are up, from the addon's `native.dnsServers()`
// (binding/win/dns_servers.cc: GetAdaptersAddresses, ordered by the adapters' interface metric as c-ares
// orders them, link-local IPv6 servers with their scope id, "fe80::1%12"). When there are none (or the call
// fails), a Resolver rejects every query with ENOSERVERS and a message saying so, and the caller must give
// servers (options.servers or setServers()). We deliberately do not guess (parsing `ipconfig /all`, or
// assuming 127.0.0.1 as c-ares 1.34.6 did, which broke dns.resolve on Windows: nodejs/node#62747). Search suffixes live in the registry on Windows and are
// not read either; ndots is 1. The hosts file is %SystemRoot%\System32\drivers\etc\hosts.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { invalidArgType, invalidIpAddress } from '../errors';

export const DNS_PORT = 53;

export interface ServerAddress { address: string; port: number; family: 4 | 6 }

export interface SystemConfig {
  servers: ServerAddress[];
  /** Search suffixes, without leading or trailing dots. */
  search: string[];
  ndots: number;
  /** From resolv.conf `options timeout:` (converted to ms) and `attempts:`, when given. */
  timeout?: number;
  attempts?: number;
  rotate: boolean;
  hostsPath: string;
  /** Where the servers came from, for error messages ("/etc/resolv.conf", "GetAdaptersAddresses", ...). */
  source: string;
}

// ---- setServers / getServers syntax (as Node's lib/internal/dns/utils.js) ----------------------------------

/** Parses one server as dns.setServers() accepts it: "1.2.3.4", "1.2.3.4:53", "::1", "[::1]:53". */
export function parseServer(spec: string): ServerAddress {
  let family = net.isIP(spec);
  if (family !== 0) return { address: spec, port: DNS_PORT, family: family as 4 | 6 };
  const bracketed = /^\[([^[\]]*)\](?::(\d+))?$/.exec(spec);
  if (bracketed) {
    family = net.isIP(bracketed[1]);
    if (family !== 0) return { address: bracketed[1], port: parsePort(spec, bracketed[2]), family: family as 4 | 6 };
  }
  const split = /^(.+?)(?::(\d+))?$/.exec(spec);
  if (split) {
    family = net.isIP(split[1]);
    if (family === 4) return { address: split[1], port: parsePort(spec, split[2]), family: 4 };
  }
  throw invalidIpAddress(spec);
}

function parsePort(spec: string, digits: string | undefined): number {
  if (digits === undefined) return DNS_PORT;
  const port = Number(digits);
  if (port === 0) return DNS_PORT;   // Node: parseInt(...) || 53
  if (port > 65535) throw invalidIpAddress(spec);
  return port;
}

/** Parses and de-duplicates a server list, keeping the first of each. */
export function parseServers(servers: unknown): ServerAddress[] {
  if (!Array.isArray(servers)) throw invalidArgType('servers', 'an instance of Array', servers);
  const out: ServerAddress[] = [];
  servers.forEach((s, i) => {
    if (typeof s !== 'string') throw invalidArgType(`servers[${i}]`, 'of type string', s);
    const server = parseServer(s);
    if (!out.some((o) => o.address === server.address && o.port === server.port)) out.push(server);
  });
  return out;
}

/** The text dns.getServers() gives: the port only when it is not 53, IPv6 in brackets when a port follows. */
export function formatServer(s: ServerAddress): string {
  if (s.port === DNS_PORT) return s.address;
  return s.family === 6 ? `[${s.address}]:${s.port}` : `${s.address}:${s.port}`;
}

// ---- resolv.conf ------------------------------------------------------------------------------------------

export interface ResolvConf {
  servers: ServerAddress[];
  search?: string[];
  ndots?: number;
  timeout?: number;
  attempts?: number;
  rotate?: boolean;
}

function applyOptions(conf: ResolvConf, words: string[]): void {
  for (const w of words) {
    const m = /^(ndots|timeout|attempts):(\d+)$/.exec(w);
    if (m) {
      const n = Number(m[2]);
      // glibc's limits: ndots ≤ 15, timeout ≤ 30 s, attempts ≤ 5
      if (m[1] === 'ndots') conf.ndots = Math.min(n, 15);
      else if (m[1] === 'timeout') conf.timeout = Math.min(Math.max(n, 1), 30) * 1000;
      else conf.attempts = Math.min(Math.max(n, 1), 5);
    } else if (w === 'rotate') {
      conf.rotate = true;
    }
  }
}

const cleanDomain = (d: string): string => d.replace(/^\.+|\.+$/g, '');

/** Parses resolv.conf text. Unknown lines and bad addresses are skipped, as the system resolver does. */
export function parseResolvConf(text: string): ResolvConf {
  const conf: ResolvConf = { servers: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (line === '') continue;
    const [key, ...words] = line.split(/\s+/);
    switch (key) {
      case 'nameserver':
        if (words.length > 0) {
          try {
            const s = parseServer(words[0]);
            if (!conf.servers.some((o) => o.address === s.address && o.port === s.port)) conf.servers.push(s);
          } catch { /* not an address: skipped */ }
        }
        break;
      case 'domain':
        if (words.length > 0) conf.search = [cleanDomain(words[0])].filter((d) => d !== '');
        break;
      case 'search':
        conf.search = words.map(cleanDomain).filter((d) => d !== '');
        break;
      case 'options':
        applyOptions(conf, words);
        break;
      default:
        break;
    }
  }
  return conf;
}

// ---- the system's configuration ---------------------------------------------------------------------------

/** The Windows hosts file: under the system directory, as c-ares and the system resolver read it. */
export function windowsHostsPath(): string {
  const root = process.env.SystemRoot ?? process.env.SYSTEMROOT ?? process.env.windir ?? 'C:\\Windows';
  return path.win32.join(root, 'System32', 'drivers', 'etc', 'hosts');
}

export function defaultHostsPath(): string {
  return process.platform === 'win32' ? windowsHostsPath() : '/etc/hosts';
}

/** DNS servers from the addon (`native.dnsServers()`, Windows only), or undefined when the addon has no
 *  such function. Accepts "addr", "addr:port", "[v6]:port" strings. `failure` gets the error's text when the
 *  call throws (GetAdaptersAddresses failed): then there are no servers. */
function nativeDnsServers(failure?: (message: string) => void): ServerAddress[] | undefined {
  let fn: unknown;
  try {
    // Loaded lazily: the addon is only needed for this, and only on Windows.
    const mod = require('../native') as { native?: Record<string, unknown> };
    fn = mod.native?.dnsServers;
  } catch {
    return undefined;
  }
  if (typeof fn !== 'function') return undefined;
  let list: unknown;
  try {
    list = (fn as () => unknown)();
  } catch (err) {
    failure?.((err as Error).message);
    return [];
  }
  if (!Array.isArray(list)) return undefined;
  const out: ServerAddress[] = [];
  for (const item of list) {
    if (typeof item !== 'string') continue;
    try {
      const s = parseServer(item);
      if (!out.some((o) => o.address === s.address && o.port === s.port)) out.push(s);
    } catch { /* skipped */ }
  }
  return out;
}

/** Reads the system's resolver configuration (synchronously: it is small, and read once per Resolver). */
export function loadSystemConfig(resolvConfPath = '/etc/resolv.conf'): SystemConfig {
  if (process.platform === 'win32') {
    let failed: string | undefined;
    const servers = nativeDnsServers((m) => { failed = m; });
    let source = 'GetAdaptersAddresses';
    if (servers === undefined) source = 'none (this build of the addon cannot list the adapters\' DNS servers)';
    else if (failed !== undefined) source = `GetAdaptersAddresses failed: ${failed}`;
    else if (servers.length === 0) source = 'GetAdaptersAddresses (no adapter that is up has a DNS server)';
    return {
      servers: servers ?? [],
      search: [],
      ndots: 1,
      rotate: false,
      hostsPath: windowsHostsPath(),
      source,
    };
  }
  let conf: ResolvConf = { servers: [] };
  try {
    conf = parseResolvConf(fs.readFileSync(resolvConfPath, 'latin1'));
  } catch { /* no resolv.conf: the defaults below, as glibc */ }
  if (process.env.LOCALDOMAIN !== undefined) conf.search = process.env.LOCALDOMAIN.split(/\s+/).map(cleanDomain).filter((d) => d !== '');
  if (process.env.RES_OPTIONS !== undefined) applyOptions(conf, process.env.RES_OPTIONS.trim().split(/\s+/));
  let search = conf.search;
  if (search === undefined) {
    // glibc: without domain/search, the domain part of the host name.
    const host = os.hostname();
    const dot = host.indexOf('.');
    search = dot > 0 && dot < host.length - 1 ? [cleanDomain(host.slice(dot + 1))] : [];
  }
  const servers = conf.servers.length > 0 ? conf.servers : [{ address: '127.0.0.1', port: DNS_PORT, family: 4 as const }];
  return {
    servers,
    search,
    ndots: conf.ndots ?? 1,
    timeout: conf.timeout,
    attempts: conf.attempts,
    rotate: conf.rotate ?? false,
    hostsPath: '/etc/hosts',
    source: conf.servers.length > 0 ? resolvConfPath : `${resolvConfPath} (no nameserver line: 127.0.0.1, as glibc)`,
  };
}

/**
 * The names the system resolver tries for `name`, in order: a name ending in a dot only as it is; a name
 * with at least `ndots` dots first as it is, then with each search suffix; a name with fewer dots first
 * with each suffix, then as it is (resolv.conf(5)).
 */
export function searchNames(name: string, search: readonly string[], ndots: number): string[] {
  if (name.endsWith('.')) return [name.slice(0, -1)];
  const dots = name.split('.').length - 1;
  const withSuffix = search.map((s) => `${name}.${s}`);
  return dots >= ndots ? [name, ...withSuffix] : [...withSuffix, name];
}
