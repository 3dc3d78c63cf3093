//! Reading a record's type, id and number straight from its bytes, for the first
//! reading of a journal (see `newest`), which needs no more of it: several times
//! faster than deserializing it. It reads a record exactly as serde_json reads one into
//! those three fields, or gives up and lets serde_json read it. So it takes only the
//! plain shape extramile writes: an object whose names, type and id are ASCII strings
//! without escapes, whose number is absent, null or a plain integer, and whose other
//! values it skips as serde_json skips a value it ignores (checking them).

use crate::model::Type;

/// The record at the start of `bytes` (past white space): its type, id, number and
/// the bytes it took. `None` when it is not of the plain shape, or not whole in `bytes`.
pub fn record(bytes: &[u8]) -> Option<(Type, &str, Option<u64>, usize)> {
    let mut at = Cursor { bytes, at: 0 };
    at.eat(b'{')?;
    let (mut of, mut id, mut num) = (None, None, None);
    let mut more = !at.take(b'}')?;
    while more {
        let name = at.plain()?;
        at.eat(b':')?;
        match name {
            b"type" if of.is_none() => {
                of = Some(match at.plain()? {
                    b"client" => Type::Client,
                    b"person" => Type::Person,
                    b"action" => Type::Action,
                    b"follow-up" => Type::FollowUp,
                    b"deleted" => Type::Deleted,
                    _ => return None,
                });
            }
            b"id" if id.is_none() => id = Some(std::str::from_utf8(at.plain()?).ok()?),
            b"num" if num.is_none() => num = Some(at.num()?),
            // A field given twice is serde_json's to refuse.
            b"type" | b"id" | b"num" => return None,
            _ => at.skip()?,
        }
        more = match at.peek()? {
            b',' => true,
            b'}' => false,
            _ => return None,
        };
        at.at += 1;
    }
    Some((of?, id?, num.flatten(), at.at))
}

/// How deep `skip` follows lists and objects in one another (deeper: serde_json's).
const DEPTH: u32 = 64;

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

/// JSON's punctuation read a byte at a time past white space, by the skim here and by
/// the stream's reading of a line.
pub(super) trait Punctuation {
    /// The next byte past JSON's white space, not taken.
    fn peek(&mut self) -> Option<u8>;

    /// Takes the byte `peek` gave.
    fn step(&mut self);

    /// Takes the next byte past white space if it is `byte`, and says whether it was.
    fn take(&mut self, byte: u8) -> Option<bool> {
        let taken = self.peek()? == byte;
        if taken {
            self.step();
        }
        Some(taken)
    }

    /// Takes the next byte past white space, which must be `byte`.
    fn eat(&mut self, byte: u8) -> Option<()> {
        self.take(byte)?.then_some(())
    }
}

impl Punctuation for Cursor<'_> {
    fn peek(&mut self) -> Option<u8> {
        loop {
            match *self.bytes.get(self.at)? {
                b' ' | b'\n' | b'\t' | b'\r' => self.at += 1,
                byte => return Some(byte),
            }
        }
    }

    fn step(&mut self) {
        self.at += 1;
    }
}

impl<'a> Cursor<'a> {
    /// The next byte, taken if it is one of `bytes`.
    fn next_is(&mut self, bytes: &[u8]) -> bool {
        let is = self.bytes.get(self.at).is_some_and(|b| bytes.contains(b));
        self.at += usize::from(is);
        is
    }

