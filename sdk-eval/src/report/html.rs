//! The self-contained HTML report: no scripts, no fonts, no network — plots are inline SVG.

use std::fmt::Write as _;

use super::{num, pct, pval};
use crate::analysis::{Analysis, OpeEstimate};

fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// One row of a forest plot: label, estimate, interval, colour.
struct Row {
    label: String,
    estimate: f64,
    lo: f64,
    hi: f64,
    colour: &'static str,
    note: String,
}

/// A horizontal interval plot with a zero line.
fn forest(rows: &[Row], title: &str, percent: bool) -> String {
    let finite: Vec<f64> = rows
        .iter()
        .flat_map(|r| [r.lo, r.hi, r.estimate])
        .filter(|v| v.is_finite())
        .chain([0.0])
        .collect();
    let (min, max) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let pad = ((max - min) * 0.08).max(1e-12);
    let (min, max) = (min - pad, max + pad);
    let (left, width, row_h) = (230.0, 420.0, 30.0);
    let height = 40.0 + row_h * rows.len() as f64;
    let x = |v: f64| left + (v.clamp(min, max) - min) / (max - min) * width;
    let fmt = |v: f64| if percent { pct(v) } else { num(v) };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"{height}\" role=\"img\" \
         aria-label=\"{}\">",
        esc(title)
    );
    let zero = x(0.0);
    let _ = write!(
        svg,
        "<line x1=\"{zero}\" y1=\"10\" x2=\"{zero}\" y2=\"{}\" stroke=\"#888\" stroke-dasharray=\"4 3\"/>",
        height - 20.0
    );
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"{}\" class=\"axis\">{}</text><text x=\"{}\" y=\"{}\" class=\"axis\" \
         text-anchor=\"end\">{}</text>",
        height - 5.0,
        esc(&fmt(min)),
        left + width,
        height - 5.0,
        esc(&fmt(max))
    );
    for (i, r) in rows.iter().enumerate() {
        let y = 25.0 + row_h * i as f64;
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"label\">{}</text>",
            left - 10.0,
            y + 4.0,
            esc(&r.label)
        );
        if r.lo.is_finite() && r.hi.is_finite() {
            let _ = write!(
                svg,
                "<line x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\" stroke=\"{}\" stroke-width=\"3\"/>",
                x(r.lo),
                x(r.hi),
                r.colour
            );
        }
        if r.estimate.is_finite() {
            let _ = write!(
                svg,
                "<circle cx=\"{}\" cy=\"{y}\" r=\"5\" fill=\"{}\"/>",
                x(r.estimate),
                r.colour
            );
        }
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" class=\"note\">{}</text>",
            left + width + 12.0,
            y + 4.0,
            esc(&r.note)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn srm_plot(a: &Analysis, arms: &[String]) -> String {
    let max = a
        .srm
        .observed
        .iter()
        .map(|&o| o as f64)
        .chain(a.srm.expected.iter().copied())
        .fold(1.0_f64, f64::max);
    let (left, width, row_h) = (230.0, 420.0, 30.0);
    let height = 20.0 + row_h * arms.len() as f64;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"{height}\" role=\"img\" \
         aria-label=\"units per arm\">"
    );
    for (i, arm) in arms.iter().enumerate() {
        let y = 10.0 + row_h * i as f64;
        let observed = a.srm.observed.get(i).copied().unwrap_or(0) as f64;
        let expected = a.srm.expected.get(i).copied().unwrap_or(0.0);
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" class=\"label\">{}</text>\
             <rect x=\"{left}\" y=\"{y}\" width=\"{}\" height=\"18\" fill=\"#4c78a8\"/>\
             <line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#e45756\" stroke-width=\"3\"/>\
             <text x=\"{}\" y=\"{}\" class=\"note\">{} observed, {} expected</text>",
            left - 10.0,
            y + 14.0,
            esc(arm),
            observed / max * width,
            left + expected / max * width,
            y - 3.0,
            left + expected / max * width,
            y + 21.0,
            left + width + 12.0,
            y + 14.0,
            observed,
            num(expected)
        );
    }
    svg.push_str("</svg>");
    svg
}

fn ope_rows(estimates: &[&OpeEstimate]) -> Vec<Row> {
    estimates
        .iter()
        .map(|e| Row {
            label: format!("{} ({})", e.target, e.estimator),
            estimate: e.value,
            lo: e.ci[0],
            hi: e.ci[1],
            colour: "#4c78a8",
            note: format!("{} [{}, {}]", num(e.value), num(e.ci[0]), num(e.ci[1])),
        })
        .collect()
}

