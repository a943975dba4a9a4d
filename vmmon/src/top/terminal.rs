//! The real terminal: raw mode and the alternate screen for the session, always given back
//! (on quit, on error, on panic, on SIGTERM/SIGHUP), redrawn on resize; keys in, a sample
//! from the source at each refresh.

use super::app::{Action, App, Link, Mode};
use super::source::{Source, SourceError, now_s};
use super::users::Users;
use super::view;
use crate::client::ClientError;
use crate::view::merge_adjacent;
use ratatui::DefaultTerminal;
use ratatui::crossterm::event::{self, Event};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// Takes a sample (and the open process's regions and events) into `app`, or notes why not.
pub fn refresh(app: &mut App, source: &mut dyn Source, users: &Users) {
    let now = now_s();
    app.now_s = now;
    match source.sample() {
        Ok(s) => app.update(s, &mut |uid| users.name(uid)),
        Err(e) => {
            app.failed(e.to_string(), now);
            return;
        }
    }
    refresh_detail(app, source);
    refresh_exits(app, source);
}

/// Fetches the recent exits, when they are on screen.
pub fn refresh_exits(app: &mut App, source: &mut dyn Source) {
    let Mode::Exits(x) = &mut app.mode else {
        return;
    };
    match source.exits() {
        Ok(list) => {
            x.scroll = x.scroll.min(list.len().saturating_sub(1));
            x.list = list;
        }
        Err(e) => app.failed(e.to_string(), now_s()),
    }
}

/// Fetches the open process's regions and new events.
pub fn refresh_detail(app: &mut App, source: &mut dyn Source) {
    let Mode::Detail(d) = &mut app.mode else {
        return;
    };
    match source.maps(d.pid) {
        Ok(Some(regions)) => d.regions = merge_adjacent(regions),
        Ok(None) => d.gone = true,
        Err(SourceError::Agent(ClientError::Forbidden { message, .. })) => {
            d.withheld = Some(message);
            return;
        }
        Err(e) => {
            app.failed(e.to_string(), now_s());
            return;
        }
    }
    // A failure to name call sites leaves the events to come.
    let sites = source.sites(d.pid);
    if let Ok(Some(s)) = &sites {
        d.sites = Some(s.clone());
    }
    match source.events(d.pid, d.next) {
        Ok(v) => d.add_events(v.next, v.missed, v.events),
        Err(e) => app.failed(e.to_string(), now_s()),
    }
    if let Err(e) = sites {
        app.failed(e.to_string(), now_s());
    }
}

/// What went wrong with the terminal, and while doing what.
#[derive(Debug, thiserror::Error)]
#[error("{doing}: {source}")]
pub struct TerminalError {
    doing: &'static str,
    source: std::io::Error,
}

trait Doing<T> {
    fn doing(self, doing: &'static str) -> Result<T, TerminalError>;
}

impl<T> Doing<T> for std::io::Result<T> {
    fn doing(self, doing: &'static str) -> Result<T, TerminalError> {
        self.map_err(|source| TerminalError { doing, source })
    }
}

/// Runs the live view until the user quits or a signal asks it to stop.
/// Standard input and output must be a terminal (the command checks that first).
pub fn run(mut app: App, source: &mut dyn Source, users: &Users) -> Result<(), TerminalError> {
    use std::io::IsTerminal as _;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [
        signal_hook::consts::SIGTERM,
        signal_hook::consts::SIGHUP,
        signal_hook::consts::SIGINT,
    ] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).doing("installing signal handlers")?;
    }
    // Log lines on the terminal would tear the view: while it is up, they go only where
    // stderr was redirected (`2>file`).
    let log_level = log::max_level();
    if std::io::stderr().is_terminal() {
        log::set_max_level(log::LevelFilter::Off);
    }
    watchdog(Arc::clone(&stop));
    // Installs a panic hook that restores the terminal before the panic message.
    let terminal = ratatui::try_init();
    let result = match terminal {
        Ok(mut t) => session(&mut t, &mut app, source, users, &stop),
        Err(e) => Err(e).doing("setting up the terminal"),
    };
    restore();
    log::set_max_level(log_level);
    result
}

/// Exits the process a second after a stop was asked for, should the loop be stuck: crossterm's
/// reader spins on a terminal that has hung up instead of returning.
fn watchdog(stop: Arc<AtomicBool>) {
    let _ = std::thread::Builder::new()
        .name("vmmon-top-watchdog".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
            }
            std::thread::sleep(Duration::from_secs(1));
            restore();
            std::process::exit(0);
        });
}

/// Whether the terminal on standard input has hung up (its window closed, its tmux session
/// killed): reading it would only give end-of-file.
fn hung_up() -> bool {
    let mut fds = libc::pollfd {
        fd: libc::STDIN_FILENO,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one valid pollfd, no wait.
    let n = unsafe { libc::poll(&mut fds, 1, 0) };
    n > 0 && fds.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0
}

/// Leaves raw mode and the alternate screen, and shows the cursor.
pub fn restore() {
    ratatui::restore();
    let _ = ratatui::crossterm::execute!(std::io::stdout(), ratatui::crossterm::cursor::Show);
}

fn session(
    terminal: &mut DefaultTerminal,
    app: &mut App,
    source: &mut dyn Source,
    users: &Users,
    stop: &AtomicBool,
) -> Result<(), TerminalError> {
    let interval = Duration::from_secs_f64(app.interval_s);
    let mut next = Instant::now();
    loop {
        if stop.load(Ordering::Relaxed) || hung_up() {
            return Ok(());
        }
        if Instant::now() >= next {
            // Paused: nothing new is fetched, but a dead agent is still retried.
            if !app.paused || matches!(app.link, Link::Down { .. }) {
                refresh(app, source, users);
            }
            next = Instant::now() + interval;
        }
        app.now_s = now_s();
        terminal
            .draw(|f| view::draw(f, app))
            .doing("drawing the view")?;
        let wait = next
            .saturating_duration_since(Instant::now())
            .min(Duration::from_millis(250));
        if !event::poll(wait).doing("reading the terminal")? {
            continue;
        }
        match event::read().doing("reading the terminal")? {
            Event::Key(k) => match app.key(k) {
                Action::Quit => return Ok(()),
                Action::OpenDetail(_) => refresh_detail(app, source),
                Action::OpenExits => refresh_exits(app, source),
                Action::None => {}
            },
            // The next draw takes the new size.
            Event::Resize(..) => terminal.autoresize().doing("resizing")?,
            _ => {}
        }
    }
}
