//! Spec parsing never panics; what parses prints canonically and re-parses to itself.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        match s.parse::<baler_codec::Spec>() {
            Ok(spec) => {
                let text = spec.to_string();
                let again: baler_codec::Spec = text.parse().expect("canonical text must parse");
                assert_eq!(again, spec, "parse(display(s)) != s for {text}");
            }
            Err(e) => {
                let msg = e.to_string();
                assert!(msg.contains("grammar:"));
            }
        }
    }
});
