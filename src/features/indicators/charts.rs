//! Charts drawn on the server as inline SVG: one image (`role="img"`) named by a sentence that
//! summarises it; the figures themselves are in the table that follows each chart. DSFR colours
//! (« bleu France » bars, grey axis).

use crate::domain::indicators::{Count, Share};
use leptos::prelude::*;

const WIDTH: f64 = 720.0;
const BAR: &str = "#000091";
const AXIS: &str = "#666666";
const TEXT: &str = "#161616";

/// Bookings per day: one bar a day, the largest value and the first and last days marked.
#[component]
pub fn DayChart(id: &'static str, days: Vec<Count>, period: String) -> impl IntoView {
    let (height, left, bottom, top) = (220.0, 44.0, 28.0, 12.0);
    let plot_h = height - bottom - top;
    let total: u64 = days.iter().map(|d| d.count).sum();
    let busiest = days
        .iter()
        .max_by_key(|d| (d.count, std::cmp::Reverse(d.key.clone())));
    let max = busiest.map_or(0, |d| d.count);
    let summary = match busiest {
        Some(day) if max > 0 => format!(
            "Rendez-vous pris par jour {period} : {total} au total, au plus {max} le {} (détail dans le tableau qui suit).",
            day.label
        ),
        _ => format!("Rendez-vous pris par jour {period} : aucun."),
    };
    let slot = (WIDTH - left) / days.len().max(1) as f64;
    let bars = days
        .iter()
        .enumerate()
        .filter(|(_, d)| d.count > 0)
        .map(|(i, d)| {
            let h = plot_h * d.count as f64 / max.max(1) as f64;
            let (x, y) = (left + slot * i as f64 + slot * 0.1, top + plot_h - h);
            view! { <rect x=px(x) y=px(y) width=px(slot * 0.8) height=px(h) fill=BAR /> }
        })
        .collect_view();
    let first = days.first().map(|d| d.label.clone()).unwrap_or_default();
    let last = days.last().map(|d| d.label.clone()).unwrap_or_default();
    let base = top + plot_h;
    let label = summary.clone();
    view! {
        <svg id=id class="indicator-chart" role="img" aria-label=label focusable="false"
            viewBox=format!("0 0 {WIDTH} {height}") width="100%" preserveAspectRatio="xMinYMin meet">
            <title>{summary}</title>
            <line x1=px(left) y1=px(base) x2=px(WIDTH) y2=px(base) stroke=AXIS />
            <line x1=px(left) y1=px(top) x2=px(left) y2=px(base) stroke=AXIS />
            <text x=px(left - 6.0) y=px(top + 5.0) text-anchor="end" font-size="13" fill=TEXT>{max}</text>
            <text x=px(left - 6.0) y=px(base) text-anchor="end" font-size="13" fill=TEXT>"0"</text>
            {bars}
            <text x=px(left) y=px(height - 6.0) font-size="13" fill=TEXT>{first}</text>
            <text x=px(WIDTH) y=px(height - 6.0) text-anchor="end" font-size="13" fill=TEXT>{last}</text>
        </svg>
    }
}

/// Shares of the bookings: one labelled horizontal bar each, its percentage after it.
#[component]
pub fn ShareChart(id: &'static str, title: String, shares: Vec<Share>) -> impl IntoView {
    let row = 48.0;
    let bar_max = WIDTH - 90.0;
    let parts: Vec<String> = shares
        .iter()
        .map(|s| format!("{} {}", s.label, s.percent))
        .collect();
    let summary = format!("{title} : {}.", parts.join(" ; "));
    let total: u64 = shares.iter().map(|s| s.count).sum();
    let rows = shares
        .into_iter()
        .enumerate()
        .map(|(i, s)| {
            let y = row * i as f64;
            let w = bar_max * s.count as f64 / total.max(1) as f64;
            view! {
                <text x="0" y=px(y + 16.0) font-size="14" fill=TEXT>{s.label}</text>
                <rect x="0" y=px(y + 22.0) width=px(w) height="16" fill=BAR />
                <text x=px(w + 8.0) y=px(y + 35.0) font-size="14" fill=TEXT>{s.percent}</text>
            }
        })
        .collect_view();
    let label = summary.clone();
    view! {
        <svg id=id class="indicator-chart" role="img" aria-label=label focusable="false"
            viewBox=format!("0 0 {WIDTH} {}", row * parts.len().max(1) as f64) width="100%"
            preserveAspectRatio="xMinYMin meet">
            <title>{summary}</title>
            {rows}
        </svg>
    }
}

/// A coordinate with one decimal at most.
fn px(v: f64) -> String {
    let v = (v * 10.0).round() / 10.0;
    format!("{v}")
}
