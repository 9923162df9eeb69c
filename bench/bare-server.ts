// The "no work" baseline: a bare node:http server that drains any request
// body and answers 200 with a fixed 1 KiB body. Its rate is the ceiling for a
// single Node process on this machine with this load generator — everything
// an S3 server does (routing, SigV4, storage, metadata) costs below it.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string' }, size: { type: 'string', default: '1024' } } });
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node dist/bench/bare-server.js --port <port> [--size 1024]');
  process.exit(2);
}
const body = Buffer.alloc(Number(values.size), 'x');

const server = createServer((req, res) => {
  // Answer only after the body is consumed, as a real PUT handler must.
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => server.close(() => process.exit(0)));
