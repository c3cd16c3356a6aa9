// A crowd of chat pages for tests: connects N clients to the chat one after another (each waits for
// its welcome before the next connects), then reads until every client knows every other, and
// prints one JSON line: how many roster bytes (roster, join and leave messages) each client got.
//   node chat-crowd.js ws://127.0.0.1:8091/msg 500 [timeoutSeconds]
'use strict';
const WebSocket = require('ws');

const [url, countText, timeoutText] = process.argv.slice(2);
const count = Number(countText);
const timeout = setTimeout(() => fail(`timed out; ${report()}`), 1000 * Number(timeoutText ?? 120));
const clients = [];

function fail(message) {
    console.error(message);
    process.exit(1);
}

function report() {
    const known = clients.map((c) => c.roster.size);
    return `clients ${clients.length}, fewest known ${Math.min(...known)}`;
}

function open() {
    return new Promise((resolve) => {
        const client = { id: null, roster: new Set(), rosterBytes: 0, messages: 0 };
        const ws = new WebSocket(url);
        ws.on('error', (e) => fail(`client ${clients.length}: ${e.message}`));
        ws.on('close', (code) => fail(`client ${clients.length} closed by the server (${code})`));
        ws.on('message', (data) => {
            const m = JSON.parse(data.toString());
            client.messages++;
            if (m.type === 'welcome') {
                client.id = m.clientId;
                resolve(client);
            } else if (m.type === 'roster') {
                client.rosterBytes += data.length;
                m.clients.forEach((id) => client.roster.add(id));
            } else if (m.type === 'join') {
                client.rosterBytes += data.length;
                client.roster.add(m.clientId);
            } else if (m.type === 'leave') {
                client.rosterBytes += data.length;
                client.roster.delete(m.clientId);
            }
            check();
        });
        client.ws = ws;
    });
}

function check() {
    if (clients.length === count && clients.every((c) => c.roster.size === count)) {
        clearTimeout(timeout);
        const bytes = clients.map((c) => c.rosterBytes);
        console.log(JSON.stringify({ clients: count, maxRosterBytes: Math.max(...bytes), totalRosterBytes: bytes.reduce((a, b) => a + b, 0) }));
        clients.forEach((c) => c.ws.removeAllListeners('close').terminate());
        process.exit(0);
    }
}

(async () => {
    for (let i = 0; i < count; i++) {
        clients.push(await open());
    }
    check();
})();
