//! Pieces every macro shares: argument lists, durations, key templates, the runtime path,
//! error collection and the model of the annotated function.

pub(crate) mod args;
pub(crate) mod duration;
pub(crate) mod errors;
pub(crate) mod naming;
pub(crate) mod signature;
pub(crate) mod stacking;
pub(crate) mod template;

pub(crate) use args::ArgList;
pub(crate) use errors::Errors;
pub(crate) use signature::FnModel;
