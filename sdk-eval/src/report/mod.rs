//! The analysis for people: a terminal table, and a self-contained HTML report (see
//! [`html`]).

use std::fmt::Write as _;

use crate::analysis::Analysis;

mod html;

pub use html::to_html;

/// A number in 4 significant digits, switching to exponent form for very small or large ones.
pub fn num(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "–".to_owned()
        } else if x > 0.0 {
            "∞".to_owned()
        } else {
            "−∞".to_owned()
        };
    }
    let a = x.abs();
    if a != 0.0 && !(1e-4..1e6).contains(&a) {
        format!("{x:.3e}")
    } else {
        format!("{:.4}", x)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_owned()
    }
}

/// A fraction as a signed percentage.
pub fn pct(x: f64) -> String {
    if !x.is_finite() {
        return num(x);
    }
    format!("{:+.2}%", 100.0 * x)
}

/// A p-value.
pub fn pval(p: f64) -> String {
    if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

fn table(rows: &[Vec<String>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            let width = widths.get(c).copied().unwrap_or(0);
            let pad = width.saturating_sub(cell.chars().count());
            if c == 0 {
                line.push_str(cell);
                line.push_str(&" ".repeat(pad));
            } else {
                line.push_str("  ");
                line.push_str(&" ".repeat(pad));
                line.push_str(cell);
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
        if i == 0 {
            let total: usize = widths.iter().sum::<usize>() + 2 * widths.len().saturating_sub(1);
            out.push_str(&"─".repeat(total));
            out.push('\n');
        }
    }
    out
}

/// The analysis as plain-text tables.
pub fn to_table(a: &Analysis) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "experiment {}  (control: {}, α = {})",
        a.experiment, a.control, a.alpha
    );
    let _ = writeln!(
        out,
        "units per arm: {}  SRM χ² = {} p = {}{}",
        a.srm
            .observed
            .iter()
            .map(u64::to_string)
            .collect::<Vec<_>>()
            .join(" / "),
        num(a.srm.chi2),
        pval(a.srm.p_value),
        if a.srm.mismatch {
            "  ← SAMPLE-RATIO MISMATCH"
        } else {
            ""
        }
    );
    let c = &a.counts;
    let _ = writeln!(
        out,
        "dropped units: {} in several arms, {} held out, {} in unknown arms\n",
        c.units_in_several_arms, c.held_out_units, c.units_in_unknown_arms
    );
    let mut rows = vec![vec![
        "metric".to_owned(),
        "kind".to_owned(),
        "arm".to_owned(),
        "control".to_owned(),
        "treatment".to_owned(),
        "difference".to_owned(),
        "95% CI".to_owned(),
        "lift".to_owned(),
        "p".to_owned(),
        "test".to_owned(),
    ]];
    for r in &a.metrics {
        let Some(cmp) = &r.comparison else {
            rows.push(vec![
                r.metric.clone(),
                r.kind.to_owned(),
                r.arm.clone(),
                "too little data".to_owned(),
            ]);
            continue;
        };
        let d = &cmp.difference;
        let verdict = match (r.kind, r.passed, r.deteriorated) {
            (_, _, true) => "WORSE",
            ("success", true, _) => "better",
            ("guardrail", true, _) => "non-inferior",
            ("guardrail", false, _) => "not shown NI",
            ("monitor", _, _) => "–",
            _ => "not significant",
        };
        rows.push(vec![
            r.metric.clone(),
            r.kind.to_owned(),
            r.arm.clone(),
            num(cmp.control.mean),
            num(cmp.treatment.mean),
            num(d.estimate),
            format!("[{}, {}]", num(d.ci[0]), num(d.ci[1])),
            pct(cmp.lift.estimate),
            pval(d.p_value),
            verdict.to_owned(),
        ]);
    }
    out.push_str(&table(&rows));
    out.push('\n');
    for v in &a.verdicts {
        let _ = writeln!(
            out,
            "verdict {}: {} — {}",
            v.arm,
            if v.ship { "SHIP" } else { "DO NOT SHIP" },
            v.reasons.join("; ")
        );
    }
    if let Some(s) = &a.sequential {
        let _ = writeln!(
            out,
            "group-sequential look {} at t = {}: two-sided bound |z| ≥ {}",
            s.fractions.len(),
            num(s.fractions.last().copied().unwrap_or(0.0)),
            num(s.two_sided.last().copied().unwrap_or(f64::INFINITY))
        );
    }
    if let Some(ope) = &a.ope {
        out.push('\n');
        let mut rows = vec![vec![
            "policy".to_owned(),
            "estimator".to_owned(),
            "value".to_owned(),
            "se".to_owned(),
            "95% CI".to_owned(),
        ]];
        for e in &ope.estimates {
            rows.push(vec![
                e.target.clone(),
                e.estimator.clone(),
                num(e.value),
                num(e.se),
                format!("[{}, {}]", num(e.ci[0]), num(e.ci[1])),
            ]);
        }
        out.push_str(&table(&rows));
        out.push('\n');
        let mut rows = vec![vec![
            "policy".to_owned(),
            "Σw/n".to_owned(),
            "max w".to_owned(),
            "ESS".to_owned(),
            "decisions".to_owned(),
        ]];
        for w in &ope.weights {
            rows.push(vec![
                w.target.clone(),
                num(w.mean_weight),
                num(w.max_weight),
                num(w.effective_sample_size),
                w.decisions.to_string(),
            ]);
        }
        out.push_str(&table(&rows));
        for p in &ope.personalization {
            let _ = writeln!(
                out,
                "\nvalue of personalization of {}: Δ = {} [{}, {}] (DR, best static action chosen on \
                 the other folds: {})",
                p.target,
                num(p.cross_fitted.value),
                num(p.cross_fitted.ci[0]),
                num(p.cross_fitted.ci[1]),
                p.chosen_per_fold.join(", ")
            );
            let _ = writeln!(
                out,
                "  in-sample Δ = {} [{}, {}] against {} (optimistic about the best static action, \
                 so biased down)",
                num(p.in_sample.value),
                num(p.in_sample.ci[0]),
                num(p.in_sample.ci[1]),
                p.best_action
            );
        }
        if ope.skipped_decisions + ope.decisions_without_context > 0 {
            let _ = writeln!(
                out,
                "decisions set aside: {} unusable, {} without the logged context a target needed",
                ope.skipped_decisions, ope.decisions_without_context
            );
        }
    }
    out
}