    /// Takes the digits that follow, and says how many.
    fn digits(&mut self) -> usize {
        let from = self.at;
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_digit) {
            self.at += 1;
        }
        self.at - from
    }

    /// A string, as serde_json skips it: its escapes checked, no control character in
    /// it (any other byte goes: serde_json does not check that what it skips is UTF-8).
    /// Its bytes, and whether it has an escape.
    fn string(&mut self) -> Option<(&'a [u8], bool)> {
        self.eat(b'"')?;
        let (from, mut escaped) = (self.at, false);
        loop {
            self.at += special(&self.bytes[self.at..])?;
            match self.bytes[self.at] {
                b'"' => {
                    self.at += 1;
                    return Some((&self.bytes[from..self.at - 1], escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.at += 1;
                    if !self.next_is(b"\"\\/bfnrt") {
                        let hex = self.bytes.get(self.at..self.at + 5)?;
                        if hex[0] != b'u' || !hex[1..].iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        self.at += 5;
                    }
                }
                _ => return None,
            }
        }
    }

    /// A string of ASCII without an escape (nor a control character: see `string`),
    /// as serde_json reads it.
    fn plain(&mut self) -> Option<&'a [u8]> {
        match self.string()? {
            (bytes, false) if bytes.is_ascii() => Some(bytes),
            _ => None,
        }
    }

    /// A number as serde_json skips it: `-`, no leading zero, a fraction and an
    /// exponent each with a digit at least.
    fn number(&mut self) -> Option<()> {
        self.next_is(b"-");
        let (first, digits) = (self.bytes.get(self.at).copied(), self.digits());
        if digits == 0 || (digits > 1 && first == Some(b'0')) {
            return None;
        }
        if self.next_is(b".") && self.digits() == 0 {
            return None;
        }
        if self.next_is(b"eE") {
            self.next_is(b"+-");
            if self.digits() == 0 {
                return None;
            }
        }
        Some(())
    }

    /// A record's number as serde_json reads an `Option<u64>`: null, or an integer
    /// that a `u64` holds (a fraction or an exponent after it is not what follows a
    /// value in an object, so the record is left to serde_json).
    fn num(&mut self) -> Option<Option<u64>> {
        if self.peek()? == b'n' {
            return self.word(b"null").map(|()| None);
        }
        let from = self.at;
        let digits = self.digits();
        let text = &self.bytes[from..self.at];
        // 19 digits always fit; "0" alone, with no other digit after it.
        if digits == 0 || digits > 19 || (digits > 1 && text[0] == b'0') {
            return None;
        }
        let num = text
            .iter()
            .fold(0u64, |num, &digit| num * 10 + u64::from(digit - b'0'));
        Some(Some(num))
    }

    /// `word` (`null`, `true`, `false`), whole.
    fn word(&mut self, word: &[u8]) -> Option<()> {
        let found = self.bytes.get(self.at..self.at + word.len())? == word;
        self.at += word.len();
        found.then_some(())
    }

    /// A value as serde_json skips one it ignores (`IgnoredAny`): checked, not kept.
    fn skip(&mut self) -> Option<()> {
        // A bit for each list or object the value is in, innermost lowest: 1 for an
        // object.
        let (mut objects, mut depth) = (0u64, 0);
        loop {
            match self.peek()? {
                b'"' => drop(self.string()?),
                b'-' | b'0'..=b'9' => self.number()?,
                b'n' => self.word(b"null")?,
                b't' => self.word(b"true")?,
                b'f' => self.word(b"false")?,
                open @ (b'[' | b'{') => {
                    self.at += 1;
                    depth += 1;
                    if depth > DEPTH {
                        return None;
                    }
                    objects = objects << 1 | u64::from(open == b'{');
                    let close = if open == b'{' { b'}' } else { b']' };
                    if !self.take(close)? {
                        if open == b'{' {
                            self.string()?;
                            self.eat(b':')?;
                        }
                        continue;
                    }
                    depth -= 1;
                    objects >>= 1;
                }
                _ => return None,
            }
            // After a value: what it is in closes, or a comma and the next one.
            loop {
                if depth == 0 {
                    return Some(());
                }
                let object = objects & 1 == 1;
                if self.take(b',')? {
                    if object {
                        self.string()?;
                        self.eat(b':')?;
                    }
                    break;
                }
                self.eat(if object { b'}' } else { b']' })?;
                depth -= 1;
                objects >>= 1;
            }
        }
    }
}

/// Where the first `"`, `\` or control character is in `bytes`, found eight bytes at
/// a time: each test sets the top bit of the bytes it finds (and maybe of some after
/// the first, which a borrow reaches; never of one before it).
fn special(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::MAX / 255;
    let found = |word: u64| {
        let (quote, backslash) = (
            word ^ (ONES * u64::from(b'"')),
            word ^ (ONES * u64::from(b'\\')),
        );
        let control = word.wrapping_sub(ONES * 0x20) & !word;
        let quote = quote.wrapping_sub(ONES) & !quote;
        let backslash = backslash.wrapping_sub(ONES) & !backslash;
        (control | quote | backslash) & ONES << 7
    };
    let mut words = bytes.chunks_exact(8);
    for (index, word) in words.by_ref().enumerate() {
        let hits = found(u64::from_le_bytes(word.try_into().ok()?));
        if hits != 0 {
            return Some(index * 8 + hits.trailing_zeros() as usize / 8);
        }
    }
    let rest = words.remainder();
    let at = rest
        .iter()
        .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)?;
    Some(bytes.len() - rest.len() + at)
}

