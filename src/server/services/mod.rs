//! What the server functions call once they have checked who calls and parsed the input: one
//! function per use case, over the store, mail and the other server parts. A server function
//! that only reads or writes one store record calls the store itself.

pub mod accounts;
pub mod admin;
pub mod agenda;
pub mod appointments;
pub mod booking;
pub mod extra;
pub mod indicators;
pub mod participation;
pub mod search;
