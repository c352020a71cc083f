//! Shared helpers for the line-oriented spec files: a reader that strips
//! comments and splits lines into tokens (keeping `"quoted strings"` whole),
//! and the error type that names the spec line.
use std::fmt;

/// A mistake in a spec file, reported as `file:LINE: message`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub line: usize,
    pub message: String,
}

impl SpecError {
    pub fn new(line: usize, message: impl Into<String>) -> Self {
        SpecError { line, message: message.into() }
    }

    /// Renders the error with the spec file's name, as a `compile_error!` shows it.
    pub fn render(&self, file: &str) -> String {
        format!("{file}:{}: {}", self.line, self.message)
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// One token of a spec line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    Word(String),
    Quoted(String),
}

impl Token {
    pub fn as_word(&self) -> Option<&str> {
        match self {
            Token::Word(w) => Some(w),
            Token::Quoted(_) => None,
        }
    }
}

/// A non-empty spec line (1-based number) split into tokens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Line {
    pub number: usize,
    pub tokens: Vec<Token>,
}

/// Splits `src` into lines of tokens. `#` starts a comment outside quotes;
/// blank lines are dropped. An unterminated quote is an error.
pub fn read_lines(src: &str) -> Result<Vec<Line>, SpecError> {
    let mut lines = Vec::new();
    for (i, text) in src.lines().enumerate() {
        let number = i + 1;
        let mut tokens = Vec::new();
        let mut chars = text.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '#' {
                break;
            } else if c == '"' {
                chars.next();
                let mut s = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(ch) => s.push(ch),
                        None => return Err(SpecError::new(number, "unterminated quoted string")),
                    }
                }
                tokens.push(Token::Quoted(s));
            } else {
                let mut s = String::new();
                while let Some(&ch) = chars.peek() {
                    if ch.is_whitespace() || ch == '"' || ch == '#' {
                        break;
                    }
                    s.push(ch);
                    chars.next();
                }
                tokens.push(Token::Word(s));
            }
        }
        if !tokens.is_empty() {
            lines.push(Line { number, tokens });
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_quotes_and_comments() {
        let lines = read_lines("# head\n\nfoo 01.- \"a b, c\" # tail\n").unwrap();
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].number, 3);
        assert_eq!(
            lines[0].tokens,
            vec![
                Token::Word("foo".into()),
                Token::Word("01.-".into()),
                Token::Quoted("a b, c".into())
            ]
        );
    }

    #[test]
    fn unterminated_quote_names_line() {
        assert_eq!(read_lines("x\n\"abc").unwrap_err().line, 2);
    }
}
