//! rusqlite adapter.
