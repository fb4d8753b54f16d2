//! Vertical slices: each holds its pages and the server functions they call.

pub mod accounts;
pub mod admin;
pub mod agenda;
pub mod booking;
pub mod extra;
pub mod help;
pub mod indicators;
pub mod search;
