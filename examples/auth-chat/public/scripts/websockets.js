// The authenticated chat page: a WebSocket to /msg (the browser sends the session cookie with the
// upgrade, so only a logged-in page gets one), a form that broadcasts { message }, and a button that
// opens a short-lived Local connection to /local. Plain DOM API, no library, nothing from outside.
(() => {
    'use strict';

    const base = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`;
    const form = document.getElementById('bc-form');
    const input = document.getElementById('bc-message');
    const messages = document.getElementById('messages');
    const status = document.getElementById('status');

    function show(text) {
        const p = document.createElement('p');
        p.textContent = text;
        messages.appendChild(p);
    }

    function receive(evt) {
        try {
            const data = JSON.parse(evt.data);
            show(typeof data.message === 'string' ? data.message : JSON.stringify(data));
        } catch {
            show(evt.data);
        }
    }

    function setStatus(state, text) {
        status.dataset.state = state;
        status.textContent = text;
    }

    const ws = new WebSocket(`${base}/msg`);
    ws.onopen = () => setStatus('connected', 'connected');
    ws.onmessage = receive;
    ws.onclose = (evt) => setStatus('closed', `closed (${evt.code})`);

    form.addEventListener('submit', (evt) => {
        evt.preventDefault();
        if (ws.readyState === WebSocket.OPEN && input.value !== '') {
            ws.send(JSON.stringify({ message: input.value }));
            input.value = '';
        }
    });

    document.getElementById('local').addEventListener('click', () => {
        const local = new WebSocket(`${base}/local`);
        local.onmessage = receive;
    });
})();
