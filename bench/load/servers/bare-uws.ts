// Baseline: a bare uWebSockets.js server that reads the whole body and answers 204. Nothing can
// acknowledge faster on this machine through this edge: the ceiling the real server is measured against.
import { uws } from '../../../ingest/edge/uws.js';

const decode = process.argv[2] === 'decode';
const { decodeBody } = await import('../../../ingest/pipeline/decode/decode-body.js');

const app = uws.App();
app.post('/*', (res) => {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  const parts: Buffer[] = [];
  res.onData((chunk, isLast) => {
    parts.push(Buffer.from(new Uint8Array(chunk)));
    if (!isLast || aborted) return;
    // The decode ceiling: the same bounded decoder the pool runs, on one thread, nothing else.
    if (decode) decodeBody(Buffer.concat(parts));
    res.cork(() => res.writeStatus('204 No Content').end());
  });
});
app.listen('127.0.0.1', 0, (token) => {
  if (!token) process.exit(1);
  process.stdout.write(`${JSON.stringify({ msg: 'listening', port: uws.us_socket_local_port(token as never) })}\n`);
});
