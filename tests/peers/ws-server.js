#!/usr/bin/env node
// A WebSocket test peer built on the `ws` package (pinned in package.json), so that the
// engine's external client is tested against a server nobody here wrote.
//
//   node tests/peers/ws-server.js [--port N] [--cert cert.pem --key key.pem]
//
// Binds 127.0.0.1 (port 0 = ephemeral unless --port) and prints the port, alone on the
// first line of stdout, once it listens. With --cert/--key it serves wss. It exits when
// its stdin closes (the test process that holds it ended).
//
// Handshake:
//   /status/<code>     the upgrade is answered with that HTTP status (no WebSocket)
//   ?select=<proto>    choose that sub-protocol if offered, none otherwise
//                      (by default the first one offered is chosen)
//
// Messages: every text or binary message is echoed with its type, except text that
// starts with "cmd:", which is a command:
//   cmd:info                         reply JSON {path, headers, protocol}
//   cmd:fragments <text|binary> <count> <size>
//                                    send one message as <count> frames (fin: false on all
//                                    but the last) of <size> bytes; fragment i is the
//                                    digit i % 10 repeated (as ASCII bytes for binary)
//   cmd:big <text|binary> <size>     send one unfragmented message of <size> 'x' bytes
//   cmd:close <code> [reason]        close with this code and reason
//   cmd:terminate                    drop the TCP connection without a Close frame
//   cmd:reject <status>              answer every later upgrade with <status> (0: accept again)
//   cmd:pings <n>                    send "pinged <n>" once <n> more pings have arrived
//   cmd:ping-me <n>                  ping <n> times (payload "p<i>", each after the last
//                                    pong), then send "ponged <n>" if every pong carried
//                                    its ping's payload, "bad pong ..." otherwise
'use strict';

let WebSocket;
try {
  WebSocket = require('ws');
} catch (e) {
  process.stderr.write(`ws-server.js: cannot load the 'ws' package (${e.message}); run \`npm ci\` in tests/peers\n`);
  process.exit(2);
}
const fs = require('fs');
const http = require('http');
const https = require('https');

function option(name) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

const port = Number(option('--port') || 0);
const cert = option('--cert');
const key = option('--key');
let rejectStatus = 0;

const server = cert ? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) }) : http.createServer();
server.on('request', (req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('WebSocket only\n');
});

const wss = new WebSocket.Server({
  noServer: true,
  handleProtocols(protocols, req) {
    const wanted = new URL(req.url, 'ws://peer').searchParams.get('select');
    if (wanted === null) return protocols.values().next().value || false;
    return protocols.has(wanted) ? wanted : false;
  },
});

function refuse(socket, status) {
  const text = http.STATUS_CODES[status] || 'Status';
  socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${text.length}\r\nConnection: close\r\n\r\n${text}`);
}

server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => {});
  const path = new URL(req.url, 'ws://peer').pathname;
  const status = path.match(/^\/status\/(\d{3})$/);
  if (status) return refuse(socket, Number(status[1]));
  if (rejectStatus) return refuse(socket, rejectStatus);
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
});

wss.on('connection', (ws, req) => {
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => {
    const text = isBinary ? null : data.toString();
    if (text === null || !text.startsWith('cmd:')) {
      ws.send(data, { binary: isBinary });
      return;
    }
    command(ws, req, text.slice(4).split(' '));
  });
});

function command(ws, req, [name, ...args]) {
  switch (name) {
    case 'info':
      ws.send(JSON.stringify({ path: req.url, headers: req.headers, protocol: ws.protocol }));
      break;
    case 'fragments': {
      const [type, count, size] = [args[0], Number(args[1]), Number(args[2])];
      for (let i = 0; i < count; i++) {
        const chunk = Buffer.alloc(size, String(i % 10));
        ws.send(type === 'binary' ? chunk : chunk.toString(), { binary: type === 'binary', fin: i === count - 1 });
      }
      break;
    }
    case 'big': {
      const chunk = Buffer.alloc(Number(args[1]), 'x');
      ws.send(args[0] === 'binary' ? chunk : chunk.toString(), { binary: args[0] === 'binary' });
      break;
    }
    case 'close':
      ws.close(Number(args[0]), args.slice(1).join(' '));
      break;
    case 'terminate':
      ws.terminate();
      break;
    case 'reject':
      rejectStatus = Number(args[0]);
      ws.send('ok');
      break;
    case 'pings': {
      const want = Number(args[0]);
      let seen = 0;
      const onPing = () => {
        if (++seen === want) {
          ws.off('ping', onPing);
          ws.send(`pinged ${want}`);
        }
      };
      ws.on('ping', onPing);
      break;
    }
    case 'ping-me': {
      const want = Number(args[0]);
      let sent = 0;
      const ping = () => ws.ping(`p${++sent}`);
      const onPong = (data) => {
        if (data.toString() !== `p${sent}`) {
          ws.off('pong', onPong);
          ws.send(`bad pong ${data.toString()} for p${sent}`);
        } else if (sent === want) {
          ws.off('pong', onPong);
          ws.send(`ponged ${want}`);
        } else {
          ping();
        }
      };
      ws.on('pong', onPong);
      ping();
      break;
    }
    default:
      ws.send(`unknown command ${name}`);
  }
}

// The test that started this peer holds its stdin: when that process ends, however it
// ends, so does the peer.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
