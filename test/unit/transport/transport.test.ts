/*
 * The transport on real loopback sockets: UDP and TCP share one port (port 0 too), datagrams
 * leave from the bound port and arrive stamped, IPv6 works, streams are bounded in size and
 * number, and a taken address gives a BindError with nothing left open.
 */
import {createSocket} from "node:dgram";
import {connect} from "node:net";
import {afterEach, describe, expect, it} from "vitest";
import {createTransport, type Datagram, type StreamConnection, type Transport} from "../../../src/transport/index.ts";

// BOUNDED: the transports of one test.
const open: Transport[] = [];

async function bind(host = "127.0.0.1", port = 0, extra: Record<string, number> = {}): Promise<Transport> {
  const transport = await createTransport({host, port, ...extra});
  open.push(transport);
  return transport;
}

function nextDatagram(transport: Transport): Promise<Datagram> {
  return new Promise((resolve) => transport.setHandlers({onDatagram: resolve, onStream: (s) => s.destroy()}));
}

function waitClosed(stream: StreamConnection): Promise<Error | undefined> {
  return new Promise((resolve) => stream.setHandlers({onData: () => {}, onClose: (error) => resolve(error)}));
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((t) => t.close()));
});

describe("transport", () => {
  it("binds UDP and TCP on the same free port and sends UDP from it", async () => {
    const a = await bind();
    const b = await bind();
    expect(a.address.port).toBeGreaterThan(0);
    const tcpOpen = await new Promise<boolean>((resolve) => {
      const socket = connect({host: "127.0.0.1", port: a.address.port}, () => {
        socket.destroy();
        resolve(true);
      }).on("error", () => resolve(false));
    });
    expect(tcpOpen).toBe(true);
    const received = nextDatagram(b);
    a.send(b.address, Uint8Array.of(1, 2, 3));
    const datagram = await received;
    expect([...datagram.data]).toEqual([1, 2, 3]);
    expect(datagram.from).toEqual({host: "127.0.0.1", port: a.address.port});
    expect(datagram.receivedAtMs).toBeGreaterThan(0);
    expect(a.stats.datagramsOut).toBe(1);
    expect(b.stats.bytesIn).toBe(3);
  });

  it("works over IPv6 loopback", async () => {
    const a = await bind("::1");
    const b = await bind("::1");
    const received = nextDatagram(b);
    a.send(b.address, Uint8Array.of(9));
    expect((await received).from).toEqual({host: "::1", port: a.address.port});
  });

  it("carries one request and one reply over a stream", async () => {
    const server = await bind();
    const client = await bind();
    server.setHandlers({
      onDatagram: () => {},
      onStream: (stream) =>
        stream.setHandlers({
          onData: (buffered) => {
            if (buffered.length < 4) return;
            stream.write(Uint8Array.from(buffered, (x) => x * 2));
            stream.end();
          },
          onClose: () => {},
        }),
    });
    const stream = client.dial(server.address);
    const reply = new Promise<Uint8Array>((resolve) =>
      stream.setHandlers({onData: (b) => b.length >= 4 && resolve(b.slice()), onClose: () => {}}),
    );
    stream.write(Uint8Array.of(1, 2, 3, 4));
    expect([...(await reply)]).toEqual([2, 4, 6, 8]);
  });

  it("accumulates a large stream across many chunks without losing or reordering bytes", async () => {
    const server = await bind();
    const payload = Uint8Array.from({length: 3 * 1024 * 1024 + 17}, (_, i) => (i * 7919) & 0xff);
    const received = new Promise<Uint8Array>((resolve) =>
      server.setHandlers({
        onDatagram: () => {},
        onStream: (stream) =>
          stream.setHandlers({onData: (b) => b.length >= payload.length && resolve(b.slice()), onClose: () => {}}),
      }),
    );
    const client = await bind();
    const stream = client.dial(server.address);
    for (let at = 0; at < payload.length; at += 60_000) stream.write(payload.subarray(at, at + 60_000));
    const got = await received;
    expect(got.length).toBe(payload.length);
    expect(Buffer.compare(Buffer.from(got), Buffer.from(payload))).toBe(0);
    stream.destroy();
  });

  it("destroys a stream that sends more than maxStreamBytes", async () => {
    const server = await bind("127.0.0.1", 0, {maxStreamBytes: 1_000});
    const closed = new Promise<Error | undefined>((resolve) =>
      server.setHandlers({onDatagram: () => {}, onStream: (stream) => void waitClosed(stream).then(resolve)}),
    );
    const client = await bind();
    const stream = client.dial(server.address);
    stream.write(new Uint8Array(5_000));
    expect(await closed).toMatchObject({name: "StreamError", code: "tooLarge"});
  });

  it("refuses incoming streams beyond maxIncomingStreams", async () => {
    const server = await bind("127.0.0.1", 0, {maxIncomingStreams: 1});
    const accepted: StreamConnection[] = [];
    server.setHandlers({onDatagram: () => {}, onStream: (s) => accepted.push(s)});
    const client = await bind();
    const first = client.dial(server.address);
    first.write(Uint8Array.of(1));
    await new Promise((r) => setTimeout(r, 100));
    const second = client.dial(server.address);
    second.write(Uint8Array.of(1));
    await waitClosed(second);
    expect(accepted).toHaveLength(1);
    expect(server.stats.streamsRefused).toBe(1);
  });

  it("fails outgoing streams beyond maxOutgoingStreams without connecting", async () => {
    const server = await bind();
    server.setHandlers({onDatagram: () => {}, onStream: () => {}});
    const client = await bind("127.0.0.1", 0, {maxOutgoingStreams: 1});
    client.dial(server.address).write(Uint8Array.of(1));
    const second = client.dial(server.address);
    expect(await waitClosed(second)).toMatchObject({name: "StreamError", code: "tooMany"});
    expect(client.stats.streamsOut).toBe(1);
    expect(client.stats.streamsRefused).toBe(1);
  });

  it("reports a refused connection as a connect StreamError", async () => {
    const gone = await bind();
    const port = gone.address.port;
    await gone.close();
    const client = await bind();
    const stream = client.dial({host: "127.0.0.1", port});
    expect(await waitClosed(stream)).toMatchObject({name: "StreamError"});
  });

  it("throws BindError when the port is taken, leaving nothing open", async () => {
    const a = await bind();
    await expect(createTransport({host: "127.0.0.1", port: a.address.port})).rejects.toMatchObject({
      name: "BindError",
      code: "EADDRINUSE",
    });
    // Once `a` closes, the port binds again: the failed attempt left no socket holding it.
    await a.close();
    const again = await bind("127.0.0.1", a.address.port);
    expect(again.address.port).toBe(a.address.port);
  });

  it("counts a send that fails instead of throwing", async () => {
    const a = await bind();
    expect(() => a.send({host: "127.0.0.1", port: 9}, new Uint8Array(70_000))).not.toThrow();
    expect(a.stats.sendErrors).toBe(1);
  });

  it("drops nothing silently: a raw UDP datagram from a foreign socket reaches the handler", async () => {
    const a = await bind();
    const received = nextDatagram(a);
    const foreign = createSocket("udp4");
    foreign.send(Uint8Array.of(7, 7), a.address.port, "127.0.0.1");
    expect([...(await received).data]).toEqual([7, 7]);
    foreign.close();
  });

  it("closes idempotently, frees its port, and stops delivering", async () => {
    const a = await createTransport({host: "127.0.0.1", port: 0});
    const port = a.address.port;
    let delivered = 0;
    a.setHandlers({onDatagram: () => delivered++, onStream: (s) => s.destroy()});
    await a.close();
    await a.close();
    const again = await bind("127.0.0.1", port);
    expect(again.address.port).toBe(port);
    expect(delivered).toBe(0);
  });
});
