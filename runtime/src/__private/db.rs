//! Items the expansions reach for the db side.
