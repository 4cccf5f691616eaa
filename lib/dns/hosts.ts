// The hosts file (/etc/hosts, or %SystemRoot%\System32\drivers\etc\hosts), as lookup() reads it before
// asking DNS. It is read synchronously on the JavaScript thread, never through the libuv thread pool (which
// is what lookup() exists to avoid): the file is small, and a parsed copy is kept and re-read only when its
// modification time or size changes, checked at most once every `recheckMs`.
import * as fs from 'node:fs';
import * as net from 'node:net';

export interface HostsEntry { address: string; family: 4 | 6 }

/** Parses hosts-file text into a map from lower-cased name to its addresses in file order. */
export function parseHosts(text: string): Map<string, HostsEntry[]> {
  const map = new Map<string, HostsEntry[]>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, '').trim();
    if (line === '') continue;
    const [addr, ...names] = line.split(/\s+/);
    // An IPv6 address may carry a zone (fe80::1%eth0); net.isIP accepts it.
    const family = net.isIP(addr);
    if (family === 0 || names.length === 0) continue;
    for (const name of names) {
      const key = name.toLowerCase().replace(/\.$/, '');
      let list = map.get(key);
      if (list === undefined) map.set(key, (list = []));
      if (!list.some((e) => e.address === addr)) list.push({ address: addr, family: family as 4 | 6 });
    }
  }
  return map;
}

interface Loaded { map: Map<string, HostsEntry[]>; mtimeMs: number; size: number; checkedAt: number }

export class HostsFile {
  readonly path: string;
  readonly #recheckMs: number;
  #loaded: Loaded | undefined;

  constructor(path: string, recheckMs = 5000) {
    this.path = path;
    this.#recheckMs = recheckMs;
  }

  /** Addresses for `name` (case-insensitive, a trailing dot ignored), in file order; empty if none or no file. */
  lookup(name: string): HostsEntry[] {
    return this.#current().get(name.toLowerCase().replace(/\.$/, '')) ?? [];
  }

  #current(): Map<string, HostsEntry[]> {
    const now = Date.now();
    const l = this.#loaded;
    if (l !== undefined && now - l.checkedAt < this.#recheckMs) return l.map;
    let st: fs.Stats;
    try {
      st = fs.statSync(this.path);
    } catch {
      this.#loaded = { map: new Map(), mtimeMs: -1, size: -1, checkedAt: now };
      return this.#loaded.map;
    }
    if (l !== undefined && l.mtimeMs === st.mtimeMs && l.size === st.size) {
      l.checkedAt = now;
      return l.map;
    }
    let map: Map<string, HostsEntry[]>;
    try {
      map = parseHosts(fs.readFileSync(this.path, 'utf8'));
    } catch {
      map = new Map();
    }
    this.#loaded = { map, mtimeMs: st.mtimeMs, size: st.size, checkedAt: now };
    return map;
  }
}
