extension Double {
    /// A metric value as MLflow's server keeps it, the platform's rule wherever values come in (data's API,
    /// MLflow's routes, a job's `::mlex metric` lines): ±Infinity becomes the largest double of its sign
    /// (MLflow's `sanitize_metric_value`), so reading one back gives ±1.7976931348623157e308 everywhere;
    /// NaN and finite values stay as they are.
    public var clampedToFinite: Double {
        guard isInfinite else { return self }
        return self < 0 ? -.greatestFiniteMagnitude : .greatestFiniteMagnitude
    }
}
