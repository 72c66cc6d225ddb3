//! Database query events: statement sanitising, the `db.query` span and adapters.
