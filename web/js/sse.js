// Server-Sent Events over fetch(). EventSource cannot send an Authorization header, so the
// stream is read with a ReadableStream reader and parsed here, per the HTML standard's
// event-stream format: lines end in CR, LF or CRLF; a blank line dispatches the event;
// "event:" names it, "data:" lines are joined with LF, ":" lines are comments.

import { request } from './api.js';

/** Yields `{event, data}` for each event of an open text/event-stream Response. */
export async function* parseEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = '';
  let data = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (;;) {
        const end = buffer.search(/[\r\n]/);
        if (end < 0) break;
        // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
        if (buffer[end] === '\r' && end === buffer.length - 1) break;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer[end] === '\r' && buffer[end + 1] === '\n' ? 2 : 1));
        if (line === '') {
          if (data.length > 0) yield { event: event || 'message', data: data.join('\n') };
          event = '';
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let fieldValue = colon < 0 ? '' : line.slice(colon + 1);
        if (fieldValue.startsWith(' ')) fieldValue = fieldValue.slice(1);
        if (field === 'event') event = fieldValue;
        else if (field === 'data') data.push(fieldValue);
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/** Opens an authenticated SSE endpoint and yields its events until it ends or `signal` aborts. */
export async function* streamEvents(path, signal) {
  const response = await request('GET', path, { raw: true, signal, headers: { Accept: 'text/event-stream' } });
  yield* parseEvents(response);
}