/// JSON text as journals hold it, and as hand edits leave it, for tests.
#[cfg(test)]
pub(super) mod samples {
    use proptest::prelude::*;
    use serde::Deserialize;

    use crate::model::Type;

    /// The three fields `record` reads, as serde_json reads them.
    #[derive(Debug, PartialEq, Deserialize)]
    pub struct Fields {
        #[serde(rename = "type")]
        pub of: Type,
        pub id: String,
        pub num: Option<u64>,
    }

    impl Fields {
        /// What `record` reads of `bytes`, and the bytes it took.
        pub fn skimmed(bytes: &[u8]) -> Option<(Fields, usize)> {
            let (of, id, num, taken) = super::record(bytes)?;
            Some((
                Fields {
                    of,
                    id: id.to_string(),
                    num,
                },
                taken,
            ))
        }
    }

    /// A JSON string: plain text, the characters JSON takes apart, escapes of every
    /// kind, non-ASCII; now and then an escape that is not one, a control character,
    /// or `¤`, which `edited` makes a byte that is not UTF-8.
    pub fn string() -> impl Strategy<Value = String> {
        let part = prop_oneof![
            20 => "[a-z0-9 ]{1,6}",
            20 => prop::sample::select(vec![
                "{", "}", "[", "]", ",", ":", "\\\"", "\\\\", "\\/", "\\n", "\\t", "\\u00e9",
                "\\u00E9", "\\ud83d\\ude00", "é", "€", "\u{1F600}", "\u{7f}",
            ])
            .prop_map(String::from),
            1 => prop::sample::select(vec!["\\u0g00", "\\q", "\\", "\u{1}", "¤"]).prop_map(String::from),
        ];
        prop::collection::vec(part, 0..6).prop_map(|parts| format!("\"{}\"", parts.concat()))
    }

