//! Live progress: a bar redrawn in place when standard output is a terminal, and otherwise one
//! plain line per change, so that logs and scripts get a record free of control sequences.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

pub struct Progress {
    /// Drawn on a terminal; made at the first step, so it never shows an empty `0/0`.
    terminal: bool,
    bar: Option<ProgressBar>,
    /// With `--output json` standard output is for the answer alone.
    quiet: bool,
    last: String,
}

/// What a watcher knows at one moment: a line that says it, and how far along it is.
pub struct Step {
    pub line: String,
    pub done: u64,
    pub total: u64,
}

impl Progress {
    pub fn for_output(out: crate::Output) -> Self {
        let json = out == crate::Output::Json;
        Self {
            terminal: !json && std::io::stdout().is_terminal(),
            bar: None,
            quiet: json,
            last: String::new(),
        }
    }

    fn draw(&mut self, step: &Step) -> Option<&ProgressBar> {
        if !self.terminal {
            return None;
        }
        let b = self.bar.get_or_insert_with(|| {
            let b = ProgressBar::with_draw_target(Some(step.total), ProgressDrawTarget::stdout());
            b.set_style(
                // wide_msg is cut to the terminal's width: a line that wrapped would be redrawn as two.
                ProgressStyle::with_template("{spinner} [{bar:24}] {pos}/{len} {wide_msg}")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            b.enable_steady_tick(Duration::from_millis(100));
            b
        });
        b.set_length(step.total);
        b.set_position(step.done.min(step.total));
        b.set_message(step.line.clone());
        Some(b)
    }

    /// Shows `step`; without a terminal, prints its line only if it differs from the last one.
    pub fn show(&mut self, step: &Step) {
        if self.draw(step).is_none() && !self.quiet && step.line != self.last {
            println!("{}", step.line);
        }
        self.last.clone_from(&step.line);
    }

    /// The last state: left drawn on a terminal, printed as a line otherwise.
    pub fn finish(&mut self, step: &Step) {
        if let Some(b) = self.draw(step) {
            b.finish();
            // indicatif leaves the cursor on the bar's line; what follows goes below it.
            println!();
            self.bar = None;
        } else if !self.quiet && step.line != self.last {
            println!("{}", step.line);
        }
        self.last.clone_from(&step.line);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        // An error ended the watch early: leave the bar where it stands, the error below it.
        if let Some(b) = self.bar.take() {
            b.abandon();
            println!();
        }
    }
}
