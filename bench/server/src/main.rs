//! The engine as a stand-alone signals server, for `bench/run.sh`: one Ws endpoint on
//! 127.0.0.1 with auto-upgrade and no signal routes, so every client message takes the
//! native re-broadcast path (envelope parsed, payload fanned out to every Name).
//!
//! Usage: `psws-bench-server --port P [--address A] [--manual /msg]`
//! `--manual PATH` disables auto-upgrade and upgrades GET PATH through a route instead
//! (the engine's manual-upgrade path, Name "Msg"), answered by a host thread.

use std::sync::mpsc;

use psws::{EndpointConfig, Event, Protocol, Server, ServerConfig, Upgrade};

fn main() {
    let mut port = 9001u16;
    let mut address = "127.0.0.1".to_string();
    let mut manual: Option<String> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage(&format!("{arg} needs a value")));
        match arg.as_str() {
            "--port" => port = value().parse().unwrap_or_else(|_| usage("--port needs a number")),
            "--address" => address = value(),
            "--manual" => manual = Some(value()),
            other => usage(&format!("unknown option {other}")),
        }
    }

    let server = Server::new(ServerConfig::default()).unwrap_or_else(|e| fail(&e));
    let endpoint = EndpointConfig::new(Protocol::Ws, address, port).no_auto_upgrade(manual.is_some());
    server.add_endpoint(endpoint).unwrap_or_else(|e| fail(&e));
    let (tx, rx) = mpsc::channel();
    server.set_event_handler(move |event| {
        if let Event::Request(request) = event {
            let _ = tx.send(request);
        }
    });
    if let Some(path) = &manual {
        server.add_route("GET", path, &[]).unwrap_or_else(|e| fail(&e));
    }
    let bound = server.start().unwrap_or_else(|e| fail(&e));
    eprintln!("psws-bench-server listening on {} ({})", bound[0].address, if manual.is_some() { "manual upgrade" } else { "auto-upgrade" });
    // The host side of manual upgrades; idle otherwise.
    for mut request in rx {
        let upgrade = Upgrade { name: "Msg".into(), ..Default::default() };
        if let Err(e) = request.upgrade(upgrade) {
            eprintln!("upgrade failed: {e}");
        }
    }
}

fn usage(problem: &str) -> ! {
    eprintln!("{problem}\nusage: psws-bench-server --port P [--address A] [--manual /msg]");
    std::process::exit(2)
}

fn fail(error: &psws::Error) -> ! {
    eprintln!("psws-bench-server: {error}");
    std::process::exit(1)
}
