//! Numbered records from several threads (each thread's numbered from 0), checked to arrive
//! each once and in order.

use std::fmt::Display;

/// The record due next from each of several threads.
#[derive(Clone, Debug)]
pub struct InOrder {
    next: Vec<usize>,
}

impl InOrder {
    /// Nothing taken yet from any of `threads` threads.
    pub fn new(threads: usize) -> InOrder {
        InOrder {
            next: vec![0; threads],
        }
    }

    /// One thread whose next record due is `first`.
    pub fn starting_at(first: usize) -> InOrder {
        InOrder { next: vec![first] }
    }

    /// Takes record `i` of thread `t`; panics, naming `context`, unless it is the one due (a
    /// record was lost, duplicated or reordered).
    pub fn take(&mut self, t: usize, i: usize, context: impl Display) {
        let due = self.next[t];
        assert_eq!(
            i, due,
            "{context}: thread {t}: record {i} where {due} was due (lost, duplicated or reordered)"
        );
        self.next[t] += 1;
    }

    /// How many records of each thread were taken.
    pub fn counts(&self) -> &[usize] {
        &self.next
    }
}
