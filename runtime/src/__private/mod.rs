//! What generated code calls. Not public API: it changes without notice; the macro
//! crate is pinned to this exact runtime version.

mod blocking;
mod cache;
mod db;
mod invalidates;
mod perf;

pub use blocking::*;
pub use cache::*;
pub use db::*;
pub use invalidates::*;
pub use perf::*;
