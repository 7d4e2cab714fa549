// The WebSocket to a terminal session's shell (docs/endpoints.md, "Terminal sessions"):
// `ws(s)://<this host>/endpoints/<jobId>/terminal`, authenticated by the session cookie (the page
// is on the gateway's origin, which the gateway requires of a handshake with a cookie). Messages
// are terminado's JSON arrays: ["stdin", text] and ["set_size", rows, cols] out; ["setup", {}],
// ["stdout", text] and ["disconnect", 1] in.
//
// Right after the job turns running its server may not listen yet, and the handshake fails
// (502): the socket is tried again every RETRY_MS for RETRY_FOR_MS before giving up.
export const RETRY_MS = 300;
export const RETRY_FOR_MS = 20000;

/** Sockets open or being opened, on <body data-open-sockets> (the tests see them close). */
let openSockets = 0;
function count(change) {
  openSockets += change;
  document.body.dataset.openSockets = String(openSockets);
}

export function terminalURL(endpointPath) {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${endpointPath}terminal`;
}

/**
 * connectTerminal(url, {onOpen(), onMessage(kind, args), onClose({opened, disconnected})}) →
 * {send(kind, ...args), close()}. onClose comes once: after the shell said `disconnect`, when an
 * open socket dropped, or when no handshake succeeded for RETRY_FOR_MS (`opened` false).
 */
export function connectTerminal(url, {onOpen = () => {}, onMessage = () => {}, onClose = () => {}} = {}) {
  const deadline = Date.now() + RETRY_FOR_MS;
  let socket = null;
  let timer = null;
  let opened = false;
  let disconnected = false;
  let finished = false;

  function attempt() {
    socket = new WebSocket(url);
    socket.addEventListener('open', () => {
      opened = true;
      onOpen();
    });
    socket.addEventListener('message', (event) => {
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!Array.isArray(message) || typeof message[0] !== 'string') return;
      if (message[0] === 'disconnect') disconnected = true;
      onMessage(message[0], message.slice(1));
    });
    socket.addEventListener('close', () => {
      if (finished) return;
      if (!opened && Date.now() < deadline) {
        timer = setTimeout(attempt, RETRY_MS);
        return;
      }
      finish();
    });
  }

  function finish() {
    if (finished) return;
    finished = true;
    count(-1);
    onClose({opened, disconnected});
  }

  function send(kind, ...args) {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify([kind, ...args]));
  }

  /** Closes it from this side (the page goes, or the session ended): onClose is not called. */
  function close() {
    if (finished) return;
    finished = true;
    count(-1);
    clearTimeout(timer);
    socket?.close();
  }

  count(1);
  attempt();
  window.addEventListener('pagehide', close);
  return {send, close};
}
