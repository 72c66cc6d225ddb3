//! The logging runtime: init/config, formats, redaction and context binding.
