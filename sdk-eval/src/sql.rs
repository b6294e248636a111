//! The scale-out path: the same A/B statistics as the reducer, as SQL over a table of the
//! SDK's events, one file per statistic (`tandem evaluate --spec S --sql DIR`). Run them where
//! the logs live (DuckDB, Spark SQL, BigQuery, Snowflake), concatenate the rows under
//! [`crate::csv::HEADER`], and analyse with `tandem evaluate --stats FILE.csv`.
//!
//! The table is `tandem_events` with the events' fields as columns: `type`, `experiment`,
//! `variant`, `holdout`, `unit`, `errorCode` (as `error_code`), `name`, `value`, `timestamp`.
//! The SQL uses only portable constructs (CASE, COUNT(DISTINCT), LEFT JOIN, GROUP BY):
//! `00_assignments.sql` creates the view every other file reads.
//!
//! The off-policy sums are not in SQL: they need the target bundles run on each logged
//! context and reward models cross-fitted over all decisions, which is the reducer's job.

use crate::spec::{Aggregation, Source, Spec, Window};

/// A string literal for SQL (single quotes doubled).
fn lit(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

fn assignments(spec: &Spec) -> String {
    let arms: Vec<String> = spec.allocation.iter().map(|(a, _)| lit(a)).collect();
    format!(
        "-- Each unit's assignment to experiment {experiment}: its arm (the variant of its exposures),\n\
         -- its start (the earliest exposure) and why it is dropped, if it is: caught by a holdout,\n\
         -- exposed to a variant outside the allocation, or exposed to several arms.\n\
         CREATE OR REPLACE VIEW tandem_assignments AS\n\
         SELECT unit,\n\
         \x20      MIN(timestamp) AS start_ms,\n\
         \x20      MIN(CASE WHEN holdout IS NULL THEN variant END) AS arm,\n\
         \x20      CASE\n\
         \x20        WHEN MAX(CASE WHEN holdout IS NOT NULL THEN 1 ELSE 0 END) = 1 THEN 'held_out'\n\
         \x20        WHEN MAX(CASE WHEN holdout IS NULL AND (variant IS NULL OR variant NOT IN ({arms}))\n\
         \x20                      THEN 1 ELSE 0 END) = 1 THEN 'unknown_arm'\n\
         \x20        WHEN COUNT(DISTINCT CASE WHEN holdout IS NULL THEN variant END) > 1 THEN 'several_arms'\n\
         \x20        ELSE 'ok'\n\
         \x20      END AS status,\n\
         \x20      MAX(CASE WHEN error_code IS NOT NULL THEN 1 ELSE 0 END) AS failed\n\
         FROM tandem_events\n\
         WHERE type = 'exposure' AND experiment = {experiment}\n\
         GROUP BY unit;\n",
        experiment = lit(&spec.experiment),
        arms = arms.join(", ")
    )
}

fn arm_units() -> String {
    "-- Units per arm (n) and units whose arm failed at least once (sum_y).\n\
     SELECT 'arm' AS section, arm AS \"group\", 'units' AS name, CAST(NULL AS INTEGER) AS fold,\n\
     \x20      COUNT(*) AS n, SUM(failed) AS sum_y, CAST(NULL AS DOUBLE) AS sum_y2,\n\
     \x20      CAST(NULL AS DOUBLE) AS sum_x, CAST(NULL AS DOUBLE) AS sum_x2, CAST(NULL AS DOUBLE) AS sum_xy\n\
     FROM tandem_assignments\n\
     WHERE status = 'ok'\n\
     GROUP BY arm;\n"
        .to_owned()
}

/// The condition "this track's time since the unit's start lies in `window`".
fn in_window(window: &Window) -> String {
    let mut condition = format!("t.timestamp - a.start_ms >= {}", window.start_ms);
    if window.end_ms != i64::MAX {
        condition.push_str(&format!(
            " AND t.timestamp - a.start_ms < {}",
            window.end_ms
        ));
    }
    condition
}

/// A unit's value from its window count `c` and value sum `s`.
fn value(aggregation: Aggregation, count: &str, sum: &str) -> String {
    match aggregation {
        Aggregation::Any => {
            format!("CASE WHEN {count} > 0 THEN CAST(1 AS DOUBLE) ELSE CAST(0 AS DOUBLE) END")
        }
        Aggregation::Count => format!("CAST({count} AS DOUBLE)"),
        Aggregation::Sum => format!("COALESCE({sum}, CAST(0 AS DOUBLE))"),
        Aggregation::Mean => format!("{sum} / CAST({count} AS DOUBLE)"),
    }
}

/// Per unit: `cnt`/`total` in the window and `pre_cnt`/`pre_total` in the lookback.
fn unit_values(event: &str, window: &Window, lookback: Option<i64>) -> String {
    let inside = in_window(window);
    let before = match lookback {
        Some(l) => format!("t.timestamp - a.start_ms < 0 AND t.timestamp - a.start_ms >= -{l}"),
        None => "1 = 0".to_owned(),
    };
    format!(
        "SELECT a.unit, a.arm,\n\
         \x20        COUNT(CASE WHEN {inside} THEN 1 END) AS cnt,\n\
         \x20        SUM(CASE WHEN {inside} THEN COALESCE(t.value, CAST(0 AS DOUBLE)) END) AS total,\n\
         \x20        COUNT(CASE WHEN {before} THEN 1 END) AS pre_cnt,\n\
         \x20        SUM(CASE WHEN {before} THEN COALESCE(t.value, CAST(0 AS DOUBLE)) END) AS pre_total\n\
         \x20 FROM tandem_assignments a\n\
         \x20 LEFT JOIN tandem_events t\n\
         \x20   ON t.type = 'track' AND t.name = {event} AND t.unit = a.unit\n\
         \x20 WHERE a.status = 'ok'\n\
         \x20 GROUP BY a.unit, a.arm",
        event = lit(event)
    )
}

fn sums(metric: &str, y: &str, x: &str, from: &str, filter: &str) -> String {
    format!(
        "SELECT 'metric' AS section, arm AS \"group\", {name} AS name, CAST(NULL AS INTEGER) AS fold,\n\
         \x20      COUNT(*) AS n, SUM(y) AS sum_y, SUM(y * y) AS sum_y2,\n\
         \x20      SUM(x) AS sum_x, SUM(x * x) AS sum_x2, SUM(x * y) AS sum_xy\n\
         FROM (SELECT arm, {y} AS y, {x} AS x FROM {from}{filter}) per_unit\n\
         GROUP BY arm;\n",
        name = lit(metric)
    )
}

fn metric(spec: &Spec, index: usize) -> Option<String> {
    let metric = spec.metrics.get(index)?;
    let text = match &metric.source {
        Source::Event {
            event,
            aggregation,
            window,
            cuped_lookback_ms,
        } => {
            let y = value(*aggregation, "u.cnt", "u.total");
            let x = if cuped_lookback_ms.is_some() {
                value(*aggregation, "u.pre_cnt", "u.pre_total")
            } else {
                "CAST(0 AS DOUBLE)".to_owned()
            };
            let filter = if *aggregation == Aggregation::Mean {
                " WHERE u.cnt > 0"
            } else {
                ""
            };
            format!(
                "-- Metric {name}: per arm n, Σy, Σy², Σx, Σx², Σxy over units (y: {aggregation:?} of {event}\n\
                 -- in the window; x: the same over the CUPED lookback, else 0).\n\
                 {sums}",
                name = metric.name,
                sums = sums(
                    &metric.name,
                    &y,
                    &x,
                    &format!("(\n  {}\n) u", unit_values(event, window, *cuped_lookback_ms)),
                    filter
                )
            )
        }
        Source::Ratio {
            numerator,
            denominator,
        } => {
            let side = |m: usize| -> Option<(String, Aggregation, Window)> {
                match &spec.metrics.get(m)?.source {
                    Source::Event {
                        event,
                        aggregation,
                        window,
                        ..
                    } => Some((event.clone(), *aggregation, *window)),
                    Source::Ratio { .. } => None,
                }
            };
            let (ne, na, nw) = side(*numerator)?;
            let (de, da, dw) = side(*denominator)?;
            format!(
                "-- Ratio metric {name}: y is the numerator's unit value, x the denominator's.\n\
                 {sums}",
                name = metric.name,
                sums = sums(
                    &metric.name,
                    &value(na, "num.cnt", "num.total"),
                    &value(da, "den.cnt", "den.total"),
                    &format!(
                        "(\n  {}\n) num JOIN (\n  {}\n) den ON den.unit = num.unit",
                        unit_values(&ne, &nw, None),
                        unit_values(&de, &dw, None).replace("a.arm,", "a.arm AS den_arm,")
                    ),
                    ""
                )
                .replace("SELECT arm, ", "SELECT num.arm AS arm, ")
            )
        }
    };
    Some(text)
}

fn counts(spec: &Spec) -> String {
    let policy = spec.ope.as_ref().map_or_else(
        || "1 = 0".to_owned(),
        |o| {
            let prefix = format!("{}@", o.policy);
            format!(
                "SUBSTR(policy, 1, {}) = {}",
                prefix.chars().count(),
                lit(&prefix)
            )
        },
    );
    let count = |name: &str, expression: &str| {
        format!(
            "SELECT 'count' AS section, CAST(NULL AS VARCHAR) AS \"group\", {} AS name, \
             CAST(NULL AS INTEGER) AS fold, {expression} AS n, CAST(NULL AS DOUBLE) AS sum_y, \
             CAST(NULL AS DOUBLE) AS sum_y2, CAST(NULL AS DOUBLE) AS sum_x, CAST(NULL AS DOUBLE) AS sum_x2, \
             CAST(NULL AS DOUBLE) AS sum_xy",
            lit(name)
        )
    };
    let experiment = lit(&spec.experiment);
    [
        count("events", "(SELECT COUNT(*) FROM tandem_events)"),
        count(
            "exposures",
            &format!("(SELECT COUNT(*) FROM tandem_events WHERE type = 'exposure' AND experiment = {experiment})"),
        ),
        count(
            "decisions",
            &format!("(SELECT COUNT(*) FROM tandem_events WHERE type = 'decision' AND {policy})"),
        ),
        count("tracks", "(SELECT COUNT(*) FROM tandem_events WHERE type = 'track')"),
        count(
            "units_in_several_arms",
            "(SELECT COUNT(*) FROM tandem_assignments WHERE status = 'several_arms')",
        ),
        count(
            "held_out_units",
            "(SELECT COUNT(*) FROM tandem_assignments WHERE status = 'held_out')",
        ),
        count(
            "units_in_unknown_arms",
            "(SELECT COUNT(*) FROM tandem_assignments WHERE status = 'unknown_arm')",
        ),
    ]
    .join("\nUNION ALL\n")
        + ";\n"
}

/// The SQL files for `spec`: `(file name, text)`, to run in order.
pub fn render(spec: &Spec) -> Vec<(String, String)> {
    let mut files = vec![
        ("00_assignments.sql".to_owned(), assignments(spec)),
        ("01_arm_units.sql".to_owned(), arm_units()),
    ];
    for (i, m) in spec.metrics.iter().enumerate() {
        if let Some(text) = metric(spec, i) {
            let safe: String = m
                .name
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
                .collect();
            files.push((format!("{:02}_metric_{safe}.sql", i + 2), text));
        }
    }
    files.push((
        format!("{:02}_counts.sql", spec.metrics.len() + 2),
        counts(spec),
    ));
    files
}
