//! Council-wide observation trends (M6.3), the TSUBAME-style picture: packets per port
//! over time, the top tags, and new or surging scanning campaigns, computed from daily
//! counts that name no member, and drawn as self-contained SVG charts.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use serde::Serialize;
use utoipa::ToSchema;

/// One council-wide daily count (a day, sensor type, protocol, port and tag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Daily {
    /// `YYYY-MM-DD`.
    pub day: String,
    /// The sensor type.
    pub sensor_type: String,
    /// The protocol (`""` when unknown).
    pub protocol: String,
    /// The port (`-1` when none).
    pub port: i64,
    /// The tag (`""` when none).
    pub tag: String,
    /// Records.
    pub records: i64,
    /// Packets or events.
    pub packets: i64,
}

/// A named series of per-day values over the report's days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Series {
    /// What it counts: `23/tcp`, a tag, a sensor type.
    pub name: String,
    /// Sum over the days.
    pub total: i64,
    /// One value per day of the report, in order.
    pub values: Vec<i64>,
}

/// A port or tag that appeared, or jumped, in the last days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Campaign {
    /// `new` (not seen before the recent window) or `surge` (well above its baseline).
    pub kind: String,
    /// The port (`23/tcp`) or `tag:<tag>`.
    pub target: String,
    /// First day it was seen in the report.
    pub first_seen: String,
    /// Packets over the recent window.
    pub recent_packets: i64,
    /// Mean packets per day before the recent window.
    pub baseline_per_day: i64,
}

/// The trends report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Trends {
    /// The days covered, oldest first.
    pub days: Vec<String>,
    /// Packets per day over every sensor.
    pub total: Series,
    /// The busiest ports (destination ports probed), each per day.
    pub ports: Vec<Series>,
    /// The most frequent tags, each per day.
    pub tags: Vec<Series>,
    /// Packets per day by sensor type.
    pub sensor_types: Vec<Series>,
    /// New and surging campaigns.
    pub campaigns: Vec<Campaign>,
}

/// The days of the recent window campaign detection looks at.
pub const RECENT_DAYS: usize = 3;
/// A campaign needs at least this many packets in the recent window.
pub const CAMPAIGN_MIN_PACKETS: i64 = 100;
/// A surge is this many times its baseline per day, or more.
pub const SURGE_FACTOR: i64 = 5;

fn port_label(protocol: &str, port: i64) -> Option<String> {
    (port >= 0).then(|| {
        if protocol.is_empty() {
            port.to_string()
        } else {
            format!("{port}/{protocol}")
        }
    })
}

/// Per-day series keyed by name, over `days`.
fn series_by(
    rows: &[Daily],
    days: &[String],
    key: impl Fn(&Daily) -> Option<String>,
) -> Vec<Series> {
    let index: HashMap<&str, usize> = days
        .iter()
        .enumerate()
        .map(|(i, d)| (d.as_str(), i))
        .collect();
    let mut by: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for r in rows {
        let (Some(name), Some(&i)) = (key(r), index.get(r.day.as_str())) else {
            continue;
        };
        by.entry(name).or_insert_with(|| vec![0; days.len()])[i] += r.packets;
    }
    let mut out: Vec<Series> = by
        .into_iter()
        .map(|(name, values)| Series {
            name,
            total: values.iter().sum(),
            values,
        })
        .collect();
    out.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.name.cmp(&b.name)));
    out
}

/// New and surging series: packets in the last [`RECENT_DAYS`] at least
/// [`CAMPAIGN_MIN_PACKETS`], and either nothing before them in the report (`new`) or
/// a recent daily mean [`SURGE_FACTOR`] times the earlier one (`surge`).
fn campaigns_in(series: &[Series], days: &[String], prefix: &str) -> Vec<Campaign> {
    let n = days.len();
    if n <= RECENT_DAYS {
        return Vec::new();
    }
    let split = n - RECENT_DAYS;
    let mut out = Vec::new();
    for s in series {
        let before: i64 = s.values[..split].iter().sum();
        let recent: i64 = s.values[split..].iter().sum();
        if recent < CAMPAIGN_MIN_PACKETS {
            continue;
        }
        let baseline = before / i64::try_from(split).unwrap_or(1);
        let recent_mean = recent / i64::try_from(RECENT_DAYS).unwrap_or(1);
        let kind = if before == 0 {
            "new"
        } else if recent_mean >= SURGE_FACTOR * baseline.max(1) {
            "surge"
        } else {
            continue;
        };
        let first = s.values.iter().position(|v| *v > 0).unwrap_or(split);
        out.push(Campaign {
            kind: kind.to_owned(),
            target: format!("{prefix}{}", s.name),
            first_seen: days[first].clone(),
            recent_packets: recent,
            baseline_per_day: baseline,
        });
    }
    out
}

