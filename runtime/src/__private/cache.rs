//! Items the expansions reach for the cache side.
