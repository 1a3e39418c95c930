// Talking to the server: JSON requests, and the live stream of frames over a WebSocket.

export class ApiError extends Error {}

export async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!res.ok) throw new ApiError((data && data.detail) || `${res.status} ${res.statusText}`);
  return data;
}

// One stream per session: control messages out, frames in; every drawn frame is acknowledged
// so the server never runs more than a couple of frames ahead of the page.
export class Stream {
  constructor(sessionId, onFrame, onError) {
    const proto = location.protocol === "https:" ? "wss" : "ws";
    this.ws = new WebSocket(`${proto}://${location.host}/api/sessions/${sessionId}/stream`);
    this.queue = [];
    this.ws.onopen = () => { for (const m of this.queue) this.ws.send(m); this.queue = []; };
    this.ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "error") { onError(msg.message); return; }
      onFrame(msg);
      this.send({ type: "ack", frame: msg.frame_no });
    };
    this.ws.onclose = (ev) => { if (!this.closing) onError("the connection to the server closed; reload the page"); };
  }
  send(msg) {
    const text = JSON.stringify(msg);
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(text);
    else if (this.ws.readyState === WebSocket.CONNECTING) this.queue.push(text);
  }
  close() { this.closing = true; this.ws.close(); }
}