/// The trends over `days` (oldest first) from the daily counts, with the `top`
/// busiest ports and tags.
#[must_use]
pub fn trends(rows: &[Daily], days: Vec<String>, top: usize) -> Trends {
    let total = series_by(rows, &days, |_| Some("all sensors".to_owned()))
        .pop()
        .unwrap_or_else(|| Series {
            name: "all sensors".into(),
            total: 0,
            values: vec![0; days.len()],
        });
    let ports = series_by(rows, &days, |r| port_label(&r.protocol, r.port));
    let tags = series_by(rows, &days, |r| (!r.tag.is_empty()).then(|| r.tag.clone()));
    let mut campaigns = campaigns_in(&ports, &days, "");
    campaigns.extend(campaigns_in(&tags, &days, "tag:"));
    campaigns.sort_by(|a, b| {
        b.recent_packets
            .cmp(&a.recent_packets)
            .then_with(|| a.target.cmp(&b.target))
    });
    Trends {
        total,
        sensor_types: series_by(rows, &days, |r| Some(r.sensor_type.clone())),
        ports: ports.into_iter().take(top).collect(),
        tags: tags.into_iter().take(top).collect(),
        campaigns,
        days,
    }
}

/// Escapes text for SVG (XML) content and attribute values.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Colours of the series, in order (distinguishable, and legible on white).
const PALETTE: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// The start of a standalone SVG chart `w` by `h` on white: its accessible name and
/// title, and the title drawn at (`x`, `y`).
fn svg_open(w: i64, h: i64, title: &str, x: i64, y: i64) -> String {
    let mut b = String::new();
    let _ = write!(
        b,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" \
         role=\"img\" aria-label=\"{t}\" font-family=\"sans-serif\" font-size=\"12\">\
         <title>{t}</title><rect width=\"{w}\" height=\"{h}\" fill=\"#fff\"/>\
         <text x=\"{x}\" y=\"{y}\" font-size=\"15\" font-weight=\"bold\">{t}</text>",
        t = xml(title)
    );
    b
}

/// A line chart of `series` over `days` as a standalone SVG document, with axes, the
/// first and last day, the maximum, and a legend.
#[must_use]
pub fn line_chart(title: &str, days: &[String], series: &[Series]) -> String {
    const W: i64 = 720;
    const H: i64 = 360;
    const LEFT: i64 = 70;
    const RIGHT: i64 = 170;
    const TOP: i64 = 40;
    const BOTTOM: i64 = 40;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let steps = i64::try_from(days.len().saturating_sub(1))
        .unwrap_or(0)
        .max(1);
    let mut b = svg_open(W, H, title, LEFT, 24);
    let _ = write!(
        b,
        "<line x1=\"{LEFT}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\" stroke=\"#333\"/>\
         <line x1=\"{LEFT}\" y1=\"{TOP}\" x2=\"{LEFT}\" y2=\"{y0}\" stroke=\"#333\"/>\
         <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{max}</text>\
         <text x=\"{lx}\" y=\"{y0}\" text-anchor=\"end\">0</text>",
        y0 = TOP + plot_h,
        x1 = LEFT + plot_w,
        lx = LEFT - 6,
        ty = TOP + 4,
    );
    if let (Some(first), Some(last)) = (days.first(), days.last()) {
        let _ = write!(
            b,
            "<text x=\"{LEFT}\" y=\"{y}\">{}</text><text x=\"{x}\" y=\"{y}\" text-anchor=\"end\">{}</text>",
            xml(first),
            xml(last),
            y = H - 14,
            x = LEFT + plot_w,
        );
    }
    for (k, s) in series.iter().enumerate() {
        let colour = PALETTE[k % PALETTE.len()];
        let points: Vec<String> = s
            .values
            .iter()
            .enumerate()
            .map(|(i, v)| {
                let i = i64::try_from(i).unwrap_or(0);
                format!(
                    "{},{}",
                    LEFT + i * plot_w / steps,
                    TOP + plot_h - v * plot_h / max
                )
            })
            .collect();
        let _ = write!(
            b,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{}\"><title>{}</title></polyline>",
            points.join(" "),
            xml(&s.name)
        );
        let ly = TOP + 16 * i64::try_from(k).unwrap_or(0);
        let _ = write!(
            b,
            "<rect x=\"{x}\" y=\"{ry}\" width=\"12\" height=\"3\" fill=\"{colour}\"/>\
             <text x=\"{tx}\" y=\"{ly}\">{} ({})</text>",
            xml(&s.name),
            s.total,
            x = W - RIGHT + 10,
            ry = ly - 5,
            tx = W - RIGHT + 28,
        );
    }
    if series.is_empty() {
        let _ = write!(
            b,
            "<text x=\"{x}\" y=\"{y}\" text-anchor=\"middle\" fill=\"#666\">no observations in this period</text>",
            x = LEFT + plot_w / 2,
            y = TOP + plot_h / 2
        );
    }
    b.push_str("</svg>");
    b
}

