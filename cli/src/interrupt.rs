//! Ctrl-C during a fleet run (`--targets`): the first one (or a SIGTERM) sets a flag that stops
//! new targets from starting and running ones after their revision; a second one quits at once.
//!
//! The signals are caught by tokio's handler on a thread of its own (no `unsafe` here), and
//! only once a fleet run starts: other commands keep the default, which ends the process.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

static STOP: AtomicBool = AtomicBool::new(false);
static LISTEN: Once = Once::new();

/// The flag the first Ctrl-C sets, with the listener started on first use. Where no listener
/// can be started, the flag is never set and Ctrl-C ends the process as usual.
pub fn stop_flag() -> &'static AtomicBool {
    LISTEN.call_once(listen);
    &STOP
}

#[cfg(unix)]
fn listen() {
    use tokio::signal::unix::{signal, SignalKind};
    let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
    else {
        return;
    };
    // The handlers are registered before this returns, so a signal that arrives once the
    // fleet starts is caught.
    let handlers = runtime.block_on(async {
        Some((
            signal(SignalKind::interrupt()).ok()?,
            signal(SignalKind::terminate()).ok()?,
        ))
    });
    let Some((mut interrupt, mut terminate)) = handlers else {
        return;
    };
    // Without the thread the signals stay caught and unread: the flag is never set, and the
    // run goes to its end.
    let _ = std::thread::Builder::new()
        .name("aludel-ctrl-c".to_string())
        .spawn(move || {
            runtime.block_on(async {
                loop {
                    tokio::select! {
                        _ = interrupt.recv() => {}
                        _ = terminate.recv() => {}
                    }
                    if STOP.swap(true, Ordering::SeqCst) {
                        eprintln!("\nstopped at once: a revision that was running is rolled back where its database can (PostgreSQL, SQLite; MySQL commits DDL as it runs)");
                        std::process::exit(130);
                    }
                    eprintln!("\nstopping: no new target starts, and running ones stop after their current revision (Ctrl-C again to quit at once)");
                }
            });
        });
}

#[cfg(not(unix))]
fn listen() {}
