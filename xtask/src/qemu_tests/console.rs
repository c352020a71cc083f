//! Reading one guest port's output back out of the console transcript.
//!
//! The hypervisor writes an unbound port's output as whole lines prefixed
//! with its name (`[guest0] hello`, `[guest0]` for an empty line), which
//! may land inside the raw output of the port the console is bound to.
//! While the console is bound to a port (`vserial bind`), that port's bytes
//! come raw, unprefixed, the partial line it had first; other ports' lines
//! still come whole among them.

/// The line mterm writes as it binds the console to `name`.
fn bound_line(name: &str) -> String {
    format!("[mterm] console bound to {name}; Ctrl-] returns\n")
}

/// What mterm writes as the console comes back (Ctrl-]).
const BACK: &str = "\n[mterm] console back to mterm\n";

/// What port `name` sent, as lines (without prefixes or `\r`): its
/// prefixed lines, and its raw output while the console was bound to it
/// less the lines other ports wrote meanwhile. A line that binding or
/// unbinding split is whole again.
pub fn guest_lines(output: &str, name: &str) -> String {
    let bound = bound_line(name);
    let mut stream = String::new();
    let mut rest = output;
    while !rest.is_empty() {
        let (attributed, window) = rest.split_once(bound.as_str()).unwrap_or((rest, ""));
        push_prefixed_lines(&mut stream, attributed, name);
        let (raw, after) = window.split_once(BACK).unwrap_or((window, ""));
        push_without_port_lines(&mut stream, raw);
        rest = after;
    }
    let mut stream = stream.replace('\r', "");
    if !stream.is_empty() && !stream.ends_with('\n') {
        stream.push('\n');
    }
    stream
}

/// Appends the texts of `name`'s prefixed lines in `text`, wherever they
/// start.
fn push_prefixed_lines(stream: &mut String, text: &str, name: &str) {
    let tag = format!("[{name}]");
    let mut rest = text;
    while let Some(at) = rest.find(&tag) {
        let after = &rest[at + tag.len()..];
        let (line, next) = after.split_once('\n').unwrap_or((after, ""));
        if let Some(content) = line.strip_prefix(' ') {
            stream.push_str(content);
            stream.push('\n');
        } else if line.is_empty() {
            stream.push('\n');
        }
        rest = next;
    }
}

/// Appends `raw` less the prefixed lines of ports in it.
fn push_without_port_lines(stream: &mut String, raw: &str) {
    let mut rest = raw;
    while let Some(at) = rest.find('[') {
        stream.push_str(&rest[..at]);
        match port_line_len(&rest[at..]) {
            Some(len) => rest = &rest[at + len..],
            None => {
                stream.push('[');
                rest = &rest[at + 1..];
            }
        }
    }
    stream.push_str(rest);
}

/// The length of a port's line (`[name] text\n` or `[name]\n`, the name a
/// letter then letters, digits, `_` or `-`) at the start of `text`.
fn port_line_len(text: &str) -> Option<usize> {
    let close = text.find(']')?;
    let name = &text[1..close];
    let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let after = &text[close + 1..];
    if !is_name || !(after.starts_with(' ') || after.starts_with('\n')) {
        return None;
    }
    Some(close + 1 + after.find('\n')? + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_lines_are_found_wherever_they_start() {
        let output = "boot\n[guest0] one\n[guest1] x\n[guest0]\nlinux says [guest0] two\n[guest00] no\n";
        assert_eq!(guest_lines(output, "guest0"), "one\n\ntwo\n");
        assert_eq!(guest_lines(output, "guest1"), "x\n");
    }

    #[test]
    fn a_bound_window_is_joined_in_and_other_ports_left_out() {
        // guest1 had written "P" when the console was bound to it; its line
        // went on raw, guest0 wrote a line meanwhile, and the rest of the
        // line came after Ctrl-].
        let output = "[guest1] first\n[mterm] console bound to guest1; Ctrl-] returns\n\
                      PA[guest0] other\nS\r\n\x1b[1m[1] 7\n\n[mterm] console back to mterm\nmterm> [guest1] S two\n";
        assert_eq!(guest_lines(output, "guest1"), "first\nPAS\n\x1b[1m[1] 7\nS two\n");
        assert_eq!(guest_lines(output, "guest0"), "other\n");
        let split = "[guest1] P\n[mterm] console bound to guest1; Ctrl-] returns\nAS\n[mterm] console back to mterm\n[guest1] S\n";
        assert_eq!(guest_lines(split, "guest1"), "P\nASS\n", "a raw window that ends mid-line");
        let open = "[mterm] console bound to guest1; Ctrl-] returns\nPASS x";
        assert_eq!(guest_lines(open, "guest1"), "PASS x\n", "bound to the end");
    }
}
