//! Readers for recorded traces, so published traces can be replayed: the ARC `.lis`
//! format (the S3, DS1, OLTP, P1–P14 traces) and plain text with one key per line.

use std::collections::HashMap;
use std::io::{self, BufRead};

/// How a trace file is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// ARC traces: `start_block block_count ignored request_number` per line; a line
    /// requests blocks `start_block .. start_block + block_count`.
    Lis,
    /// One key per line (any text; equal lines are the same key).
    Lines,
}

impl Format {
    /// `lis` or `lines`.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "lis" => Some(Self::Lis),
            "lines" => Some(Self::Lines),
            _ => None,
        }
    }
}

/// Reads at most `limit` requests from `input`.
pub fn read(input: impl BufRead, format: Format, limit: usize) -> io::Result<Vec<u64>> {
    let mut keys = Vec::new();
    let mut ids: HashMap<String, u64> = HashMap::new();
    for (n, line) in input.lines().enumerate() {
        if keys.len() >= limit {
            break;
        }
        let line = line?;
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match format {
            Format::Lis => {
                let (start, count) = lis_line(line).ok_or_else(|| {
                    io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("line {}: expected `start count …`: {line}", n + 1),
                    )
                })?;
                let room = (limit - keys.len()) as u64;
                keys.extend(start..start + count.min(room));
            }
            Format::Lines => {
                let next = ids.len() as u64;
                keys.push(*ids.entry(line.to_owned()).or_insert(next));
            }
        }
    }
    Ok(keys)
}

fn lis_line(line: &str) -> Option<(u64, u64)> {
    let mut fields = line.split_whitespace();
    let start = fields.next()?.parse().ok()?;
    let count = fields.next()?.parse().ok()?;
    Some((start, count))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lis_lines_expand_to_their_blocks() {
        let text = "100 3 0 0\n7 1 0 1\n\n100 2 0 2\n";
        let keys = read(text.as_bytes(), Format::Lis, usize::MAX).unwrap();
        assert_eq!(keys, [100, 101, 102, 7, 100, 101]);
        let capped = read(text.as_bytes(), Format::Lis, 2).unwrap();
        assert_eq!(capped, [100, 101]);
        assert!(read("x y".as_bytes(), Format::Lis, 10).is_err());
    }

    #[test]
    fn equal_lines_are_one_key() {
        let keys = read("a\nb\na\n c \nc\n".as_bytes(), Format::Lines, usize::MAX).unwrap();
        assert_eq!(keys, [0, 1, 0, 2, 2]);
    }
}