const STYLE: &str =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:2em auto;\
max-width:1000px;color:#222;padding:0 1em}h1{font-size:1.6em}h2{margin-top:1.8em;border-bottom:1px \
solid #ddd}table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .7em;white-space:nowrap;border-bottom:1px \
solid #eee;text-align:right}td:first-child,th:first-child{text-align:left}.ship{color:#1a7f37;\
font-weight:bold}.noship{color:#c62828;font-weight:bold}.label{font-size:12px}.note{font-size:12px;\
fill:#444}.axis{font-size:11px;fill:#777}.warn{color:#c62828}";

/// The analysis as one self-contained HTML page (inline CSS and SVG, nothing fetched).
pub fn to_html(a: &Analysis, arms: &[String]) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>tandem evaluate: {}\
         </title><style>{STYLE}</style></head><body><h1>Experiment {}</h1><p>Control arm <b>{}</b>, \
         α = {}, design power per metric {}.</p>",
        esc(&a.experiment),
        esc(&a.experiment),
        esc(&a.control),
        a.alpha,
        num(a.design_power)
    );
    h.push_str("<h2>Verdict</h2><ul>");
    for v in &a.verdicts {
        let _ = write!(
            h,
            "<li><b>{}</b>: <span class=\"{}\">{}</span> — {}</li>",
            esc(&v.arm),
            if v.ship { "ship" } else { "noship" },
            if v.ship { "ship" } else { "do not ship" },
            esc(&v.reasons.join("; "))
        );
    }
    h.push_str("</ul>");
    h.push_str("<h2>Lift per metric (95% interval)</h2>");
    let rows: Vec<Row> = a
        .metrics
        .iter()
        .filter_map(|r| {
            let c = r.comparison.as_ref()?;
            let colour = if r.deteriorated {
                "#c62828"
            } else if r.passed && r.kind != "monitor" {
                "#1a7f37"
            } else {
                "#777"
            };
            Some(Row {
                label: format!("{} · {} ({})", r.metric, r.arm, r.kind),
                estimate: c.lift.estimate,
                lo: c.lift.ci[0],
                hi: c.lift.ci[1],
                colour,
                note: format!(
                    "{} p = {}",
                    pct(c.lift.estimate),
                    pval(c.difference.p_value)
                ),
            })
        })
        .collect();
    h.push_str(&forest(&rows, "lift per metric", true));
    h.push_str(
        "<table><tr><th>metric</th><th>arm</th><th>control</th><th>treatment</th><th>difference</th>\
         <th>95% CI</th><th>lift</th><th>p</th><th>one-sided level</th><th>bound</th><th>MDE</th></tr>",
    );
    for r in &a.metrics {
        let Some(c) = &r.comparison else {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td colspan=\"9\">too little data</td></tr>",
                esc(&r.metric),
                esc(&r.arm)
            );
            continue;
        };
        let d = &c.difference;
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>[{}, {}]</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&r.metric),
            esc(&r.arm),
            num(c.control.mean),
            num(c.treatment.mean),
            num(d.estimate),
            num(d.ci[0]),
            num(d.ci[1]),
            pct(c.lift.estimate),
            pval(d.p_value),
            num(r.level),
            r.bound.map_or_else(|| "–".to_owned(), num),
            r.mde.map_or_else(|| "–".to_owned(), num)
        );
    }
    h.push_str("</table>");
    let _ = write!(
        h,
        "<h2>Sample ratio</h2><p>χ² = {}, p = {} {}</p>",
        num(a.srm.chi2),
        pval(a.srm.p_value),
        if a.srm.mismatch {
            "<span class=\"warn\">— sample-ratio mismatch: the results are not trustworthy</span>"
        } else {
            "— no mismatch (threshold p &lt; 0.001)"
        }
    );
    h.push_str(&srm_plot(a, arms));
    let c = &a.counts;
    let _ = write!(
        h,
        "<p>Units dropped: {} seen in several arms, {} held out, {} in arms outside the allocation.</p>",
        c.units_in_several_arms, c.held_out_units, c.units_in_unknown_arms
    );
    if let Some(ope) = &a.ope {
        h.push_str("<h2>Off-policy estimates (doubly robust, 95% interval)</h2>");
        let dr: Vec<&OpeEstimate> = ope
            .estimates
            .iter()
            .filter(|e| e.estimator == "dr")
            .collect();
        h.push_str(&forest(&ope_rows(&dr), "policy values", false));
        h.push_str(
            "<table><tr><th>policy</th><th>estimator</th><th>value</th><th>se</th><th>95% CI</th></tr>",
        );
        for e in &ope.estimates {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>[{}, {}]</td></tr>",
                esc(&e.target),
                esc(&e.estimator),
                num(e.value),
                num(e.se),
                num(e.ci[0]),
                num(e.ci[1])
            );
        }
        h.push_str(
            "</table><table><tr><th>policy</th><th>Σw/n</th><th>max w</th><th>effective sample \
             size</th><th>decisions</th></tr>",
        );
        for w in &ope.weights {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&w.target),
                num(w.mean_weight),
                num(w.max_weight),
                num(w.effective_sample_size),
                w.decisions
            );
        }
        h.push_str("</table>");
        if !ope.personalization.is_empty() {
            h.push_str("<h2>Value of personalization: V(π) − max<sub>a</sub> V(a)</h2>");
            let rows: Vec<Row> = ope
                .personalization
                .iter()
                .flat_map(|p| {
                    [
                        Row {
                            label: format!("{} (cross-fitted)", p.target),
                            estimate: p.cross_fitted.value,
                            lo: p.cross_fitted.ci[0],
                            hi: p.cross_fitted.ci[1],
                            colour: "#1a7f37",
                            note: format!(
                                "Δ = {} vs {}",
                                num(p.cross_fitted.value),
                                p.chosen_per_fold.join("/")
                            ),
                        },
                        Row {
                            label: format!("{} (in-sample)", p.target),
                            estimate: p.in_sample.value,
                            lo: p.in_sample.ci[0],
                            hi: p.in_sample.ci[1],
                            colour: "#999",
                            note: format!(
                                "Δ = {} vs {} (optimistic about {})",
                                num(p.in_sample.value),
                                p.best_action,
                                p.best_action
                            ),
                        },
                    ]
                })
                .collect();
            h.push_str(&forest(&rows, "value of personalization", false));
            h.push_str(
                "<p>Cross-fitted: on each fold the best static action is chosen on the other folds \
                 and Δ is estimated on the fold itself. In-sample: the best static action is the \
                 arg-max over the same estimates, whose maximum is optimistic (biased upwards), so \
                 the in-sample Δ is biased downwards.</p>",
            );
        }
    }
    h.push_str("<p class=\"axis\">Generated by <code>tandem evaluate</code>.</p></body></html>\n");
    h
}
