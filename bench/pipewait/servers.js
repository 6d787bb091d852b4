// Upstreams for bench/pipewait/run: /hang never answers, anything else answers "ok" at once.
//   BASE+0  plain HTTP/1.1
//   BASE+1  HTTPS, ALPN http/1.1 only
//   BASE+2  HTTPS, ALPN h2 (HTTP/1.1 allowed)
//   BASE+3  TCP front of BASE+2 that swallows its first connection (a TLS handshake that never ends)
'use strict';
const fs = require('fs'), http = require('http'), https = require('https'), http2 = require('http2'), net = require('net');
const base = Number(process.env.PIPEWAIT_PORT || 18190);
const tls = { key: fs.readFileSync(process.argv[2]), cert: fs.readFileSync(process.argv[3]) };
const held = [];
function handler(req, res) {
  req.resume();
  if (req.url === '/hang') { held.push(res); return; }
  req.on('end', () => { res.writeHead(200, { 'content-type': 'text/plain' }); res.end('ok'); });
}
http.createServer(handler).listen(base, '127.0.0.1');
https.createServer({ ...tls, ALPNProtocols: ['http/1.1'] }, handler).listen(base + 1, '127.0.0.1');
http2.createSecureServer({ ...tls, allowHTTP1: true }, handler).listen(base + 2, '127.0.0.1');
let first = true;
net.createServer((socket) => {
  if (first) { first = false; held.push(socket); return; }
  const upstream = net.connect(base + 2, '127.0.0.1');
  socket.pipe(upstream).pipe(socket);
  socket.on('error', () => upstream.destroy());
  upstream.on('error', () => socket.destroy());
}).listen(base + 3, '127.0.0.1');
console.log('ready');