    /// Any JSON value, nested a few deep.
    pub fn value() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            string(),
            "-?(0|[1-9][0-9]{0,20})(\\.[0-9]{1,3})?([eE][+-]?[0-9]{1,3})?",
            prop::sample::select(vec!["null", "true", "false"]).prop_map(String::from),
        ];
        leaf.prop_recursive(4, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|items| format!("[{}]", items.join(","))),
                prop::collection::vec((string(), inner), 0..4).prop_map(|fields| {
                    let fields: Vec<String> =
                        fields.iter().map(|(k, v)| format!("{k}:{v}")).collect();
                    format!("{{{}}}", fields.join(","))
                }),
            ]
        })
    }

    /// A record: mostly a type, an id and a number as extramile writes them, at times
    /// of the wrong kind, escaped or given twice; and other fields, in any order.
    pub fn record() -> impl Strategy<Value = String> {
        let types = vec!["client", "person", "action", "follow-up", "deleted"];
        let of = prop_oneof![
            8 => prop::sample::select(types).prop_map(|t| format!("\"type\":\"{t}\"")),
            1 => prop::sample::select(vec!["Action", "fix", "\\u0061ction"])
                .prop_map(|t| format!("\"type\":\"{t}\"")),
        ];
        let id = prop_oneof![
            4 => "[0-9a-f]{1,31}|[a-z ]{0,8}".prop_map(|id| format!("\"id\":\"{id}\"")),
            1 => string().prop_map(|id| format!("\"id\":{id}")),
        ];
        let num = prop_oneof![
            8 => "[1-9][0-9]{0,20}|0|null".prop_map(|n| format!("\"num\":{n}")),
            1 => "0[0-9]|-1|-0|1\\.5|1e3|\"7\"".prop_map(|n| format!("\"num\":{n}")),
        ];
        let other = (string(), value()).prop_map(|(k, v)| format!("{k}:{v}"));
        let odd = prop::sample::select(vec![
            r#""i\u0064":"x""#,
            r#""type":"client""#,
            r#""id":"b""#,
            r#""num":1"#,
        ])
        .prop_map(String::from);
        let fields = (
            prop::option::weighted(0.95, of),
            prop::option::weighted(0.95, id),
            prop::option::weighted(0.8, num),
            prop::collection::vec(other, 0..4),
            prop::option::weighted(0.1, odd),
        );
        fields
            .prop_flat_map(|(of, id, num, others, odd)| {
                let mut fields: Vec<String> = [of, id, num, odd].into_iter().flatten().collect();
                fields.extend(others);
                Just(fields).prop_shuffle()
            })
            .prop_map(|fields| format!("{{{}}}", fields.join(",")))
    }

    /// How a hand edit may leave JSON: white space added where JSON takes it (and in
    /// strings, which it changes but leaves strings), and at times (`chance`) a byte
    /// changed, taken out or put in, or the text cut short.
    pub fn edit(chance: f64) -> impl Strategy<Value = Edit> {
        let byte = prop::sample::select(b"\"\\{}[],: \t\r0a-.eu\x01\x7f\xff\xc3".to_vec());
        let change = (0u8..4, any::<prop::sample::Index>(), byte);
        (any::<bool>(), prop::option::weighted(chance, change))
    }

    /// Whether white space is added, and how a byte is changed, taken out or put in,
    /// or the text cut short (and where, and which byte).
    pub type Edit = (bool, Option<(u8, prop::sample::Index, u8)>);

    /// `json` as `edit` leaves it.
    pub fn edited(json: &str, (spaced, change): Edit) -> Vec<u8> {
        let json = if spaced {
            json.replace(',', " ,\t")
                .replace(':', ": \r")
                .replace('{', "{ ")
        } else {
            json.to_string()
        };
        let mut bytes = Vec::with_capacity(json.len());
        for c in json.chars() {
            match c {
                '¤' => bytes.push(0xFF),
                c => bytes.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
            }
        }
        if let Some((how, at, byte)) = change {
            let at = at.index(bytes.len() + 1);
            match how {
                0 if at < bytes.len() => bytes[at] = byte,
                1 if at < bytes.len() => drop(bytes.remove(at)),
                2 => bytes.insert(at, byte),
                _ => bytes.truncate(at),
            }
        }
        bytes
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::samples::{Fields, edit, edited, record as any_record};
    use super::*;
    use crate::model::Record;

    fn served(bytes: &[u8]) -> Option<(Fields, usize)> {
        let mut values = serde_json::Deserializer::from_slice(bytes).into_iter::<Fields>();
        let fields = values.next()?.ok()?;
        Some((fields, values.byte_offset()))
    }

    fn skimmed(bytes: &[u8]) -> Option<(Fields, usize)> {
        Fields::skimmed(bytes)
    }

    proptest! {
        #[test]
        fn a_record_is_skimmed_as_serde_json_reads_it_or_left_to_it(
            json in any_record(),
            edit in edit(0.25),
            after in prop::sample::select(vec!["", ",", "]}", ",{\"type\":\"client\"}", " \t"]),
        ) {
            let bytes = edited(&(json + after), edit);
            if let Some(skimmed) = skimmed(&bytes) {
                prop_assert_eq!(served(&bytes), Some(skimmed), "{}", String::from_utf8_lossy(&bytes));
            }
        }
    }

    #[test]
    fn the_records_extramile_writes_are_skimmed() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-11-20T10:00:00+01:00").unwrap();
        let mut records = crate::demo::records(now);
        for record in &mut records {
            if let Record::Action(a) = record {
                a.text = r#"a "quoted" {note} [x], y: \ é 😀"#.into();
                a.tags = vec!["q4".into()];
            }
        }
        records.push(Record::tombstone("0af3", Some(7)));
        records.push(Record::tombstone("c1", None));
        for record in records {
            let json = serde_json::to_string(&record).unwrap() + ",";
            let skimmed = skimmed(json.as_bytes());
            assert!(skimmed.is_some(), "{json}");
            assert_eq!(skimmed, served(json.as_bytes()), "{json}");
        }
    }

    #[test]
    fn what_is_nested_deeper_than_it_follows_is_left_to_serde_json() {
        for depth in [DEPTH, DEPTH + 1] {
            let deep = "[".repeat(depth as usize) + &"]".repeat(depth as usize);
            let json = format!(r#"{{"type":"client","x":{deep},"id":"c1"}}"#);
            assert!(served(json.as_bytes()).is_some());
            assert_eq!(
                skimmed(json.as_bytes()).is_some(),
                depth <= DEPTH,
                "{depth}"
            );
        }
    }
}
