//! Pieces every macro shares: argument lists, durations, key templates, the runtime path,
//! error collection and the model of the annotated function.

pub mod args;
pub mod duration;
pub mod errors;
pub mod naming;
pub mod signature;
pub mod stacking;
pub mod template;

pub use args::ArgList;
pub use errors::Errors;
pub use signature::FnModel;
