//! A tmux server of the test's own, to use `vmmon top` as a person does in a real terminal
//! (Debian's tmux package, which `cargo xtask test` installs).

use crate::agent::vmmon_bin;
use std::process::Command;
use std::time::Duration;

/// A tmux server of its own (its own socket), killed at the end.
pub struct Tmux {
    socket: String,
}

impl Tmux {
    pub fn new() -> Self {
        let socket = format!("vmmon-top-test-{}", std::process::id());
        Self { socket }
    }

    fn cmd(&self) -> Command {
        let mut c = Command::new("tmux");
        c.args(["-L", &self.socket]);
        c
    }

    pub fn run(&self, args: &[&str]) -> String {
        let out = self
            .cmd()
            .args(args)
            .output()
            .expect("tmux is missing: `cargo xtask test` installs it (apt-get install tmux)");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn capture(&self, session: &str) -> String {
        self.run(&["capture-pane", "-p", "-t", session])
    }

    pub fn display(&self, session: &str, format: &str) -> String {
        self.run(&["display", "-p", "-t", session, format])
            .trim()
            .to_string()
    }

    /// Starts `vmmon top ARGS` in a new 100x30 session; when it exits, the shell prints its
    /// status and the terminal's modes, then waits.
    pub fn start_top(&self, session: &str, args: &str) {
        let script = format!(
            "{} top {args}; echo TOP-EXITED rc=$?; echo MODES: $(stty -a | tr ' ;' '\\n\\n' | grep -E '^-?(icanon|echo)$') END; sleep 600",
            vmmon_bin().display()
        );
        self.run(&[
            "new-session",
            "-d",
            "-s",
            session,
            "-x",
            "100",
            "-y",
            "30",
            "sh",
            "-c",
            &script,
        ]);
    }

    /// Waits for top to have exited with `rc`, and checks that it gave the terminal back:
    /// cooked mode with echo, the main screen, the cursor shown.
    pub fn assert_exited_and_restored(&self, session: &str, rc: i32) {
        let screen = self.wait_for(session, "top exits", Duration::from_secs(10), |s| {
            s.contains("TOP-EXITED") && s.contains("END")
        });
        assert!(screen.contains(&format!("TOP-EXITED rc={rc}")), "{screen}");
        let modes = screen.lines().find(|l| l.contains("MODES:")).unwrap_or("");
        assert!(
            modes.contains("icanon") && !modes.contains("-icanon"),
            "raw mode left on: {modes:?}"
        );
        assert!(
            modes.contains("echo") && !modes.contains("-echo"),
            "echo left off: {modes:?}"
        );
        assert_eq!(
            self.display(session, "#{alternate_on}"),
            "0",
            "the alternate screen was left"
        );
        assert_eq!(
            self.display(session, "#{cursor_flag}"),
            "1",
            "the cursor is shown again"
        );
        assert!(
            !screen.contains("COMMAND"),
            "the view's screen is gone: {screen}"
        );
    }

    /// Polls the pane until `f` accepts it; fails with the last capture.
    pub fn wait_for(
        &self,
        session: &str,
        what: &str,
        limit: Duration,
        f: impl Fn(&str) -> bool,
    ) -> String {
        let mut last = String::new();
        let start = std::time::Instant::now();
        while start.elapsed() < limit {
            last = self.capture(session);
            if f(&last) {
                return last;
            }
            std::thread::sleep(Duration::from_millis(250));
        }
        panic!("{what}: not within {limit:?}; the pane shows:\n{last}");
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd().arg("kill-server").output();
    }
}

impl Default for Tmux {
    fn default() -> Self {
        Self::new()
    }
}
