//! The server's clock as the browser reads it (holds' countdowns, "today" in forms).

use leptos::prelude::*;

/// The server's current time as read here: this machine's clock shifted by the gap measured when
/// the server's last answer arrived. The server's clock is authoritative: the browser's may be
/// wrong, and in tests the server's runs from `SAS_NOW`.
#[derive(Clone, Copy)]
pub struct ServerClock(StoredValue<i64>);

impl ServerClock {
    pub fn new(server_now: i64) -> Self {
        Self(StoredValue::new(
            server_now - chrono::Utc::now().timestamp(),
        ))
    }

    /// Measures the gap again from an answer that just arrived.
    pub fn sync(self, server_now: i64) {
        self.0
            .set_value(server_now - chrono::Utc::now().timestamp());
    }

    /// The server's time now (Unix seconds).
    pub fn now(self) -> i64 {
        chrono::Utc::now().timestamp() + self.0.get_value()
    }
}
