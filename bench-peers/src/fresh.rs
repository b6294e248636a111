//! The fresh contexts of the workloads' README: for iteration `i`, a 10-attribute context whose
//! targeting key has not been seen before in the run, as an edge worker gets one per request.
//!
//! What is generated here is the request's data (plain strings and numbers); each engine then
//! builds its own context object from it inside the timed closure. Generating it costs the same
//! for every engine and is measured on its own (`fresh-input` in the bench), so a reader can see
//! how much of a fresh cell it is.

/// How many distinct targeting keys the recipe cycles through (2^21).
pub const DISTINCT_KEYS: u32 = 1 << 21;

const COUNTRIES: [&str; 8] = ["SE", "US", "NO", "DE", "DK", "GB", "FI", "FR"];
const PLANS: [&str; 4] = ["free", "pro", "team", "enterprise"];
const PLATFORMS: [&str; 4] = ["web", "ios", "android", "desktop"];
const APP_VERSIONS: [&str; 8] = [
    "5.12.0",
    "5.11.2",
    "5.10.0",
    "4.9.9",
    "5.12.1",
    "6.0.0-beta.1",
    "5.9.3",
    "5.8.0",
];
const LOCALES: [&str; 8] = [
    "sv-SE", "en-US", "nb-NO", "de-DE", "da-DK", "en-GB", "fi-FI", "fr-FR",
];
const EMAILS: usize = 1024;

/// The attributes of one fresh context, borrowed from the generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Input<'a> {
    /// `targetingKey`: `user-` and ten digits.
    pub targeting_key: &'a str,
    /// `age`: 10 to 59.
    pub age: i64,
    /// `country`.
    pub country: &'static str,
    /// `plan`.
    pub plan: &'static str,
    /// `platform`.
    pub platform: &'static str,
    /// `appVersion`.
    pub app_version: &'static str,
    /// `locale`.
    pub locale: &'static str,
    /// `email`.
    pub email: &'a str,
    /// `beta`.
    pub beta: bool,
    /// `sessions`: 0 to 255.
    pub sessions: i64,
}

/// Writes the fresh inputs of the recipe, reusing one buffer for the key.
#[derive(Debug, Clone)]
pub struct Generator {
    key: String,
    emails: Vec<String>,
}

impl Default for Generator {
    fn default() -> Self {
        Self::new()
    }
}

impl Generator {
    /// A generator; the 1,024 e-mail addresses the recipe cycles through are written once here
    /// (they repeat by design, unlike the keys).
    pub fn new() -> Self {
        Self {
            key: String::with_capacity(16),
            emails: (0..EMAILS)
                .map(|n| format!("user{n}@example.com"))
                .collect(),
        }
    }

    /// The input of iteration `i` (taken modulo [`DISTINCT_KEYS`]).
    pub fn input(&mut self, i: u32) -> Input<'_> {
        let i = i % DISTINCT_KEYS;
        let hashed = i.wrapping_mul(2_654_435_761);
        self.key.clear();
        self.key.push_str("user-");
        push_padded(&mut self.key, hashed);
        let n = i as usize;
        Input {
            targeting_key: &self.key,
            age: 10 + i64::from(i % 50),
            country: pick(&COUNTRIES, n),
            plan: pick(&PLANS, n),
            platform: pick(&PLATFORMS, n >> 2),
            app_version: pick(&APP_VERSIONS, n >> 3),
            locale: pick(&LOCALES, n),
            email: self.emails.get(n % EMAILS).map_or("", String::as_str),
            beta: i & 16 == 0,
            sessions: i64::from(i % 256),
        }
    }
}

fn pick(table: &[&'static str], n: usize) -> &'static str {
    table.get(n % table.len().max(1)).copied().unwrap_or("")
}

/// Ten digits, zero-padded: `u32::MAX` has ten.
fn push_padded(out: &mut String, mut n: u32) {
    let mut digits = [b'0'; 10];
    for digit in digits.iter_mut().rev() {
        *digit = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend(digits.iter().map(|&d| char::from(d)));
}

/// The iteration counter of a fresh cell: every call a key not used since the last
/// [`DISTINCT_KEYS`] calls.
#[derive(Debug, Clone, Default)]
pub struct Sequence(u32);

impl Sequence {
    /// The next iteration number.
    pub fn next_index(&mut self) -> u32 {
        self.0 = (self.0 + 1) % DISTINCT_KEYS;
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_the_readme_recipe() {
        let mut generator = Generator::new();
        let input = generator.input(0);
        assert_eq!(input.targeting_key, "user-0000000000");
        assert_eq!(input.age, 10);
        assert_eq!(input.country, "SE");
        assert!(input.beta);
        let input = generator.input(1);
        // 2654435761 itself: ten digits, no padding needed.
        assert_eq!(input.targeting_key, "user-2654435761");
        let input = generator.input(2);
        // 2 × 2654435761 = 5308871522, minus 2^32 = 1013904226.
        assert_eq!(input.targeting_key, "user-1013904226");
        let input = generator.input(19);
        assert_eq!(input.age, 29);
        // 19 mod 8 = 3, 19 mod 4 = 3, (19 >> 2) mod 4 = 0, (19 >> 3) mod 8 = 2.
        assert_eq!(input.country, "DE");
        assert_eq!(input.plan, "enterprise");
        assert_eq!(input.platform, "web");
        assert_eq!(input.app_version, "5.10.0");
        assert_eq!(input.locale, "de-DE");
        assert_eq!(input.email, "user19@example.com");
        assert!(!input.beta);
        assert_eq!(input.sessions, 19);
        let input = generator.input(1030);
        assert_eq!(input.email, "user6@example.com");
        assert_eq!(input.sessions, 1030 % 256);
    }

    #[test]
    fn keys_are_distinct_over_the_cycle() {
        let mut generator = Generator::new();
        let mut seen = std::collections::HashSet::new();
        for i in (0..DISTINCT_KEYS).step_by(7) {
            assert!(seen.insert(generator.input(i).targeting_key.to_owned()));
        }
        assert_eq!(
            generator.input(DISTINCT_KEYS + 5),
            Generator::new().input(5)
        );
    }
}
