// Resolver counters: what went to the network, what came back, and what was dropped and why.

export interface DnsStats {
  /** Queries that went to the network (after the cache and the coalescer). */
  queries: number;
  /** Answers served from the cache. */
  cacheHits: number;
  /** Callers who shared a query already in flight. */
  coalesced: number;
  /** UDP datagrams sent (first tries and retransmissions). */
  udpSent: number;
  /** UDP datagrams sent again because the previous one got no answer in time. */
  retransmissions: number;
  /** Queries repeated over TCP after a truncated UDP answer. */
  tcpQueries: number;
  tcpFailures: number;
  /** Queries repeated without EDNS0 after a FORMERR. */
  ednsFallbacks: number;
  /** Answers accepted (right server, ID and question). */
  accepted: number;
  /** Datagrams dropped, by reason. */
  droppedWrongId: number;
  droppedWrongQuestion: number;
  droppedWrongSource: number;
  /** Answers (same ID) to a query that had already been answered or given up: late duplicates. */
  droppedLate: number;
  droppedMalformed: number;
  /** Datagrams larger than the receive buffer. */
  droppedTruncated: number;
  /** Queries that ran out of tries or time. */
  timeouts: number;
  socketsOpened: number;
  socketsClosed: number;
}

export type DnsCounter = keyof DnsStats;

export function emptyStats(): DnsStats {
  return {
    queries: 0, cacheHits: 0, coalesced: 0, udpSent: 0, retransmissions: 0, tcpQueries: 0, tcpFailures: 0,
    ednsFallbacks: 0, accepted: 0, droppedWrongId: 0, droppedWrongQuestion: 0, droppedWrongSource: 0,
    droppedLate: 0, droppedMalformed: 0, droppedTruncated: 0, timeouts: 0, socketsOpened: 0, socketsClosed: 0,
  };
}

/** Process-wide totals over every resolver. */
const global: DnsStats = emptyStats();

/** Counters of one resolver; every increment also counts in the process-wide totals. */
export class Counters {
  readonly own: DnsStats = emptyStats();

  add(counter: DnsCounter, n = 1): void {
    this.own[counter] += n;
    global[counter] += n;
  }

  snapshot(): DnsStats { return { ...this.own }; }
}

/** Process-wide DNS counters (all resolvers, including the one lookup() uses). */
export function dnsStats(): DnsStats {
  return { ...global };
}
