//! Digit normalisation and name folding: total functions, idempotent, and consistent with
//! each other (a Persian rendering normalises back; a name always matches itself).
#![no_main]

use estelam_domain::{fold_name, name_key, names_match, normalize_digits, to_persian_digits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: &str| {
    let ascii = normalize_digits(input);
    assert_eq!(normalize_digits(&ascii), ascii);
    assert_eq!(normalize_digits(&to_persian_digits(input)), ascii);
    let persian = to_persian_digits(input);
    assert_eq!(to_persian_digits(&persian), persian);

    let folded = fold_name(input);
    assert_eq!(fold_name(&folded), folded, "folding is idempotent");
    assert_eq!(folded.trim(), folded, "folded names carry no outer spaces");
    assert!(!name_key(input).contains(' '));
    assert!(names_match(input, input));
    assert!(names_match(input, &folded));
});
