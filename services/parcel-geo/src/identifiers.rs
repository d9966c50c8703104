//! Owners' identifiers: the check digits of national codes (کد ملی) and legal-entity
//! national ids (شناسه ملی), and the masked form shown to callers who may not see a code.

/// Whether an 11-digit Iranian legal-entity national id (شناسه ملی) has a valid check digit.
///
/// The check digit is the last digit: with `d` = the tenth digit + 2 and weights
/// 29, 27, 23, 19, 17 repeating, `s = Σ (digit[i] + d) · w[i mod 5]` over the first ten
/// digits; `s mod 11` (10 counting as 0) must equal the last digit.
pub fn legal_id_is_valid(id: &str) -> bool {
    let digits: Vec<u32> = id.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != 11 || id.chars().count() != 11 || digits[3..9].iter().all(|d| *d == 0) {
        return false;
    }
    legal_id_check_digit(&digits[..10]) == digits[10]
}

/// The check digit of the first ten digits of a legal-entity national id.
pub fn legal_id_check_digit(first_ten: &[u32]) -> u32 {
    const WEIGHTS: [u32; 5] = [29, 27, 23, 19, 17];
    let d = first_ten[9] + 2;
    let s: u32 = first_ten
        .iter()
        .enumerate()
        .map(|(i, x)| (x + d) * WEIGHTS[i % 5])
        .sum();
    match s % 11 {
        10 => 0,
        r => r,
    }
}

/// Completes a national code from its first nine digits (the number `first_nine`, zero
/// padded) by computing the check digit; used by the synthetic city and tests. The result is
/// valid unless all ten digits come out equal.
pub fn complete_national_code(first_nine: u32) -> String {
    let head = format!("{:09}", first_nine % 1_000_000_000);
    let s: u32 = head
        .bytes()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * (10 - i as u32))
        .sum();
    let r = s % 11;
    let check = if r < 2 { r } else { 11 - r };
    format!("{head}{check}")
}

/// Masks a national code for callers who may not see it: `0076229645` → `007****645`.
pub fn mask_national_code(code: &str) -> String {
    let n = code.chars().count();
    if n <= 6 {
        return "*".repeat(n);
    }
    code.chars()
        .enumerate()
        .map(|(i, c)| if i < 3 || i >= n - 3 { c } else { '*' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use estelam_domain::NationalCode;

    #[test]
    fn legal_ids_check_their_last_digit() {
        let first: Vec<u32> = "1010034567"
            .chars()
            .filter_map(|c| c.to_digit(10))
            .collect();
        let id = format!("1010034567{}", legal_id_check_digit(&first));
        assert!(legal_id_is_valid(&id));
        let wrong_check = (legal_id_check_digit(&first) + 1) % 10;
        assert!(!legal_id_is_valid(&format!("1010034567{wrong_check}")));
        assert!(!legal_id_is_valid("00000000000"));
    }

    #[test]
    fn completed_national_codes_are_valid() {
        assert_eq!(complete_national_code(7_622_964), "0076229645");
        for n in [1u32, 158_325_068, 999_999_998] {
            assert!(
                NationalCode::parse(&complete_national_code(n)).is_ok(),
                "{n}"
            );
        }
    }

    #[test]
    fn masking_keeps_three_digits_each_side() {
        assert_eq!(mask_national_code("0076229645"), "007****645");
    }
}
