//! Progress of `check` on standard error: a spinner per running stage on a
//! terminal; a line per stage start, stage end and assume attempt when
//! standard error is a log (so a CI log shows where the time goes).
//! Standard output keeps only the report.

use std::collections::HashMap;
use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::model::issuer::seconds;
use crate::stages::{Progress, Stage};

use super::log_line;

/// Spinners on a terminal, lines in a log.
#[derive(Debug)]
pub struct StageProgress {
    started: Instant,
    spinners: Option<Spinners>,
}

#[derive(Debug)]
struct Spinners {
    multi: MultiProgress,
    running: Mutex<HashMap<&'static str, ProgressBar>>,
}

impl StageProgress {
    /// Spinners when `terminal`, else lines.
    pub fn new(terminal: bool) -> StageProgress {
        StageProgress {
            started: Instant::now(),
            spinners: terminal.then(|| Spinners {
                multi: MultiProgress::with_draw_target(ProgressDrawTarget::stderr()),
                running: Mutex::new(HashMap::new()),
            }),
        }
    }

    fn line(&self, text: &str) {
        let stamp = format!("[{:>6}]", seconds(self.started.elapsed()));
        match &self.spinners {
            // Above the spinners, so they keep their place.
            Some(spinners) => {
                let _ = spinners
                    .multi
                    .println(format!("{stamp} {}", log_line(text)));
            }
            None => {
                // A log line is a courtesy: a failed write changes nothing else.
                let _ = writeln!(io::stderr().lock(), "{stamp} {}", log_line(text));
            }
        }
    }
}

impl Progress for StageProgress {
    fn started(&self, stage: &'static str, what: &str) {
        let Some(spinners) = &self.spinners else {
            self.line(&format!("{stage}: {what}"));
            return;
        };
        let mut running = spinners
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(bar) = running.get(stage) {
            bar.set_message(log_line(what));
            return;
        }
        let bar = spinners.multi.add(ProgressBar::new_spinner());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix:<8} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_prefix(stage);
        bar.set_message(log_line(what));
        bar.enable_steady_tick(Duration::from_millis(100));
        running.insert(stage, bar);
    }

    fn update(&self, stage: &'static str, what: &str) {
        // A log gets the stage's start, its end and its events; what a
        // stage is busy with in between would only be noise.
        let Some(spinners) = &self.spinners else {
            return;
        };
        let running = spinners
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(bar) = running.get(stage) {
            bar.set_message(log_line(what));
        } else {
            drop(running);
            self.started(stage, what);
        }
    }

    fn event(&self, stage: &'static str, what: &str) {
        self.line(&format!("{stage}: {what}"));
    }

    fn finished(&self, stage: &Stage) {
        if let Some(spinners) = &self.spinners {
            let bar = spinners
                .running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(stage.name);
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
        }
        self.line(&format!(
            "{}: {} in {}: {}",
            stage.name,
            stage.status.as_str(),
            seconds(stage.duration),
            stage.detail
        ));
    }
}
