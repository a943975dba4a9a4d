//! The one way a histogram the owner kept reaches Prometheus: a family of series, each from a
//! [`Cumulative`] (durations in seconds, sizes in bytes), with its counts as they are.

use crate::stats::Cumulative;
use prometheus::core::{Collector, Desc};
use prometheus::proto;

/// A histogram family from the owner's counts: one series per set of label values (one
/// series without labels).
pub struct HistogramFamily {
    desc: Desc,
    family: proto::MetricFamily,
}

impl HistogramFamily {
    /// The family `name` with `labels`, and its series: each one's label values (in the
    /// order of `labels`) and histogram.
    pub fn new<'a, H: Cumulative + 'a>(
        name: &str,
        help: &str,
        labels: &[&str],
        series: impl IntoIterator<Item = (Vec<&'a str>, &'a H)>,
    ) -> prometheus::Result<Self> {
        let desc = Desc::new(
            name.into(),
            help.into(),
            labels.iter().map(|l| l.to_string()).collect(),
            Default::default(),
        )?;
        let metrics = series
            .into_iter()
            .map(|(values, h)| {
                let mut metric = proto::Metric::default();
                metric.set_label(label_pairs(labels, &values));
                metric.set_histogram(histogram(h));
                metric
            })
            .collect();
        let mut family = proto::MetricFamily::default();
        family.set_name(name.into());
        family.set_help(help.into());
        family.set_field_type(proto::MetricType::HISTOGRAM);
        family.set_metric(metrics);
        Ok(Self { desc, family })
    }
}

/// The one transform: cumulative counts at their upper bounds, the count and the sum.
fn histogram(h: &impl Cumulative) -> proto::Histogram {
    let mut p = proto::Histogram::default();
    p.set_sample_count(h.sample_count());
    p.set_sample_sum(h.sample_sum());
    let buckets = h
        .buckets()
        .into_iter()
        .map(|(le, n)| {
            let mut b = proto::Bucket::default();
            b.set_upper_bound(le);
            b.set_cumulative_count(n);
            b
        })
        .collect();
    p.set_bucket(buckets);
    p
}

/// The labels by name, as the registry's own families have them.
fn label_pairs(names: &[&str], values: &[&str]) -> Vec<proto::LabelPair> {
    let mut pairs: Vec<proto::LabelPair> = names
        .iter()
        .zip(values)
        .map(|(&name, &value)| {
            let mut l = proto::LabelPair::default();
            l.set_name(name.into());
            l.set_value(value.into());
            l
        })
        .collect();
    pairs.sort_by(|a, b| a.name().cmp(b.name()));
    pairs
}

impl Collector for HistogramFamily {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        vec![self.family.clone()]
    }
}
