// The DNS resolver: Resolver (dns.promises.Resolver's API), lookup (dns.lookup's), and their counters.
export { Resolver, type ResolverOptions, type ResolveOptions } from './resolver';
export { lookup, createLookup, type LookupAddress, type LookupFunction, type LookupOptions, type LookupOrder, type LookupSetup } from './lookup';
export { dnsStats, type DnsStats } from './stats';
export type { CacheOptions } from './cache';
export type { DatagramSocket, DatagramSocketFactory, RecvResult } from './transport';
export type { ServerAddress } from './config';
export type { DnsError } from './errors';
export { typeName, rcodeName, type DnsMessage, type DnsRecord, type DnsQuestion, type RecordData } from './codec';
export type {
  AnyRecord, CaaRecord, MxRecord, NaptrRecord, RecordWithTtl, SoaRecord, SrvRecord,
} from './records';
