// A small socket.io client (Engine.IO v4 over WebSocket only), written for this page so it
// carries no third-party code: connect, emit, receive events, answer pings, reconnect.
"use strict";

class TinySocket {
  constructor(baseUrl, handlers) {
    this.url = baseUrl.replace(/^http/, "ws").replace(/\/$/, "") +
      "/socket.io/?EIO=4&transport=websocket";
    this.handlers = handlers;          // {connect, disconnect, <event name>: fn(payload)}
    this.retryMs = 500;
    this.connected = false;
    this.acks = new Map();             // ack id -> callback, for emits that asked for one
    this.nextAckId = 0;
    this.open();
  }

  open() {
    this.ws = new WebSocket(this.url);
    this.ws.onmessage = (event) => this.receive(String(event.data));
    this.ws.onclose = () => this.closed();
    this.ws.onerror = () => this.ws.close();
  }

  receive(packet) {
    const type = packet[0];
    if (type === "0") { this.ws.send("40"); return; }        // engine open -> join namespace
    if (type === "2") { this.ws.send("3"); return; }         // ping -> pong
    if (type !== "4") return;
    const kind = packet[1];
    if (kind === "0") {                                      // namespace joined
      this.connected = true;
      this.retryMs = 500;
      this.call("connect");
    } else if (kind === "2") {                               // event: ["name", payload]
      const [name, payload] = JSON.parse(packet.slice(2));
      this.call(name, payload);
    } else if (kind === "3") {                               // ack: <id>[args...]
      const id = Number(/^\d+/.exec(packet.slice(2))[0]);
      const callback = this.acks.get(id);
      this.acks.delete(id);
      if (callback) callback(...JSON.parse(packet.slice(2 + String(id).length)));
    }
  }

  // With `ack`, the server's answer to this event is passed to it (socket.io acknowledgement).
  emit(name, payload, ack) {
    if (!this.connected) return false;
    let id = "";
    if (ack) {
      id = String(this.nextAckId++);
      this.acks.set(Number(id), ack);
    }
    this.ws.send("42" + id + JSON.stringify([name, payload]));
    return true;
  }

  closed() {
    const wasConnected = this.connected;
    this.connected = false;
    // Answers to this connection's events can no longer come; the caller's timeout says so.
    this.acks.clear();
    if (wasConnected) this.call("disconnect");
    // Back off up to 10 s so a restarting server is not hammered.
    setTimeout(() => this.open(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, 10000);
  }

  call(name, payload) {
    const handler = this.handlers[name];
    if (handler) handler(payload);
  }
}
