/*
 * What the HTTP API reads from, and asks of, an agent: a narrow view the agent builds for it.
 * The HTTP layer depends on this interface only — never on the Agent class or the raw core — so
 * the agent imports the HTTP layer and not the other way round.
 */

import type {Registry} from "prom-client";
import type {MemberState, SwimStats} from "../core/index.ts";
import type {DeviceView} from "../heartbeat/index.ts";
import type {HashRing, LeaderOptions} from "../ring/index.ts";
import type {DriverStats} from "../runtime/index.ts";
import type {TransportStats} from "../transport/index.ts";

/** One member as the API shows it: `{name, addr, port, state, incarnation, tags}`. */
export interface MemberJson {
  readonly name: string;
  /** IP address text. */
  readonly addr: string;
  readonly port: number;
  readonly state: MemberState;
  readonly incarnation: number;
  readonly tags: Readonly<Record<string, string>>;
}

/**
 * One node's network coordinate (serf's Vivaldi coordinate, src/coordinate): `vec`, `adjustment`
 * and `height` in seconds, as serf keeps and sends them; `error` dimensionless.
 */
export interface CoordinateJson {
  readonly node: string;
  readonly coordinate: {
    readonly vec: readonly number[];
    readonly error: number;
    readonly adjustment: number;
    readonly height: number;
  };
}

/** An event the API streams to `/v1/events` subscribers. */
export type StreamedEvent =
  | {readonly type: "member:up" | "member:suspect" | "member:alive" | "member:updated"; readonly member: MemberJson}
  | {readonly type: "member:down"; readonly member: MemberJson; readonly reason: "failed" | "left"}
  | {readonly type: "heartbeat:up" | "heartbeat:down"; readonly device: DeviceView};

/** The protocol's counters and gauges at one moment. */
export interface ProtocolStats {
  readonly core: Readonly<SwimStats>;
  readonly driver: DriverStats;
  readonly transport: TransportStats;
  /** Lifeguard's local health score (0 = healthy). */
  readonly awarenessScore: number;
  /** Our own incarnation number. */
  readonly incarnation: number;
}

/** One answer to a query, as it arrives. */
export type QueryAnswerView =
  | {readonly type: "ack"; readonly from: string}
  | {readonly type: "response"; readonly from: string; readonly payload: Uint8Array};

/** A query in flight: its answers as they come, and the count of members it reached. */
export interface QueryView extends AsyncIterable<QueryAnswerView> {
  readonly name: string;
  readonly lTime: number;
  readonly members: number;
}

/** What a query asks for (serf's query parameters). */
export interface QueryRequest {
  readonly nodes?: readonly string[] | undefined;
  readonly tags?: Readonly<Record<string, string>> | undefined;
  readonly timeoutMs?: number | undefined;
  readonly requestAck?: boolean | undefined;
  readonly relayFactor?: number | undefined;
}

/** What a cluster-wide key operation collected (serf's KeyResponse). */
export interface KeyOperationView {
  readonly numNodes: number;
  readonly numResponses: number;
  readonly numErrors: number;
  readonly messages: Readonly<Record<string, string>>;
  readonly keys: Readonly<Record<string, number>>;
  readonly primaryKeys: Readonly<Record<string, number>>;
}

/** Everything the HTTP API serves. */
export interface HttpAgentView {
  readonly name: string;
  /** The agent's lifecycle state ("running" is healthy). */
  readonly state: string;
  members(): readonly MemberJson[];
  heartbeats(): readonly DeviceView[];
  /** How late the agent's event loop ran lately, in ms. */
  eventLoopDelay(): {readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number};
  /** Our coordinate first, then every member's known one; undefined when coordinates are disabled. */
  coordinates(): readonly CoordinateJson[] | undefined;
  readonly protocolStats: ProtocolStats;
  /** The agent's prom-client registry, rendered at `/metrics`. */
  readonly metrics: Pick<Registry, "metrics" | "contentType">;
  /** One join attempt; rejects with an error carrying a `code` (see server.ts) when it fails. */
  join(addrs: readonly string[]): Promise<number>;
  leave(): Promise<void>;
  readonly ring: Pick<HashRing, "owner" | "owners" | "members" | "position" | "ownership" | "vnodes">;
  leader(options: LeaderOptions): string | undefined;
  /** Sends a user event; throws an error with a `code` (and `field`) when refused. */
  event(name: string, payload: Uint8Array, options: {readonly coalesce: boolean}): {readonly lTime: number};
  /** Sends a query; throws an error with a `code` (and `field`) when refused. */
  query(name: string, payload: Uint8Array, options: QueryRequest): QueryView;
  /** Cluster-wide key rotation (serf's `keys` internal queries). */
  readonly keys: {
    install(key: string): Promise<KeyOperationView>;
    use(key: string): Promise<KeyOperationView>;
    remove(key: string): Promise<KeyOperationView>;
    list(): Promise<KeyOperationView>;
  };
  /** Calls `listener` for every streamed event until the returned function is called. */
  subscribe(listener: (event: StreamedEvent) => void): () => void;
}
