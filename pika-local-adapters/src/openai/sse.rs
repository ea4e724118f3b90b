//! A decoder of server-sent events: bytes in, the `data` of each complete
//! event out. Handles events and lines split across network chunks, UTF-8
//! characters split across chunks, `\n` and `\r\n` line ends, comments and
//! fields other than `data`.

/// Splits an SSE byte stream into the data payloads of its events.
#[derive(Debug, Default)]
pub(super) struct SseDecoder {
    /// Bytes of the line not finished yet.
    partial: Vec<u8>,
    /// The `data` of the event being read (lines joined with `\n`).
    data: Option<String>,
}

impl SseDecoder {
    /// Feeds `bytes`; returns the payloads of the events they complete.
    pub(super) fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = bytes;
        while let Some(pos) = rest.iter().position(|b| *b == b'\n') {
            let (line, tail) = rest.split_at(pos);
            rest = tail.get(1..).unwrap_or_default();
            if self.partial.is_empty() {
                self.line(line, &mut out);
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(line);
                self.line(&whole, &mut out);
            }
        }
        self.partial.extend_from_slice(rest);
        out
    }

    /// The end of the stream: a last line without its newline, and an event
    /// without its blank line, still count.
    pub(super) fn finish(&mut self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.line(&last, &mut out);
        }
        self.line(b"", &mut out);
        out
    }

    fn line(&mut self, line: &[u8], out: &mut Vec<String>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            if let Some(data) = self.data.take() {
                out.push(data);
            }
            return;
        }
        if line.first() == Some(&b':') {
            return; // a comment, e.g. a keep-alive
        }
        let (field, value) = match line.iter().position(|b| *b == b':') {
            Some(colon) => {
                let (field, value) = line.split_at(colon);
                let value = value.get(1..).unwrap_or_default();
                (field, value.strip_prefix(b" ").unwrap_or(value))
            }
            None => (line, &b""[..]),
        };
        if field != b"data" {
            return; // event, id, retry: nothing we need
        }
        let value = String::from_utf8_lossy(value);
        match &mut self.data {
            Some(data) => {
                data.push('\n');
                data.push_str(&value);
            }
            None => self.data = Some(value.into_owned()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode_in_pieces(input: &str, piece: usize) -> Vec<String> {
        let mut decoder = SseDecoder::default();
        let mut out = Vec::new();
        for chunk in input.as_bytes().chunks(piece) {
            out.extend(decoder.push(chunk));
        }
        out.extend(decoder.finish());
        out
    }

    #[test]
    fn events_come_out_whole_however_the_bytes_are_split() {
        let input = ": keep-alive\r\n\r\ndata: {\"a\":\"é\"}\r\n\r\nevent: x\ndata:{\"b\":2}\n\ndata: [DONE]\n\n";
        for piece in 1..=input.len() {
            assert_eq!(
                decode_in_pieces(input, piece),
                vec!["{\"a\":\"é\"}", "{\"b\":2}", "[DONE]"],
                "piece size {piece}"
            );
        }
    }

    #[test]
    fn multi_line_data_is_joined_and_a_last_event_without_blank_line_counts() {
        assert_eq!(
            decode_in_pieces("data: one\ndata: two\n\ndata: last", 3),
            vec!["one\ntwo", "last"]
        );
    }

    #[test]
    fn blank_lines_alone_make_no_events() {
        assert!(decode_in_pieces("\n\n\r\n: c\n\n", 2).is_empty());
    }
}
