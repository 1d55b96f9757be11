//! The ledger shared by a replay's workers, written in groups: each worker renders its
//! record on its own thread and queues it; whichever finds no write under way writes
//! every queued record at once (one lock, one write), and each worker returns once its own
//! record is written, before its entry is removed. Under contention a write serves several
//! workers; alone, a worker writes its own.

use std::io;
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

use super::Ledger;
use super::record::Record;

/// The records waiting, and how far the writes have got.
#[derive(Default)]
struct Queue {
    lines: Vec<Vec<u8>>,
    /// The number of the last record queued (1-based).
    queued: u64,
    /// Every record up to this number is written (or failed).
    written: u64,
    writing: bool,
    /// The numbers of records whose write failed, and why.
    failed: Vec<(u64, u64, String)>,
}

pub struct Group {
    ledger: Mutex<Ledger>,
    max_line: usize,
    queue: Mutex<Queue>,
    done: Condvar,
}

impl Group {
    pub fn new(ledger: Ledger) -> Group {
        Group {
            max_line: ledger.max_line(),
            ledger: Mutex::new(ledger),
            queue: Mutex::new(Queue::default()),
            done: Condvar::new(),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Records `record`, returning once it is written (by this thread or with another's).
    pub fn record(&self, record: &Record) -> io::Result<()> {
        let line = record.render(self.max_line);
        let mut q = self.queue();
        q.lines.push(line);
        q.queued += 1;
        let mine = q.queued;
        loop {
            if q.written >= mine {
                return match q.failed.iter().find(|f| (f.0..=f.1).contains(&mine)) {
                    Some(f) => Err(io::Error::other(f.2.clone())),
                    None => Ok(()),
                };
            }
            if q.writing {
                q = self.done.wait(q).unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            // Nobody writes: this thread writes everything queued, its own record included.
            q.writing = true;
            let lines = std::mem::take(&mut q.lines);
            let (from, to) = (q.written + 1, q.queued);
            drop(q);
            let wrote = self
                .ledger
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .append_lines(&lines);
            q = self.queue();
            if let Err(e) = wrote {
                // The newest few: a waiter looks as soon as it wakes.
                if q.failed.len() >= 64 {
                    q.failed.remove(0);
                }
                q.failed.push((from, to, crate::error::plain_io(&e)));
            }
            q.written = to;
            q.writing = false;
            self.done.notify_all();
        }
    }
}
