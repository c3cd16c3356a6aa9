// The chat page: one WebSocket to /msg on the server that served the page. What the form sends is
// broadcast to every page; the list shows the pages connected now; when the socket closes (the server
// stopped or restarted) the page tries again with growing delays and shows where it stands.
// Plain DOM API, no library and no external URL: the page works offline.
(() => {
    'use strict';

    const form = document.getElementById('bc-form');
    const input = form.elements.message;
    const submit = form.querySelector('input[type=submit]');
    const messages = document.getElementById('messages');
    const clients = document.getElementById('clients');
    const count = document.getElementById('count');
    const status = document.getElementById('status');

    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/msg`;
    const firstDelay = 250;   // ms before the first retry
    const maxDelay = 5000;    // retries never wait longer than this

    let ws = null;
    let me = null;            // this page's client id, from the server's welcome
    let attempt = 0;          // failed attempts since the last open

    function setStatus(state, text) {
        status.dataset.state = state;
        status.textContent = text;
        submit.disabled = state !== 'connected';
    }

    function connect() {
        setStatus('connecting', attempt === 0 ? 'connecting\u2026' : `reconnecting (attempt ${attempt + 1})\u2026`);
        const socket = new WebSocket(url);
        ws = socket;
        socket.onopen = () => {
            attempt = 0;
            setStatus('connected', 'connected');
        };
        socket.onmessage = (evt) => receive(evt.data);
        socket.onclose = () => {
            if (ws !== socket) {
                return;
            }
            ws = null;
            me = null;
            showRoster([]);
            const delay = Math.min(firstDelay * 2 ** attempt, maxDelay);
            attempt++;
            setStatus('offline', `disconnected, retrying in ${(delay / 1000).toFixed(1)} s`);
            setTimeout(connect, delay);
        };
    }

    function receive(text) {
        let data;
        try {
            data = JSON.parse(text);
        } catch {
            addMessage(text); // not JSON: show it as it came
            return;
        }
        if (data === null || typeof data !== 'object') {
            addMessage(String(data));
            return;
        }
        switch (data.type) {
            case 'welcome':
                me = data.clientId;
                markMe();
                break;
            case 'roster':
                showRoster(Array.isArray(data.clients) ? data.clients : []);
                break;
            case 'join':
                if (typeof data.clientId === 'string' && !roster().includes(data.clientId)) {
                    showRoster([...roster(), data.clientId]);
                }
                break;
            case 'leave':
                showRoster(roster().filter((id) => id !== data.clientId));
                break;
            default: // 'message', or a plain { message } from a server without types
                addMessage(typeof data.message === 'string' ? data.message : JSON.stringify(data.message ?? data));
        }
    }

    function addMessage(text) {
        const p = document.createElement('p');
        p.textContent = text;
        messages.appendChild(p);
        p.scrollIntoView({ block: 'nearest' });
    }

    function roster() {
        return Array.from(clients.children, (li) => li.dataset.clientId);
    }

    function showRoster(ids) {
        clients.replaceChildren(...ids.map((id) => {
            const li = document.createElement('li');
            li.dataset.clientId = id;
            li.title = id;
            li.textContent = id.slice(0, 8);
            return li;
        }));
        count.textContent = String(ids.length);
        markMe();
    }

    function markMe() {
        for (const li of clients.children) {
            const mine = li.dataset.clientId === me;
            li.classList.toggle('you', mine);
            li.textContent = li.dataset.clientId.slice(0, 8) + (mine ? ' (you)' : '');
        }
    }

    form.addEventListener('submit', (e) => {
        e.preventDefault();
        if (ws === null || ws.readyState !== WebSocket.OPEN || input.value === '') {
            return;
        }
        ws.send(JSON.stringify({ message: input.value }));
        input.value = '';
    });

    connect();
})();
