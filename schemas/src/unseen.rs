//! Characters that change how text shows without showing themselves: the bidirectional controls,
//! which reorder what follows them (`YS-2026-\u{202e}4321\u{202c}` shows as `YS-2026-1234`), and
//! the other invisible format and control characters (a zero-width space, a soft hyphen, a
//! byte order mark, a line break). One definition, used wherever text is judged or shown:
//!
//! - an identifier (受理编号, 决定文书编号, 证照编号, 快递单号, a code) holding one is refused
//!   (`gateway::domain::decide`): the number a reader copies from a page would find nothing;
//! - names and free-text reasons may hold bidi controls (Uyghur in Arabic script, a Hebrew
//!   quotation), so they are taken, and the pages isolate every text they show;
//! - the offline tools' text output escapes them, as JSON does (`replay::printable`).

/// Unicode's explicit bidirectional formatting characters (UAX #9 §2): ALM (U+061C), LRM and
/// RLM (U+200E, U+200F), the embeddings and overrides LRE, RLE, PDF, LRO, RLO
/// (U+202A–U+202E), and the isolates LRI, RLI, FSI, PDI (U+2066–U+2069).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// The bidi controls as a message lists them.
pub const BIDI_CONTROLS: &str = "U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069";

/// Whether `c` is invisible and no letter of any script: a bidi control ([`is_bidi_control`]),
/// another format character that shows nothing (soft hyphen U+00AD, combining grapheme joiner
/// U+034F, Hangul fillers U+115F, U+1160, U+3164, U+FFA0, Khmer inherent vowels U+17B4,
/// U+17B5, Mongolian variation selectors and vowel separator U+180B–U+180F, zero-width space,
/// non-joiner and joiner U+200B–U+200D, word joiner and invisible operators U+2060–U+2064, the
/// deprecated format characters U+206A–U+206F, variation selectors U+FE00–U+FE0F and
/// U+E0100–U+E01EF, the byte order mark U+FEFF, interlinear annotation U+FFF9–U+FFFB, shorthand
/// format controls U+1BCA0–U+1BCA3, musical formatting U+1D173–U+1D17A, tags
/// U+E0000–U+E007F: Unicode's default-ignorable code points that are no letter), or a C0 or C1
/// control (a line break, a tab, an escape).
pub fn is_invisible(c: char) -> bool {
    is_bidi_control(c)
        || c.is_control()
        || matches!(
            c,
            '\u{00ad}'
                | '\u{034f}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200d}'
                | '\u{2060}'..='\u{2064}'
                | '\u{206a}'..='\u{206f}'
                | '\u{3164}'
                | '\u{fe00}'..='\u{fe0f}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff9}'..='\u{fffb}'
                | '\u{1bca0}'..='\u{1bca3}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e007f}'
                | '\u{e0100}'..='\u{e01ef}'
        )
}

/// `c` as a message names it: its code point, and its name for a bidi control
/// (`U+202E RIGHT-TO-LEFT OVERRIDE`). Never the text it was found in.
pub fn name(c: char) -> String {
    let known = match c {
        '\u{061c}' => "ARABIC LETTER MARK",
        '\u{200e}' => "LEFT-TO-RIGHT MARK",
        '\u{200f}' => "RIGHT-TO-LEFT MARK",
        '\u{202a}' => "LEFT-TO-RIGHT EMBEDDING",
        '\u{202b}' => "RIGHT-TO-LEFT EMBEDDING",
        '\u{202c}' => "POP DIRECTIONAL FORMATTING",
        '\u{202d}' => "LEFT-TO-RIGHT OVERRIDE",
        '\u{202e}' => "RIGHT-TO-LEFT OVERRIDE",
        '\u{2066}' => "LEFT-TO-RIGHT ISOLATE",
        '\u{2067}' => "RIGHT-TO-LEFT ISOLATE",
        '\u{2068}' => "FIRST STRONG ISOLATE",
        '\u{2069}' => "POP DIRECTIONAL ISOLATE",
        '\u{00ad}' => "SOFT HYPHEN",
        '\u{200b}' => "ZERO WIDTH SPACE",
        '\u{200c}' => "ZERO WIDTH NON-JOINER",
        '\u{200d}' => "ZERO WIDTH JOINER",
        '\u{2060}' => "WORD JOINER",
        '\u{feff}' => "ZERO WIDTH NO-BREAK SPACE (byte order mark)",
        _ => "",
    };
    match known {
        "" => format!("U+{:04X}", c as u32),
        n => format!("U+{:04X} {n}", c as u32),
    }
}

/// The invisible characters of `s` ([`is_invisible`]), each once, in the order they first
/// occur.
pub fn found_in(s: &str) -> Vec<char> {
    let mut found: Vec<char> = Vec::new();
    for c in s.chars().filter(|c| is_invisible(*c)) {
        if !found.contains(&c) {
            found.push(c);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sets_hold_what_they_say() {
        for c in [
            '\u{061c}', '\u{200e}', '\u{200f}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}',
        ] {
            assert!(is_bidi_control(c) && is_invisible(c), "{}", name(c));
        }
        for c in [
            '\u{200b}',
            '\u{feff}',
            '\u{00ad}',
            '\n',
            '\u{1b}',
            '\u{85}',
            '\u{fe0f}',
            '\u{3164}',
            '\u{180b}',
            '\u{e0100}',
            '\u{1d173}',
        ] {
            assert!(!is_bidi_control(c) && is_invisible(c), "{}", name(c));
        }
        // Letters of right-to-left scripts are text, not controls.
        for c in ['ئ', 'ا', 'א', '1', ' ', '中'] {
            assert!(!is_invisible(c), "{c}");
        }
        assert_eq!(
            found_in("a\u{202e}b\u{202c}c\u{202e}"),
            ['\u{202e}', '\u{202c}']
        );
        assert_eq!(name('\u{202e}'), "U+202E RIGHT-TO-LEFT OVERRIDE");
        assert_eq!(name('\u{e0041}'), "U+E0041");
    }
}
