/* Typed errors of the transport layer (libp2p's error-class form). */

/** Binding the UDP socket or TCP listener failed (address in use, bad address). Nothing is left open. */
export class BindError extends Error {
  static override name = "BindError";
  readonly code: string;
  constructor(message: string, code: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "BindError";
    this.code = code;
  }
}

/** A stream failed: connect error, too many bytes, too many streams, closed early. */
export class StreamError extends Error {
  static override name = "StreamError";
  readonly code: "connect" | "tooLarge" | "tooMany" | "closed" | "timeout" | "io";
  constructor(code: StreamError["code"], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StreamError";
    this.code = code;
  }
}
