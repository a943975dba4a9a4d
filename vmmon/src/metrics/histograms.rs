//! Histograms the owner kept, exposed with their counts: durations (one series) and sizes by
//! a label.

use crate::stats::{BOUNDS_MS, Histogram};
use crate::view::SizeHistogram;
use prometheus::core::{Collector, Desc};
use prometheus::proto;

/// A histogram the owner kept, exposed with its counts.
pub struct ConstHistogram {
    desc: Desc,
    family: proto::MetricFamily,
}

impl ConstHistogram {
    pub fn new(name: &str, help: &str, h: &Histogram) -> prometheus::Result<Self> {
        let desc = Desc::new(name.into(), help.into(), Vec::new(), Default::default())?;
        let mut p = proto::Histogram::default();
        p.set_sample_count(h.count);
        p.set_sample_sum(h.sum_seconds);
        let buckets = BOUNDS_MS
            .iter()
            .map(|&le| {
                let mut b = proto::Bucket::default();
                b.set_upper_bound(le as f64 / 1e3);
                b.set_cumulative_count(h.at(le));
                b
            })
            .collect();
        p.set_bucket(buckets);
        let mut metric = proto::Metric::default();
        metric.set_histogram(p);
        let mut family = proto::MetricFamily::default();
        family.set_name(name.into());
        family.set_help(help.into());
        family.set_field_type(proto::MetricType::HISTOGRAM);
        family.set_metric(vec![metric]);
        Ok(Self { desc, family })
    }
}

impl Collector for ConstHistogram {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        vec![self.family.clone()]
    }
}

/// One size histogram per value of a label (`comm`), from the owner's counts.
pub struct SizeHistograms {
    desc: Desc,
    family: proto::MetricFamily,
}

impl SizeHistograms {
    pub fn new(
        name: &str,
        help: &str,
        label: &str,
        series: Vec<(String, SizeHistogram)>,
        bounds: &[u64],
    ) -> prometheus::Result<Self> {
        let desc = Desc::new(
            name.into(),
            help.into(),
            vec![label.into()],
            Default::default(),
        )?;
        let metrics = series
            .into_iter()
            .map(|(value, h)| {
                let mut p = proto::Histogram::default();
                p.set_sample_count(h.count);
                p.set_sample_sum(h.sum as f64);
                let buckets = bounds
                    .iter()
                    .zip(h.buckets)
                    .map(|(&le, n)| {
                        let mut b = proto::Bucket::default();
                        b.set_upper_bound(le as f64);
                        b.set_cumulative_count(n);
                        b
                    })
                    .collect();
                p.set_bucket(buckets);
                let mut l = proto::LabelPair::default();
                l.set_name(label.into());
                l.set_value(value);
                let mut metric = proto::Metric::default();
                metric.set_label(vec![l]);
                metric.set_histogram(p);
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

impl Collector for SizeHistograms {
    fn desc(&self) -> Vec<&Desc> {
        vec![&self.desc]
    }

    fn collect(&self) -> Vec<proto::MetricFamily> {
        vec![self.family.clone()]
    }
}
