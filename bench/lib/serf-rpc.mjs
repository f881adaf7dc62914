/*
 * A minimal client for the serf agent's RPC protocol (msgpack objects over TCP, the protocol the
 * `serf` CLI itself speaks), so the benchmark can poll the membership of 32 agents every 50 ms
 * over persistent connections instead of forking 32 `serf members` processes per poll, which
 * would itself load the 2-core machine being measured.
 *
 *   client ->[{Command:"handshake",Seq:0}][{Version:1}]   agent ->[{Seq:0,Error:""}]
 *   client ->[{Command:"members",Seq:1}]                  agent ->[{Seq:1,Error:""}][{Members:[...]}]
 *
 * Requests are answered in order on one connection, so replies are matched to a FIFO of pending
 * requests; each request records whether a body follows the header.
 */
import {connect} from "node:net";
import {Decoder, Encoder} from "@msgpack/msgpack";

const encoder = new Encoder();

/** One connection to one agent's -rpc-addr. */
export class SerfRpc {
  /** @param {string} host @param {number} port */
  constructor(host, port) {
    this.host = host;
    this.port = port;
    this.seq = 0;
    /** BOUNDED: one entry per request in flight; callers await each request. */
    this.pending = [];
    this.closed = false;
  }

  /** Connects and performs the version-1 handshake. */
  async open() {
    this.socket = connect(this.port, this.host);
    this.socket.setNoDelay(true);
    await new Promise((resolve, reject) => {
      this.socket.once("connect", resolve);
      this.socket.once("error", reject);
    });
    this.socket.on("error", (error) => this.failAll(error));
    this.socket.on("close", () => this.failAll(new Error("serf rpc connection closed")));
    this.reader = this.readLoop();
    await this.request("handshake", {Version: 1}, false);
    return this;
  }

  async readLoop() {
    const decoder = new Decoder();
    try {
      for await (const object of decoder.decodeStream(this.socket)) {
        const head = this.pending[0];
        if (!head) continue;
        if (head.stage === "header") {
          if (object.Error) {
            this.pending.shift();
            head.reject(new Error(`serf rpc ${head.command}: ${object.Error}`));
          } else if (head.expectsBody) {
            head.stage = "body";
          } else {
            this.pending.shift();
            head.resolve(undefined);
          }
        } else {
          this.pending.shift();
          head.resolve(object);
        }
      }
    } catch (error) {
      this.failAll(error);
    }
  }

  failAll(error) {
    this.closed = true;
    for (const p of this.pending.splice(0)) p.reject(error);
  }

  /** Sends `command` (with an optional body) and resolves with the response body, if any. */
  request(command, body, expectsBody) {
    if (this.closed) return Promise.reject(new Error("serf rpc connection closed"));
    const seq = this.seq++;
    return new Promise((resolve, reject) => {
      this.pending.push({command, expectsBody, stage: "header", resolve, reject});
      this.socket.write(encoder.encode({Command: command, Seq: seq}));
      if (body !== undefined) this.socket.write(encoder.encode(body));
    });
  }

  /** Members as serf sees them: [{name, status, tags}]. */
  async members() {
    const body = await this.request("members", undefined, true);
    return (body?.Members ?? []).map((m) => ({name: m.Name, status: m.Status, tags: m.Tags ?? {}}));
  }

  /** Asks the agent to join `addrs` (push-pull with each); resolves with how many answered. */
  async join(addrs) {
    const body = await this.request("join", {Existing: addrs, Replay: false}, true);
    return body?.Num ?? 0;
  }

  close() {
    this.closed = true;
    this.socket?.destroy();
  }
}
