// Server-sent events from the API (same origin: the session cookie goes along). EventSource
// reconnects by itself with the URL it was given, which for a log stream would replay lines
// from the old `after`: so on an error this closes it and, unless the stream ended, opens a new
// one after RECONNECT_MS with the URL `url()` gives then (the last id seen). `event: end` says
// the job ended and nothing more will come: the stream is closed for good.
const RECONNECT_MS = 5000;

/** Streams not yet closed for good, on <body data-open-streams> (the tests check they close). */
let openStreams = 0;
function count(change) {
  openStreams += change;
  document.body.dataset.openStreams = String(openStreams);
}

/**
 * follow(() => '/api/compute/v1/jobs/x/events', {job: (data) => …}, {onEnd}) → {close()}.
 * Each handler gets the event's JSON data and the event.
 */
export function follow(url, handlers, {onEnd} = {}) {
  let source = null;
  let timer = null;
  let closed = false;

  function connect() {
    if (closed) return;
    source = new EventSource(url());
    for (const [name, handle] of Object.entries(handlers)) {
      source.addEventListener(name, (event) => handle(JSON.parse(event.data), event));
    }
    source.addEventListener('end', () => {
      close();
      if (onEnd) onEnd();
    });
    source.addEventListener('error', () => {
      source.close();
      if (!closed) timer = setTimeout(connect, RECONNECT_MS);
    });
  }

  function close() {
    if (closed) return;
    closed = true;
    count(-1);
    clearTimeout(timer);
    if (source) source.close();
  }

  count(1);
  connect();
  window.addEventListener('pagehide', close);
  return {close};
}