/// A horizontal bar chart as a standalone SVG document: one labelled bar per
/// `(label, value)`, each with its value, scaled to `of` when given (a share of a whole:
/// "read 12 of 40 targeted") or else to the largest value. Where people would rather
/// look than read: feedback tallies and delivery progress.
#[must_use]
pub fn bar_chart(title: &str, bars: &[(String, i64)], of: Option<i64>) -> String {
    const W: i64 = 560;
    const LEFT: i64 = 170;
    const RIGHT: i64 = 90;
    const TOP: i64 = 36;
    const ROW: i64 = 26;
    const BAR: i64 = 18;
    let n = i64::try_from(bars.len()).unwrap_or(0);
    let h = TOP + ROW * n + 12;
    let plot_w = W - LEFT - RIGHT;
    let scale = of
        .unwrap_or_else(|| bars.iter().map(|(_, v)| *v).max().unwrap_or(0))
        .max(1);
    let mut b = svg_open(W, h, title, 8, 22);
    for (k, (label, value)) in bars.iter().enumerate() {
        let k = i64::try_from(k).unwrap_or(0);
        let y = TOP + k * ROW;
        let width = (*value).clamp(0, scale) * plot_w / scale;
        let shown = match of {
            Some(total) => format!("{value} / {total}"),
            None => value.to_string(),
        };
        let _ = write!(
            b,
            "<text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{l}</text>\
             <rect x=\"{LEFT}\" y=\"{y}\" width=\"{plot_w}\" height=\"{BAR}\" fill=\"#eee\"/>\
             <rect x=\"{LEFT}\" y=\"{y}\" width=\"{width}\" height=\"{BAR}\" fill=\"{c}\"><title>{l}: {shown}</title></rect>\
             <text x=\"{vx}\" y=\"{ty}\">{shown}</text>",
            lx = LEFT - 8,
            ty = y + 13,
            l = xml(label),
            c = PALETTE[usize::try_from(k).unwrap_or(0) % PALETTE.len()],
            vx = LEFT + plot_w + 8,
        );
    }
    b.push_str("</svg>");
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(n: usize) -> Vec<String> {
        (1..=n).map(|d| format!("2026-11-{d:02}")).collect()
    }

    fn row(day: usize, port: i64, tag: &str, packets: i64) -> Daily {
        Daily {
            day: format!("2026-11-{day:02}"),
            sensor_type: "darknet".into(),
            protocol: "tcp".into(),
            port,
            tag: tag.into(),
            records: 1,
            packets,
        }
    }

    #[test]
    fn series_sum_per_day_and_rank_by_total() {
        let rows = vec![
            row(1, 23, "mirai", 10),
            row(1, 23, "mirai", 5),
            row(2, 445, "", 100),
            row(3, 23, "", 1),
            row(3, -1, "scan", 7),
        ];
        let t = trends(&rows, days(3), 10);
        assert_eq!(t.total.values, vec![15, 100, 8]);
        assert_eq!(t.ports[0].name, "445/tcp");
        assert_eq!(t.ports[1].name, "23/tcp");
        assert_eq!(t.ports[1].values, vec![15, 0, 1]);
        assert_eq!(
            t.ports.len(),
            2,
            "the record without a port is in no port series"
        );
        assert_eq!(
            t.tags.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            ["mirai", "scan"]
        );
        assert_eq!(t.sensor_types[0].total, 123);
    }

    #[test]
    fn top_limits_ports_and_tags() {
        let rows: Vec<Daily> = (0..20)
            .map(|p| row(1, p, &format!("t{p}"), p + 1))
            .collect();
        let t = trends(&rows, days(1), 5);
        assert_eq!(t.ports.len(), 5);
        assert_eq!(t.ports[0].name, "19/tcp");
        assert_eq!(t.tags.len(), 5);
    }

    #[test]
    fn new_and_surging_campaigns_are_found_and_steady_traffic_is_not() {
        let mut rows = Vec::new();
        for d in 1..=10 {
            rows.push(row(d, 23, "", 50));
            rows.push(row(d, 445, "", 10));
        }
        for d in 8..=10 {
            rows.push(row(d, 8291, "mikrotik", 200));
            rows.push(row(d, 445, "", 400));
        }
        let t = trends(&rows, days(10), 10);
        let found: Vec<(&str, &str, &str)> = t
            .campaigns
            .iter()
            .map(|c| (c.kind.as_str(), c.target.as_str(), c.first_seen.as_str()))
            .collect();
        assert!(
            found.contains(&("new", "8291/tcp", "2026-11-08")),
            "{found:?}"
        );
        assert!(
            found.contains(&("new", "tag:mikrotik", "2026-11-08")),
            "{found:?}"
        );
        assert!(
            found.contains(&("surge", "445/tcp", "2026-11-01")),
            "{found:?}"
        );
        assert!(
            !found.iter().any(|c| c.1 == "23/tcp"),
            "steady traffic is no campaign"
        );
    }

    #[test]
    fn small_new_traffic_is_no_campaign() {
        let rows = vec![row(5, 9999, "", CAMPAIGN_MIN_PACKETS - 1)];
        assert!(trends(&rows, days(5), 10).campaigns.is_empty());
    }

    #[test]
    fn the_chart_is_svg_with_escaped_names_and_one_line_per_series() {
        let series = vec![
            Series {
                name: "<script>&".into(),
                total: 3,
                values: vec![1, 2],
            },
            Series {
                name: "23/tcp".into(),
                total: 9,
                values: vec![4, 5],
            },
        ];
        let svg = line_chart("Packets \"per\" port", &days(2), &series);
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains("&lt;script&gt;&amp;"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("Packets &quot;per&quot; port"));
        assert!(svg.contains("2026-11-01") && svg.contains("2026-11-02"));
        assert!(svg.contains(">5</text>"), "the maximum labels the axis");
    }

    #[test]
    fn an_empty_chart_says_so() {
        let svg = line_chart("Ports", &days(3), &[]);
        assert!(svg.contains("no observations in this period"));
        assert_eq!(svg.matches("<polyline").count(), 0);
    }

    #[test]
    fn bars_are_scaled_to_the_whole_and_escaped() {
        let bars = vec![("read <b>".to_owned(), 5), ("acted".to_owned(), 20)];
        let svg = bar_chart("Progress", &bars, Some(10));
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.ends_with("</svg>"));
        assert!(svg.contains("read &lt;b&gt;") && !svg.contains("<b>"));
        // Half of the 300-pixel track, and a value over the whole is drawn full.
        assert!(
            svg.contains("width=\"150\" height=\"18\" fill=\"#1f77b4\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"300\" height=\"18\" fill=\"#d62728\""),
            "{svg}"
        );
        assert!(svg.contains(">5 / 10</text>") && svg.contains(">20 / 10</text>"));
        // Without a whole, the largest bar fills the track.
        let svg = bar_chart(
            "Tally",
            &[("seen".to_owned(), 3), ("unknown".to_owned(), 0)],
            None,
        );
        assert!(
            svg.contains("width=\"300\" height=\"18\" fill=\"#1f77b4\""),
            "{svg}"
        );
        assert!(
            svg.contains("width=\"0\" height=\"18\" fill=\"#d62728\""),
            "{svg}"
        );
    }
}
